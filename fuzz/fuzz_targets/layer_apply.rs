//! The layer applier on arbitrary tar streams, one or two layers, into a fresh root with
//! a sentinel directory beside it: as plain tar, gzip-compressed tar (the whole pipeline
//! and its gzip reader), or the raw bytes declared as gzip (the gzip reader on garbage).
//! The oracle: nothing outside the root changes, and nothing panics, whatever the bytes.
#![no_main]

use std::io::Write;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oci_image::{Descriptor, Digest, MediaType};
use oci_layout::layer::{self, ApplyOptions};

fn snapshot(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        let m = std::fs::symlink_metadata(&p).unwrap();
        let content = if m.is_file() { std::fs::read(&p).unwrap() } else { Vec::new() };
        out.push(format!("{} {:?} {:?}", p.display(), std::os::unix::fs::MetadataExt::mode(&m), content));
        if m.is_dir() {
            snapshot(&p, out);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else { return };
    let cut = (usize::from(split) * rest.len()) / 256;
    let layers: Vec<&[u8]> = if split % 2 == 0 { vec![rest] } else { vec![&rest[..cut], &rest[cut..]] };
    let compression = (split >> 1) % 4;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let sentinel = dir.path().join("sentinel");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(sentinel.join("d")).unwrap();
    std::fs::write(sentinel.join("f"), b"keep").unwrap();
    let mut before = Vec::new();
    snapshot(dir.path(), &mut before);
    before.retain(|l| !l.contains("/root"));

    let mut options = ApplyOptions::default();
    options.max_total_size = 16 << 20;
    options.max_entries = 10_000;
    for layer_bytes in layers {
        let diff_id = Digest::sha256(layer_bytes);
        let (media_type, blob) = match compression {
            2 => {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                gz.write_all(layer_bytes).unwrap();
                (MediaType::ImageLayerGzip, gz.finish().unwrap())
            }
            3 => (MediaType::ImageLayerGzip, layer_bytes.to_vec()),
            _ => (MediaType::ImageLayer, layer_bytes.to_vec()),
        };
        let descriptor = Descriptor::for_bytes(media_type, &blob);
        let _ = layer::apply(&root, blob.as_slice(), &descriptor, &diff_id, &options);
    }
    let mut after = Vec::new();
    snapshot(dir.path(), &mut after);
    after.retain(|l| !l.contains("/root"));
    assert_eq!(before, after, "something outside the root changed");
    assert!(std::fs::symlink_metadata(&root).unwrap().is_dir(), "the root was retyped");
});
