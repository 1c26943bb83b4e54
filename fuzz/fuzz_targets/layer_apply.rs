//! The layer applier on arbitrary tar streams, one or two layers, into a fresh root with
//! a sentinel directory beside it: as plain tar, gzip- or zstd-compressed tar (the whole
//! pipeline and its decoders), or the raw bytes declared as gzip or zstd (the decoders on
//! garbage). The oracle: nothing outside the root changes, and nothing panics, whatever
//! the bytes; and a gzip- or zstd-compressed layer is accepted exactly when the same tar
//! is. With `--features isal`, gzip goes through ISA-L.
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
    let compression = (split >> 1) % 6;

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
                // Stored, fixed-Huffman-heavy and dynamic blocks.
                let level = [0, 1, 9][usize::from(split >> 4) % 3];
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
                gz.write_all(layer_bytes).unwrap();
                (MediaType::ImageLayerGzip, gz.finish().unwrap())
            }
            3 => (MediaType::ImageLayerGzip, layer_bytes.to_vec()),
            4 => {
                // Small windows, so that zstd's history crosses the decoder's segments.
                let mut z = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
                z.window_log(10 + u32::from(split >> 4) % 4).unwrap();
                z.write_all(layer_bytes).unwrap();
                (MediaType::ImageLayerZstd, z.finish().unwrap())
            }
            5 => (MediaType::ImageLayerZstd, layer_bytes.to_vec()),
            _ => (MediaType::ImageLayer, layer_bytes.to_vec()),
        };
        let descriptor = Descriptor::for_bytes(media_type, &blob);
        let result = layer::apply(&root, blob.as_slice(), &descriptor, &diff_id, &options);
        if compression == 2 || compression == 4 {
            let plain = dir.path().join("root-plain");
            std::fs::create_dir_all(&plain).unwrap();
            let d = Descriptor::for_bytes(MediaType::ImageLayer, layer_bytes);
            let expected = layer::apply(&plain, layer_bytes, &d, &diff_id, &options);
            assert_eq!(result.is_ok(), expected.is_ok(), "{result:?} against {expected:?}");
        }
    }
    let mut after = Vec::new();
    snapshot(dir.path(), &mut after);
    after.retain(|l| !l.contains("/root"));
    assert_eq!(before, after, "something outside the root changed");
    assert!(std::fs::symlink_metadata(&root).unwrap().is_dir(), "the root was retyped");
});
