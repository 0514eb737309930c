// SPDX-License-Identifier: GPL-2.0

//! Host benchmark of the per-exit record path, run by `make bench` (not a
//! test: it asserts nothing about speed):
//!
//!   cargo test --release -p kvm-exit-timing-core bench_ -- --ignored --nocapture

use super::new_recorder;
use crate::pure::classify::ARM_EXCEPTION_TRAP;
use std::hint::black_box;
use std::println;
use std::time::Instant;

/// ESR_ELx of an HVC64 (EC 0x16, IL set).
const ESR_HVC64: u64 = 0x16 << 26 | 1 << 25;

#[test]
#[ignore = "a benchmark: make bench runs it"]
fn bench_record_path() {
    const N: u64 = 10_000_000;
    let r = new_recorder();
    let mut best = f64::MAX;
    for _ in 0..7 {
        let start = Instant::now();
        let mut t = 1_000u64;
        for i in 0..N {
            // Varying durations, so that the histogram's buckets vary too.
            // A guest run from `entered`, then an exit that the next
            // run's entry ends.
            let entered = t;
            t += 500 + (i & 1023);
            r.on_exit(
                black_box(entered),
                black_box(t),
                ARM_EXCEPTION_TRAP,
                black_box(ESR_HVC64),
            );
            t += 40 + (i & 63);
        }
        best = best.min(start.elapsed().as_nanos() as f64 / N as f64);
    }
    println!("bench record_path: {best:.2} ns per exit (one exit event: the exit before it and its guest run, rows and histograms), best of 7 runs of {N}");
}
