//! Parsing and validating image-spec documents, ours against oci-spec 0.10 parsing alone.
//!
//! `cargo bench -p oci-benches --bench image` prints, before criterion's own report, one
//! line per document with the ratio measured side by side in this process.
#![allow(missing_docs, clippy::expect_used)] // criterion_group! makes an undocumented fn; fixtures are known to parse

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use oci_benches::{compare, consume};

const MANIFEST: &[u8] = include_bytes!("../fixtures/app-manifest.json");
const INDEX: &[u8] = include_bytes!("../fixtures/multi-index.json");
const CONFIG: &[u8] = include_bytes!("../fixtures/config-100-history.json");

fn ours_manifest(bytes: &[u8]) -> usize {
    let m: oci_image::ImageManifest = oci_image::json::from_slice(bytes).expect("fixture parses");
    m.validate().len() + m.layers.len()
}

fn ours_index(bytes: &[u8]) -> usize {
    let i: oci_image::ImageIndex = oci_image::json::from_slice(bytes).expect("fixture parses");
    i.validate().len() + i.manifests.len()
}

fn ours_config(bytes: &[u8]) -> usize {
    let c: oci_image::ImageConfiguration =
        oci_image::json::from_slice(bytes).expect("fixture parses");
    c.validate().len() + c.history.len()
}

fn theirs_manifest(bytes: &[u8]) -> usize {
    let m: oci_spec::image::ImageManifest = serde_json::from_slice(bytes).expect("fixture parses");
    m.layers().len()
}

fn theirs_index(bytes: &[u8]) -> usize {
    let i: oci_spec::image::ImageIndex = serde_json::from_slice(bytes).expect("fixture parses");
    i.manifests().len()
}

fn theirs_config(bytes: &[u8]) -> usize {
    let c: oci_spec::image::ImageConfiguration =
        serde_json::from_slice(bytes).expect("fixture parses");
    c.history().as_ref().map_or(0, Vec::len)
}

fn side_by_side() {
    println!(
        "parse + validate (ours) against parse alone (oci-spec 0.10), median of 25 alternating rounds:"
    );
    compare(
        "manifest (app, 4 layers)",
        "oci-spec",
        || consume(ours_manifest(black_box(MANIFEST))),
        || consume(theirs_manifest(black_box(MANIFEST))),
    );
    compare(
        "index (multi, 2 manifests)",
        "oci-spec",
        || consume(ours_index(black_box(INDEX))),
        || consume(theirs_index(black_box(INDEX))),
    );
    compare(
        "config (100 history entries)",
        "oci-spec",
        || consume(ours_config(black_box(CONFIG))),
        || consume(theirs_config(black_box(CONFIG))),
    );
}

fn documents(c: &mut Criterion) {
    let mut g = c.benchmark_group("manifest");
    g.bench_function("oci-image parse+validate", |b| b.iter(|| ours_manifest(black_box(MANIFEST))));
    g.bench_function("oci-spec parse", |b| b.iter(|| theirs_manifest(black_box(MANIFEST))));
    g.finish();
    let mut g = c.benchmark_group("index");
    g.bench_function("oci-image parse+validate", |b| b.iter(|| ours_index(black_box(INDEX))));
    g.bench_function("oci-spec parse", |b| b.iter(|| theirs_index(black_box(INDEX))));
    g.finish();
    let mut g = c.benchmark_group("config-100-history");
    g.bench_function("oci-image parse+validate", |b| b.iter(|| ours_config(black_box(CONFIG))));
    g.bench_function("oci-spec parse", |b| b.iter(|| theirs_config(black_box(CONFIG))));
    g.finish();
    let mut g = c.benchmark_group("digest");
    let blob = vec![0x5au8; 1 << 20];
    g.throughput(criterion::Throughput::Bytes(blob.len() as u64));
    g.bench_function("sha256 1 MiB", |b| b.iter(|| oci_image::Digest::sha256(black_box(&blob))));
    g.finish();
}

criterion_group!(benches, documents);

fn main() {
    side_by_side();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
