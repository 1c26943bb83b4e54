//! The layer applier on well-formed tar streams built from `arbitrary` entries: every
//! header has a correct checksum, so the fuzzer spends its time in the applier rather than
//! in the tar parser's refusals. Names are made of `.`, `..`, a few words, the sentinel's
//! name and long runs (carried by PAX records); links point anywhere, the sentinel's
//! absolute path included; entries are files, directories, symbolic and hard links,
//! devices, FIFOs, whiteouts and opaque markers, with any mode. Up to three layers, each
//! plain, gzip or zstd. The oracle is `layer_apply`'s: nothing outside the root changes,
//! the root stays a directory, and nothing panics.
#![no_main]

use std::io::Write;
use std::path::Path;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use oci_image::{Descriptor, Digest, MediaType};
use oci_layout::layer::{self, ApplyOptions};

#[path = "raw_tar.rs"]
mod raw_tar;
use raw_tar::{Head, header, pad, record};

#[derive(Arbitrary, Debug)]
struct Input {
    layers: Vec<Layer>,
}

#[derive(Arbitrary, Debug)]
struct Layer {
    compression: Compression,
    entries: Vec<Entry>,
}

#[derive(Arbitrary, Debug)]
enum Compression {
    None,
    Gzip,
    Zstd,
}

#[derive(Arbitrary, Debug)]
struct Entry {
    name: Name,
    kind: Kind,
    mode: u16,
    owner: u8,
    data: Data,
    /// Carry the name in a PAX record even when it fits the header.
    pax: bool,
}

#[derive(Arbitrary, Debug)]
enum Kind {
    File,
    Dir,
    Symlink(Name),
    Hardlink(Name),
    Char(u8, u8),
    Block(u8, u8),
    Fifo,
    /// `.wh.` + the name's last component.
    Whiteout,
    /// The name, then `/.wh..wh..opq`.
    Opaque,
}

#[derive(Arbitrary, Debug)]
struct Name {
    absolute: bool,
    parts: Vec<Part>,
    trailing_slash: bool,
}

#[derive(Arbitrary, Debug)]
enum Part {
    Dot,
    DotDot,
    Word(Word),
    /// `sentinel` in an entry name; the sentinel's absolute path in a link target.
    Sentinel,
    /// A component of 100 + n bytes, beyond what a ustar header holds.
    Long(u8),
}

#[derive(Arbitrary, Debug)]
enum Word {
    A,
    B,
    Etc,
    Sub,
    Wh,
    Root,
}

#[derive(Arbitrary, Debug)]
enum Data {
    Empty,
    Repeat(u8, u16),
    Bytes(Vec<u8>),
}

const MAX_ENTRIES: usize = 64;
const MAX_DATA: usize = 8192;

fn render(name: &Name, sentinel: &Path, link: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if name.absolute {
        out.push(b'/');
    }
    for (i, part) in name.parts.iter().take(12).enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        match part {
            Part::Dot => out.push(b'.'),
            Part::DotDot => out.extend_from_slice(b".."),
            Part::Word(w) => out.extend_from_slice(match w {
                Word::A => b"a",
                Word::B => b"b",
                Word::Etc => b"etc",
                Word::Sub => b"sub",
                Word::Wh => b".wh.a",
                Word::Root => b"root",
            }),
            Part::Sentinel if link => {
                out.extend_from_slice(sentinel.as_os_str().as_encoded_bytes())
            }
            Part::Sentinel => out.extend_from_slice(b"sentinel"),
            Part::Long(n) => out.extend(std::iter::repeat_n(b'l', 100 + usize::from(*n))),
        }
    }
    if name.trailing_slash {
        out.push(b'/');
    }
    out
}

fn tar(layer: &Layer, sentinel: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in layer.entries.iter().take(MAX_ENTRIES) {
        let mut name = render(&entry.name, sentinel, false);
        let mut link = Vec::new();
        let mut dev = (0, 0);
        let kind = match &entry.kind {
            Kind::File => b'0',
            Kind::Dir => b'5',
            Kind::Symlink(target) => {
                link = render(target, sentinel, true);
                b'2'
            }
            Kind::Hardlink(target) => {
                link = render(target, sentinel, false);
                b'1'
            }
            Kind::Char(major, minor) => {
                dev = (*major, *minor);
                b'3'
            }
            Kind::Block(major, minor) => {
                dev = (*major, *minor);
                b'4'
            }
            Kind::Fifo => b'6',
            Kind::Whiteout => {
                let cut = name.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
                name.splice(cut..cut, b".wh.".iter().copied());
                b'0'
            }
            Kind::Opaque => {
                if !name.is_empty() && name.last() != Some(&b'/') {
                    name.push(b'/');
                }
                name.extend_from_slice(b".wh..wh..opq");
                b'0'
            }
        };
        let data: Vec<u8> = match (&entry.data, kind) {
            (Data::Empty, _) | (_, b'1' | b'2' | b'3' | b'4' | b'5' | b'6') => Vec::new(),
            (Data::Repeat(byte, n), _) => vec![*byte; usize::from(*n).min(MAX_DATA)],
            (Data::Bytes(bytes), _) => bytes[..bytes.len().min(MAX_DATA)].to_vec(),
        };
        if entry.pax || name.len() > 100 || link.len() > 100 {
            let mut records = record("path", &name);
            if !link.is_empty() {
                records.extend(record("linkpath", &link));
            }
            out.extend_from_slice(&header(&Head {
                name: b"PaxHeaders/entry",
                kind: b'x',
                size: records.len() as u64,
                mode: 0o644,
                owner: 0,
                link: b"",
                dev: (0, 0),
            }));
            out.extend_from_slice(&records);
            pad(&mut out);
        }
        let mode = u32::from(entry.mode) & 0o7777;
        out.extend_from_slice(&header(&Head {
            name: &name,
            kind,
            size: data.len() as u64,
            mode,
            owner: u64::from(entry.owner),
            link: &link,
            dev,
        }));
        out.extend_from_slice(&data);
        pad(&mut out);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// Everything beneath `dir` but `skip` (the root, whose directories the layers may have
/// shut), with modes and contents.
fn snapshot(dir: &Path, skip: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p == skip {
            continue;
        }
        let m = std::fs::symlink_metadata(&p).unwrap();
        let content = if m.is_file() { std::fs::read(&p).unwrap() } else { Vec::new() };
        out.push(format!(
            "{} {:?} {:?}",
            p.display(),
            std::os::unix::fs::MetadataExt::mode(&m),
            content
        ));
        if m.is_dir() {
            snapshot(&p, skip, out);
        }
    }
}

fuzz_target!(|input: Input| {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let sentinel = dir.path().join("sentinel");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(sentinel.join("d")).unwrap();
    std::fs::write(sentinel.join("f"), b"keep").unwrap();
    let mut before = Vec::new();
    snapshot(dir.path(), &root, &mut before);

    let mut options = ApplyOptions::default();
    options.max_total_size = 16 << 20;
    options.max_entries = 10_000;
    for layer_input in input.layers.iter().take(3) {
        let plain = tar(layer_input, &sentinel);
        let diff_id = Digest::sha256(&plain);
        let (media_type, blob) = match layer_input.compression {
            Compression::None => (MediaType::ImageLayer, plain),
            Compression::Gzip => {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                gz.write_all(&plain).unwrap();
                (MediaType::ImageLayerGzip, gz.finish().unwrap())
            }
            Compression::Zstd => {
                (MediaType::ImageLayerZstd, zstd::encode_all(&plain[..], 1).unwrap())
            }
        };
        let descriptor = Descriptor::for_bytes(media_type, &blob);
        let _ = layer::apply(&root, blob.as_slice(), &descriptor, &diff_id, &options);
    }
    let mut after = Vec::new();
    snapshot(dir.path(), &root, &mut after);
    assert_eq!(before, after, "something outside the root changed");
    assert!(std::fs::symlink_metadata(&root).unwrap().is_dir(), "the root was retyped");
});
