// SPDX-License-Identifier: GPL-2.0

//! Virtual IPI latency: for each SGI a vCPU sends, the time from the
//! sender's trap to the receiver's next guest entry with the SGI in its
//! list registers, on the generic counter.
//!
//! The sender posts the SGI in the receiver's [`IpiInbox`] (from the SGI
//! tracepoint, in its own thread, before KVM makes the SGI pending and
//! kicks or wakes the receiver): when it trapped, when it posted, which
//! SGI, and where the receiver was then. At each of its exits the
//! receiver takes the posts whose SGI its list registers held during the
//! run that just ended, if that run was entered after the post: that
//! entry delivered it. The samples go to the receiver's [`IpiTable`], by
//! where it was when the SGI was sent (which says what KVM had to do) and
//! by sender.

use super::histogram::{bucket_of, Histogram, BUCKETS};
use super::row::{Row, RowStats};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};

/// Senders told apart, by vCPU id; higher ids share the last row.
pub(crate) const SENDERS: usize = 64;
/// The row of senders whose id is [`SENDERS`] or more.
pub(crate) const OTHER_SENDER: usize = SENDERS;

/// Where the receiver was when the SGI was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum IpiKind {
    /// In the guest: KVM kicks it out with a host IPI.
    Running,
    /// Blocked (in WFI): KVM wakes its thread.
    Blocked,
    /// In the host, neither (handling an exit, preempted, in user space):
    /// it finds the SGI at its next entry.
    InHost,
}

impl IpiKind {
    pub(crate) const ALL: [IpiKind; 3] = [Self::Running, Self::Blocked, Self::InHost];
    pub(crate) const COUNT: usize = Self::ALL.len();

    /// The row's name in the `ipi` files (ABI).
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Running => "SGI_TO_RUNNING",
            Self::Blocked => "SGI_TO_BLOCKED",
            Self::InHost => "SGI_TO_IN_HOST",
        }
    }

    fn from_bits(b: u32) -> IpiKind {
        match b {
            0 => Self::Running,
            1 => Self::Blocked,
            _ => Self::InHost,
        }
    }
}

/// The index of sender `id`'s row.
pub(crate) fn sender_slot(id: u32) -> usize {
    (id as usize).min(OTHER_SENDER)
}

/// Posts a sender slot holds before the receiver takes them; more are
/// not timed. Two are needed: an SGI's post is taken at the receiver's
/// first exit after the entry that delivered it, and the sender may send
/// the next one before that exit.
const DEPTH: usize = 4;

/// One post: when the sender trapped, when it posted, the SGI and the
/// kind (INTID in bits 0-15, kind from bit 16).
#[repr(C)]
struct Post {
    sent_at: AtomicU64,
    posted_at: AtomicU64,
    what: AtomicU32,
}

/// What senders left for one receiver: per sender slot, a queue of
/// posts with one writer, the sender's thread (which advances `tail`),
/// and one reader, the receiver's thread (which advances `head`).
#[repr(C)]
pub(crate) struct IpiInbox {
    /// A bit per sender slot that may have posts, so that the receiver's
    /// check at each exit is two loads.
    pending: AtomicU128Bits,
    head: [AtomicU32; SENDERS + 1],
    tail: [AtomicU32; SENDERS + 1],
    posts: [[Post; DEPTH]; SENDERS + 1],
}

/// A set of [`SENDERS`] + 1 bits, as two words.
#[repr(C)]
struct AtomicU128Bits([AtomicU64; 2]);

impl AtomicU128Bits {
    fn set(&self, i: usize) {
        self.0[i / 64].fetch_or(1 << (i % 64), Release);
    }

    fn clear(&self, i: usize) {
        self.0[i / 64].fetch_and(!(1 << (i % 64)), AcqRel);
    }

    #[inline(always)]
    fn any(&self) -> bool {
        self.0[0].load(Relaxed) | self.0[1].load(Relaxed) != 0
    }

    fn load(&self) -> [u64; 2] {
        [self.0[0].load(Acquire), self.0[1].load(Acquire)]
    }
}

impl IpiInbox {
    /// Sender slot `s` posts SGI `intid`, trapped at `sent_at` and posted
    /// at `posted_at`, to a receiver that was `kind`; not timed if the
    /// slot's queue is full. The sender's thread only.
    pub(crate) fn post(&self, s: usize, sent_at: u64, posted_at: u64, intid: u32, kind: IpiKind) {
        let tail = self.tail[s].load(Relaxed);
        if tail.wrapping_sub(self.head[s].load(Acquire)) as usize >= DEPTH {
            return;
        }
        let p = &self.posts[s][tail as usize % DEPTH];
        p.sent_at.store(sent_at, Relaxed);
        p.posted_at.store(posted_at, Relaxed);
        p.what.store(intid & 0xffff | (kind as u32) << 16, Relaxed);
        // Publishes the post, then says the slot has one.
        self.tail[s].store(tail.wrapping_add(1), Release);
        self.pending.set(s);
    }

    /// Whether any post may wait: the receiver's check at each exit.
    #[inline(always)]
    pub(crate) fn any(&self) -> bool {
        self.pending.any()
    }

    /// The receiver, whose run entered at `entry` just ended, takes the
    /// posts that run delivered, oldest first per sender: those posted
    /// before `entry` whose SGI `held(intid, sender slot)` says its list
    /// registers held. Calls `sample(sender slot, kind, latency)` for
    /// each.
    pub(crate) fn take_delivered(
        &self,
        entry: u64,
        held: impl Fn(u32, usize) -> bool,
        mut sample: impl FnMut(usize, IpiKind, u64),
    ) {
        let words = self.pending.load();
        for (w, &bits) in words.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let s = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.take_from(s, entry, &held, &mut sample);
            }
        }
    }

    fn take_from(
        &self,
        s: usize,
        entry: u64,
        held: &impl Fn(u32, usize) -> bool,
        sample: &mut impl FnMut(usize, IpiKind, u64),
    ) {
        let mut head = self.head[s].load(Relaxed);
        let tail = self.tail[s].load(Acquire);
        while head != tail {
            let p = &self.posts[s][head as usize % DEPTH];
            let what = p.what.load(Relaxed);
            if entry <= p.posted_at.load(Relaxed) || !held(what & 0xffff, s) {
                break;
            }
            sample(
                s,
                IpiKind::from_bits(what >> 16),
                entry.saturating_sub(p.sent_at.load(Relaxed)),
            );
            head = head.wrapping_add(1);
        }
        self.head[s].store(head, Release);
        if head == tail {
            // Empty: clear the bit, then look again, in case the sender
            // posted meanwhile (and set it before the clear).
            self.pending.clear(s);
            if self.tail[s].load(Acquire) != head {
                self.pending.set(s);
            }
        }
    }
}

/// One receiver's latencies: by kind, with histograms, and by sender.
/// Written by the receiver's recorder in its write sections, read under
/// its sequence count; cleared lazily after a reset, as a breakdown's
/// table (see `breakdown.rs`). All-zero memory is an empty table.
#[repr(C)]
pub(crate) struct IpiTable {
    pub(crate) inbox: IpiInbox,
    epoch: AtomicU32,
    kinds: [Row; IpiKind::COUNT],
    kind_hists: [Histogram; IpiKind::COUNT],
    senders: [Row; SENDERS + 1],
    sender_counts: [AtomicU64; SENDERS + 1],
}

impl IpiTable {
    /// Adds a latency `d` of `kind` from sender slot `s`, in the
    /// recorder's reset epoch `epoch`. The recorder's writer only.
    pub(crate) fn record(&self, kind: IpiKind, s: usize, d: u64, epoch: u32) {
        if self.epoch.load(Relaxed) != epoch {
            self.clear(epoch);
        }
        self.kinds[kind as usize].record(d);
        self.kind_hists[kind as usize].add(bucket_of(d));
        self.senders[s].record(d);
        let c = &self.sender_counts[s];
        c.store(c.load(Relaxed).wrapping_add(1), Relaxed);
    }

    #[cold]
    fn clear(&self, epoch: u32) {
        self.epoch.store(epoch, Relaxed);
        for (r, h) in self.kinds.iter().zip(self.kind_hists.iter()) {
            r.clear();
            h.clear();
        }
        for (r, c) in self.senders.iter().zip(self.sender_counts.iter()) {
            r.clear();
            c.store(0, Relaxed);
        }
    }

    /// Row `kind` and its buckets; empty if older than reset epoch
    /// `epoch`. Under the recorder's sequence count.
    pub(crate) fn read_kind(
        &self,
        kind: IpiKind,
        epoch: u32,
        buckets: &mut [u64; BUCKETS],
    ) -> RowStats {
        if self.epoch.load(Relaxed) != epoch {
            return RowStats::default();
        }
        self.kind_hists[kind as usize].add_to(buckets);
        let count = buckets.iter().fold(0u64, |a, &c| a.saturating_add(c));
        self.kinds[kind as usize].read(count)
    }

    /// Sender slot `s`'s row; empty if older than `epoch`. Under the
    /// recorder's sequence count.
    pub(crate) fn read_sender(&self, s: usize, epoch: u32) -> RowStats {
        if self.epoch.load(Relaxed) != epoch {
            return RowStats::default();
        }
        self.senders[s].read(self.sender_counts[s].load(Relaxed))
    }
}
