//! Shared helpers of the benchmarks: side-by-side timing of our code and a reference
//! implementation in one process, printed as a ratio.
//!
//! Criterion measures each function on its own; this module adds the comparison the
//! project's targets are stated in ("at least as fast as oci-spec"): both functions run
//! in alternating rounds, so that machine noise hits both alike, and the ratio of their
//! median round times is printed.

#![forbid(unsafe_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

/// The outcome of [`compare`].
#[derive(Clone, Copy, Debug)]
pub struct Comparison {
    /// Median time of one call of our function.
    pub ours: Duration,
    /// Median time of one call of the reference.
    pub theirs: Duration,
}

impl Comparison {
    /// How many times faster ours is: reference time / our time (> 1 means faster).
    pub fn speedup(&self) -> f64 {
        self.theirs.as_secs_f64() / self.ours.as_secs_f64()
    }
}

fn round(f: &mut dyn FnMut(), iterations: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed() / iterations
}

/// Times `ours` and `theirs` in `rounds` alternating rounds of `iterations` calls each,
/// prints `name: ours … | reference … | ours is N.NNx as fast`, and returns the medians.
pub fn compare(
    name: &str,
    reference: &str,
    mut ours: impl FnMut(),
    mut theirs: impl FnMut(),
) -> Comparison {
    // Calibrate so one round takes about 20 ms.
    let probe = round(&mut ours, 10).max(Duration::from_nanos(1));
    let iterations =
        u32::try_from((Duration::from_millis(20).as_nanos() / probe.as_nanos()).max(1))
            .unwrap_or(u32::MAX);
    let rounds = 25;
    let (mut a, mut b) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for _ in 0..rounds {
        a.push(round(&mut ours, iterations));
        b.push(round(&mut theirs, iterations));
    }
    a.sort();
    b.sort();
    let c = Comparison { ours: a[rounds / 2], theirs: b[rounds / 2] };
    println!(
        "{name}: ours {:?} | {reference} {:?} | ours is {:.2}x as fast",
        c.ours,
        c.theirs,
        c.speedup()
    );
    c
}

/// Runs `f` and discards its result without letting the optimiser drop the work.
pub fn consume<T>(value: T) {
    black_box(value);
}
