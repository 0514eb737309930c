// SPDX-License-Identifier: GPL-2.0

//! The per-vCPU state machine: what each sequence of tracepoint events
//! records, resets, and readers racing a writer.

use super::new_recorder;
use crate::pure::breakdown::Tables;
use crate::pure::classify::{seen, ARM_EXCEPTION_IRQ, ARM_EXCEPTION_TRAP};
use crate::pure::exit_type::ExitType::{self, *};
use crate::pure::histogram::BUCKETS;
use crate::pure::recorder::VcpuRecorder;
use crate::pure::row::RowStats;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::vec::Vec;

const HVC64: u64 = 0x16 << 26;
const DABT: u64 = 0x24 << 26;
const EINTR: i32 = -4;

fn row(r: &VcpuRecorder, t: ExitType) -> RowStats {
    let mut b = [0u64; BUCKETS];
    let s = r.read_row(t, &mut b);
    assert_eq!(
        b.iter().sum::<u64>(),
        s.count,
        "{t:?}: buckets sum to count"
    );
    s
}

fn one(r: &VcpuRecorder, t: ExitType) -> (u64, u128) {
    let s = row(r, t);
    (s.count, s.total)
}

#[test]
fn an_exit_handled_in_the_kernel() {
    let r = new_recorder();
    r.on_exit(100, 150, ARM_EXCEPTION_TRAP, HVC64);
    assert_eq!(
        one(&r, Hvc64),
        (0, 0),
        "pending until the next exit brings the entry that ended it"
    );
    r.on_exit(170, 200, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(one(&r, Hvc64), (1, 20));
    assert_eq!(one(&r, TimeInGuest), (1, 50));
}

#[test]
fn an_exit_forwarded_to_user_space_includes_its_time_there() {
    let r = new_recorder();
    r.on_exit(0, 10, ARM_EXCEPTION_TRAP, DABT);
    r.on_seen(seen::MMIO_USER);
    r.on_run_return(15, 0);
    assert_eq!(one(&r, DabtIoUser), (0, 0));
    r.on_load(40);
    r.on_exit(50, 60, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(one(&r, DabtIoUser), (1, 40));
    assert_eq!(one(&r, DabtLow), (0, 0));
}

#[test]
fn a_return_that_does_not_forward_the_exit_ends_it() {
    let r = new_recorder();
    r.on_exit(0, 10, ARM_EXCEPTION_IRQ, 0);
    r.on_run_return(12, EINTR);
    assert_eq!(one(&r, Interrupt), (1, 2));
    // KVM_RUN again, no pending exit: the next exit starts afresh.
    r.on_exit(100, 130, ARM_EXCEPTION_TRAP, HVC64);
    r.on_exit(131, 140, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(one(&r, TimeInGuest), (2, 40));
    assert_eq!(one(&r, Hvc64), (1, 1));
    assert_eq!(one(&r, Interrupt), (1, 2));
}

#[test]
fn a_second_return_without_entry_settles_a_forwarded_exit() {
    // What a VMM's KVM_RUN with immediate_exit does after a forwarded
    // exit: the exit completes then, with the user-space time.
    let r = new_recorder();
    r.on_exit(0, 10, ARM_EXCEPTION_TRAP, DABT);
    r.on_seen(seen::MMIO_USER);
    r.on_run_return(11, 0);
    r.on_run_return(30, EINTR);
    assert_eq!(one(&r, DabtIoUser), (1, 20));
}

#[test]
fn preemption_is_descheduled_time_not_exit_time() {
    let r = new_recorder();
    r.on_exit(0, 10, ARM_EXCEPTION_IRQ, 0);
    r.on_put(12, true);
    r.on_load(1012);
    r.on_exit(1020, 1030, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(one(&r, Descheduled), (1, 1000));
    assert_eq!(one(&r, Interrupt), (1, 10));
}

#[test]
fn blocking_is_not_preemption() {
    let r = new_recorder();
    r.on_exit(0, 10, ARM_EXCEPTION_TRAP, 0x01 << 26); // WFI
    r.on_put(12, false);
    r.on_load(500);
    r.on_exit(510, 520, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(one(&r, Descheduled), (0, 0));
    assert_eq!(one(&r, Wfx), (1, 500));
}

#[test]
fn preemption_outside_an_exit_is_still_descheduled() {
    let r = new_recorder();
    r.on_put(5, true);
    r.on_load(25);
    r.on_exit(30, 40, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(one(&r, Descheduled), (1, 20));
}

#[test]
fn destroying_the_vcpu_records_its_pending_exit() {
    let r = new_recorder();
    r.on_exit(0, 10, ARM_EXCEPTION_TRAP, DABT);
    r.on_seen(seen::MMIO_USER);
    r.on_run_return(13, 0);
    r.on_destroy(Tables::NONE);
    assert_eq!(one(&r, DabtIoUser), (1, 3));
    assert_eq!(one(&r, TimeInGuest), (1, 10));
}

#[test]
fn refinement_only_applies_to_the_pending_exit() {
    let r = new_recorder();
    r.on_seen(seen::MMIO_KERNEL); // no exit pending: ignored
    r.on_exit(0, 10, ARM_EXCEPTION_TRAP, DABT);
    r.on_seen(seen::MEM_ABORT);
    r.on_exit(20, 30, ARM_EXCEPTION_TRAP, DABT);
    r.on_exit(35, 40, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(one(&r, DabtUserMem), (1, 10));
    assert_eq!(one(&r, DabtLow), (1, 5));
    assert_eq!(one(&r, DabtIoMem), (0, 0));
}

#[test]
fn an_exit_ended_before_it_began_is_dropped_and_counted() {
    let r = new_recorder();
    r.on_exit(0, 10, ARM_EXCEPTION_TRAP, HVC64);
    r.on_exit(5, 20, ARM_EXCEPTION_IRQ, 0); // entered before the exit
    r.on_exit(25, 30, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(r.anomalies().unpaired, 1);
    assert_eq!(one(&r, Hvc64), (0, 0));
    assert_eq!(one(&r, Interrupt), (1, 5));
    assert_eq!(one(&r, TimeInGuest), (2, 25));
}

#[test]
fn a_clock_going_backwards_gives_zero_not_garbage() {
    let r = new_recorder();
    r.on_exit(100, 99, ARM_EXCEPTION_IRQ, 0);
    r.on_exit(99, 110, ARM_EXCEPTION_IRQ, 0);
    let s = row(&r, Interrupt);
    assert_eq!((s.count, s.max), (1, 0));
    assert_eq!(row(&r, TimeInGuest).max, 0);
}

#[test]
fn timing_stopped_forgets_the_pending_exit() {
    let r = new_recorder();
    r.on_exit(0, 10, ARM_EXCEPTION_IRQ, 0);
    r.stop();
    r.on_exit(50, 60, ARM_EXCEPTION_IRQ, 0);
    r.on_exit(61, 70, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(one(&r, Interrupt), (1, 1));
    assert_eq!(one(&r, TimeInGuest), (1, 10));
}

#[test]
fn reset_empties_at_once_and_counts_resume() {
    let r = new_recorder();
    r.set_origin(1);
    assert_eq!(r.reset_at(), 1);
    r.on_exit(0, 10, ARM_EXCEPTION_IRQ, 0);
    r.on_exit(20, 22, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(one(&r, Interrupt), (1, 10));
    r.request_reset(25);
    assert_eq!(r.reset_at(), 25);
    assert_eq!(
        one(&r, Interrupt),
        (0, 0),
        "readers see the reset before the writer applies it"
    );
    r.on_exit(30, 40, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(one(&r, Interrupt), (1, 8));
    assert_eq!(one(&r, TimeInGuest), (1, 2));
}

/// Readers racing a writer only ever see rows that existed: count equals
/// the histogram's sum, totals fit between count*min and count*max, and
/// every recorded value here is 7 or 9 (so min, max and total agree).
#[test]
fn concurrent_readers_see_consistent_rows() {
    let r: Arc<crate::pure::recorder::VcpuRecorder> = Arc::from(new_recorder());
    let done = Arc::new(AtomicBool::new(false));
    // Each reader's count of reads of recorded rows: the writer goes on
    // until every reader has raced it many times, however the threads are
    // scheduled.
    let progress: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
    let readers: Vec<_> = (0..3)
        .map(|k| {
            let (r, done, progress) = (r.clone(), done.clone(), progress.clone());
            thread::spawn(move || {
                let mut b = [0u64; BUCKETS];
                let mut reads = 0u64;
                while !done.load(Ordering::Relaxed) {
                    for t in [Hvc64, TimeInGuest] {
                        let s = r.read_row(t, &mut b);
                        assert_eq!(b.iter().sum::<u64>(), s.count);
                        if s.count > 0 {
                            assert!(s.min == 7 || s.min == 9);
                            assert!(s.max == 7 || s.max == 9);
                            let (n7, n9) = (b[7] as u128, b[9] as u128);
                            assert_eq!(s.total, 7 * n7 + 9 * n9);
                            reads += 1;
                        }
                    }
                    progress[k].store(reads, Ordering::Relaxed);
                }
                reads
            })
        })
        .collect();
    const MIN_READS: u64 = 1_000;
    let raced = || {
        progress
            .iter()
            .all(|p| p.load(Ordering::Relaxed) >= MIN_READS)
    };
    let mut now = 0u64;
    let mut i = 0u64;
    while i < 200_000 || !raced() {
        let d = if i % 3 == 0 { 9 } else { 7 };
        // A guest run and an exit of `d` each.
        r.on_exit(now, now + d, ARM_EXCEPTION_TRAP, HVC64);
        now += 2 * d;
        if i == 100_000 {
            r.request_reset(now);
        }
        i += 1;
    }
    done.store(true, Ordering::Relaxed);
    for h in readers {
        assert!(h.join().unwrap() >= MIN_READS);
    }
}

// ---- Per-CPU clocks (the PMU cycle counter).

mod per_cpu {
    use super::*;
    use crate::pure::rate::Rate;
    use crate::pure::recorder::Wall;
    use proptest::prelude::*;
    use std::boxed::Box;

    /// One thing a vCPU thread does, on the counter's time line.
    #[derive(Clone, Copy, Debug)]
    enum Step {
        /// Runs the guest for `guest` ticks, which exits with an HVC64 or
        /// a user MMIO abort, handled for `handle` ticks.
        Exit { guest: u64, handle: u64, mmio: bool },
        /// Preempted (or blocking) for `away` ticks, then on `cpu`.
        Away {
            away: u64,
            preempted: bool,
            cpu: usize,
        },
        /// KVM_RUN returns `ret`; user space takes `user` ticks, and the
        /// next KVM_RUN starts on `cpu`.
        Return { ret: i32, user: u64, cpu: usize },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => (1u64..5000, 1u64..5000, any::<bool>())
                .prop_map(|(guest, handle, mmio)| Step::Exit { guest, handle, mmio }),
            1 => (0u64..100_000, any::<bool>(), 0usize..3)
                .prop_map(|(away, preempted, cpu)| Step::Away { away, preempted, cpu }),
            1 => (prop_oneof![Just(0), Just(EINTR)], 0u64..100_000, 0usize..3)
                .prop_map(|(ret, user, cpu)| Step::Return { ret, user, cpu }),
        ]
    }

    const RATE: u64 = 16;

    /// Drives a counter recorder and a per-CPU cycles recorder (16 cycles
    /// a tick, each CPU's counter at its own offset) through `steps`.
    fn replay(steps: &[Step], offsets: [u64; 3]) -> (Box<VcpuRecorder>, Box<VcpuRecorder>) {
        let ticks = new_recorder();
        let cycles = new_recorder();
        let rate = Rate::measured(RATE, 1).unwrap();
        let mut t = 1_000_000u64;
        let mut cpu = 0;
        let cyc = |t: u64, cpu: usize| (t * RATE).wrapping_add(offsets[cpu]);
        for s in steps {
            match *s {
                Step::Exit {
                    guest,
                    handle,
                    mmio,
                } => {
                    let entered = t;
                    t += guest;
                    let esr = if mmio { DABT } else { HVC64 };
                    ticks.on_exit(entered, t, ARM_EXCEPTION_TRAP, esr);
                    cycles.on_exit_per_cpu(
                        cyc(entered, cpu),
                        cyc(t, cpu),
                        ARM_EXCEPTION_TRAP,
                        esr,
                        || Wall { now: t, rate },
                    );
                    if mmio {
                        ticks.on_seen(seen::MMIO_USER);
                        cycles.on_seen(seen::MMIO_USER);
                    }
                    t += handle;
                }
                Step::Away {
                    away,
                    preempted,
                    cpu: to,
                } => {
                    // The sched-out probe hands the counter clock only
                    // preemptions; a per-CPU clock every switch.
                    if preempted {
                        ticks.on_put(t, true);
                    }
                    cycles.on_put_per_cpu(preempted, || (cyc(t, cpu), t));
                    t += away;
                    cpu = to;
                    ticks.on_load(t);
                    cycles.on_load_per_cpu(cyc(t, cpu), Wall { now: t, rate });
                }
                Step::Return { ret, user, cpu: to } => {
                    ticks.on_run_return(t, ret);
                    cycles.on_run_return_per_cpu(cyc(t, cpu), Wall { now: t, rate }, ret);
                    t += user;
                    cpu = to;
                }
            }
        }
        (ticks, cycles)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the migrations, a per-CPU clock at 16 units a tick
        /// records exactly 16 x what the counter records, row by row:
        /// no interval subtracts two CPUs' counters, none is lost.
        #[test]
        fn cycles_are_sixteen_times_ticks(
            steps in proptest::collection::vec(step(), 1..60),
            offsets in [any::<u64>(), any::<u64>(), any::<u64>()],
        ) {
            let (ticks, cycles) = replay(&steps, offsets);
            for t in ExitType::ALL {
                let a = row(&ticks, t);
                let b = row(&cycles, t);
                prop_assert_eq!(a.count, b.count, "{:?} count", t);
                prop_assert_eq!(a.total * u128::from(RATE), b.total, "{:?} total", t);
                if a.count > 0 {
                    prop_assert_eq!(a.min * RATE, b.min, "{:?} min", t);
                    prop_assert_eq!(a.max * RATE, b.max, "{:?} max", t);
                }
            }
            prop_assert_eq!(ticks.anomalies(), cycles.anomalies());
            prop_assert_eq!(cycles.anomalies().unpaired, 0);
        }
    }

    #[test]
    fn an_exit_to_user_space_on_another_cpu() {
        // CPU 1's counter is far behind CPU 0's: a subtraction across them
        // would wrap.
        let (_, cycles) = replay(
            &[
                Step::Exit {
                    guest: 10,
                    handle: 5,
                    mmio: true,
                },
                Step::Return {
                    ret: 0,
                    user: 100,
                    cpu: 1,
                },
                Step::Exit {
                    guest: 20,
                    handle: 1,
                    mmio: false,
                },
                Step::Exit {
                    guest: 1,
                    handle: 1,
                    mmio: false,
                },
            ],
            [1 << 60, 7, 0],
        );
        assert_eq!(one(&cycles, DabtIoUser), (1, 105 * 16));
        assert_eq!(one(&cycles, Hvc64), (1, 16));
        // The last exit, still pending, holds its guest run.
        assert_eq!(one(&cycles, TimeInGuest), (2, 30 * 16));
    }

    #[test]
    fn a_blocked_exit_keeps_its_wait_a_preempted_one_does_not() {
        let (_, cycles) = replay(
            &[
                Step::Exit {
                    guest: 10,
                    handle: 5,
                    mmio: false,
                },
                Step::Away {
                    away: 1000,
                    preempted: false,
                    cpu: 2,
                },
                Step::Exit {
                    guest: 10,
                    handle: 5,
                    mmio: false,
                },
                Step::Away {
                    away: 1000,
                    preempted: true,
                    cpu: 0,
                },
                Step::Exit {
                    guest: 10,
                    handle: 0,
                    mmio: false,
                },
            ],
            [5, 1 << 63, 3],
        );
        assert_eq!(one(&cycles, Hvc64), (2, (1005 + 5) * 16));
        assert_eq!(one(&cycles, Descheduled), (1, 1000 * 16));
    }
}
