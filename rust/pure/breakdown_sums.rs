// SPDX-License-Identifier: GPL-2.0

//! A breakdown's rows summed over vCPUs, by key: what a breakdown file
//! shows, for one vCPU, a VM or every VM, and what destroyed vCPUs leave
//! behind.

use super::breakdown::{KeyTable, SlotKey, KEYS, OTHER};
use super::histogram::BUCKETS;
use super::recorder::VcpuRecorder;
use super::row::RowStats;
use super::totals::add_buckets;

/// Distinct keys a sum holds; more go to `OTHER`.
pub(crate) const SUM_KEYS: usize = 64;

/// Rows and bucket counts by key. About 160 KB: allocate it. All-zero
/// memory is an empty sum.
pub(crate) struct KeyedSums {
    len: usize,
    keys: [SlotKey; SUM_KEYS],
    /// By slot; `SUM_KEYS` is `OTHER`.
    stats: [RowStats; SUM_KEYS + 1],
    buckets: [[u64; BUCKETS]; SUM_KEYS + 1],
}

impl KeyedSums {
    /// Adds a row of key `key` (`FREE`: `OTHER`).
    pub(crate) fn add(&mut self, key: SlotKey, stats: &RowStats, buckets: &[u64; BUCKETS]) {
        if stats.count == 0 {
            return;
        }
        let i = self.slot(key);
        self.stats[i].merge(stats);
        add_buckets(&mut self.buckets[i], buckets);
    }

    fn slot(&mut self, key: SlotKey) -> usize {
        if key == SlotKey::FREE {
            return SUM_KEYS;
        }
        if let Some(i) = self.keys[..self.len].iter().position(|&k| k == key) {
            return i;
        }
        if self.len == SUM_KEYS {
            return SUM_KEYS;
        }
        self.keys[self.len] = key;
        self.len += 1;
        self.len - 1
    }

    /// Adds what `recorder` holds now in its breakdown table `table`;
    /// `scratch` is working space.
    pub(crate) fn absorb(
        &mut self,
        recorder: &VcpuRecorder,
        table: &KeyTable,
        scratch: &mut [u64; BUCKETS],
    ) {
        for i in 0..KEYS {
            let (key, stats) = recorder.read_slot(table, i, scratch);
            self.add(key, &stats, scratch);
        }
        let (_, stats) = recorder.read_slot(table, OTHER, scratch);
        self.add(SlotKey::FREE, &stats, scratch);
    }

    /// Adds another sum.
    pub(crate) fn merge(&mut self, other: &KeyedSums) {
        for i in 0..other.len {
            self.add(other.keys[i], &other.stats[i], &other.buckets[i]);
        }
        self.add(
            SlotKey::FREE,
            &other.stats[SUM_KEYS],
            &other.buckets[SUM_KEYS],
        );
    }

    /// Calls `f` on each key's row, by exit row and key, then on `OTHER`
    /// (with key `FREE`), which is always there.
    pub(crate) fn for_each_row<E>(
        &self,
        mut f: impl FnMut(SlotKey, &RowStats, &[u64; BUCKETS]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut order = [0u8; SUM_KEYS];
        for (i, o) in order.iter_mut().enumerate().take(self.len) {
            *o = i as u8;
        }
        let order = &mut order[..self.len];
        order.sort_unstable_by_key(|&i| self.keys[i as usize]);
        for &i in order.iter() {
            let i = i as usize;
            f(self.keys[i], &self.stats[i], &self.buckets[i])?;
        }
        f(
            SlotKey::FREE,
            &self.stats[SUM_KEYS],
            &self.buckets[SUM_KEYS],
        )
    }
}
