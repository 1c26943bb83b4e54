//! Parsing and validating runtime config.json, ours against oci-spec 0.10 parsing alone;
//! serialising likewise.
//!
//! `cargo bench -p oci-benches --bench runtime` prints the side-by-side ratios first.
#![allow(missing_docs, clippy::expect_used)] // criterion_group! makes an undocumented fn; fixtures are known to parse

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use oci_benches::{compare, consume};

const EXAMPLE: &[u8] =
    include_bytes!("../../conformance/runtime-spec/examples/config.md-example.json");
const RUNC: &[u8] = include_bytes!("../fixtures/runc-spec.json");

fn ours(bytes: &[u8]) -> usize {
    let spec: oci_runtime_spec::Spec = oci_runtime_spec::from_slice(bytes).expect("fixture parses");
    spec.validate().len() + spec.mounts.len()
}

fn theirs(bytes: &[u8]) -> usize {
    let spec: oci_spec::runtime::Spec = serde_json::from_slice(bytes).expect("fixture parses");
    spec.mounts().as_ref().map_or(0, Vec::len)
}

fn side_by_side() {
    println!(
        "parse + validate (ours) against parse alone (oci-spec 0.10), median of 25 alternating rounds:"
    );
    compare(
        "config.md example",
        "oci-spec",
        || consume(ours(black_box(EXAMPLE))),
        || consume(theirs(black_box(EXAMPLE))),
    );
    compare(
        "runc spec",
        "oci-spec",
        || consume(ours(black_box(RUNC))),
        || consume(theirs(black_box(RUNC))),
    );
    let o: oci_runtime_spec::Spec = serde_json::from_slice(EXAMPLE).expect("fixture parses");
    let t: oci_spec::runtime::Spec = serde_json::from_slice(EXAMPLE).expect("fixture parses");
    println!("serialise:");
    compare(
        "config.md example",
        "oci-spec",
        || consume(serde_json::to_vec(black_box(&o)).map(|v| v.len())),
        || consume(serde_json::to_vec(black_box(&t)).map(|v| v.len())),
    );
}

fn documents(c: &mut Criterion) {
    let mut g = c.benchmark_group("runtime-config");
    g.bench_function("oci-runtime-spec parse+validate (config.md)", |b| {
        b.iter(|| ours(black_box(EXAMPLE)))
    });
    g.bench_function("oci-spec parse (config.md)", |b| b.iter(|| theirs(black_box(EXAMPLE))));
    g.bench_function("oci-runtime-spec parse+validate (runc)", |b| {
        b.iter(|| ours(black_box(RUNC)))
    });
    g.bench_function("oci-spec parse (runc)", |b| b.iter(|| theirs(black_box(RUNC))));
    g.finish();
}

criterion_group!(benches, documents);

fn main() {
    side_by_side();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
