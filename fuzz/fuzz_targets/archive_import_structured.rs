//! The archive importers on well-formed tar streams: a valid archive of a small image
//! (its layer from the input) is written by our own exporter, `oci-archive` or
//! `docker-archive`, then taken apart into members and changed by `arbitrary` operations
//! (drop, duplicate, swap, rename to `..`, absolute, another blob's or a document's name,
//! retype as a link to anywhere, replace or flip content) and written again with correct
//! checksums. The oracle is `archive_import`'s: nothing panics, nothing outside the layout
//! changes, and a successful import holds its whole graph.
#![no_main]

use std::io::Read;
use std::path::Path;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use oci_image::content::{self, DEFAULT_MAX_DOCUMENT_SIZE, WalkControl};
use oci_image::{Digest, ImageConfiguration, MediaType};
use oci_layout::{Layout, archive};

#[path = "raw_tar.rs"]
mod raw_tar;
use raw_tar::{Head, header, pad};

#[derive(Arbitrary, Debug)]
struct Input {
    docker: bool,
    ask_name: bool,
    layer_file: Vec<u8>,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Drop(u8),
    Duplicate(u8),
    Swap(u8, u8),
    Rename(u8, NewName),
    Link(u8, Target),
    Replace(u8, Vec<u8>),
    Flip(u8, u16, u8),
}

#[derive(Arbitrary, Debug)]
enum NewName {
    /// The name of member `n`.
    Other(u8),
    DotDot,
    Absolute,
    IndexJson,
    ManifestJson,
    OciLayout,
    Prefixed,
}

#[derive(Arbitrary, Debug)]
enum Target {
    /// The name of member `n`.
    Member(u8),
    Outside,
    Absolute,
    Sentinel,
}

#[derive(Clone, Debug)]
struct Member {
    name: Vec<u8>,
    kind: u8,
    link: Vec<u8>,
    data: Vec<u8>,
}

fn members(archive: &[u8]) -> Vec<Member> {
    let mut out = Vec::new();
    let mut reader = tar::Archive::new(archive);
    for entry in reader.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path_bytes().into_owned();
        let kind = entry.header().entry_type().as_byte();
        let link = entry.link_name_bytes().map(|l| l.into_owned()).unwrap_or_default();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.push(Member { name, kind, link, data });
    }
    out
}

fn write(members: &[Member]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in members {
        // Names past the header's 100 bytes are cut: the importers see what they see.
        let data: &[u8] = if m.kind == b'0' || m.kind == 0 { &m.data } else { &[] };
        out.extend_from_slice(&header(&Head {
            name: &m.name,
            kind: m.kind,
            size: data.len() as u64,
            mode: 0o644,
            owner: 0,
            link: &m.link,
            dev: (0, 0),
        }));
        out.extend_from_slice(data);
        pad(&mut out);
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn apply(members: &mut Vec<Member>, op: &Op, sentinel: &Path) {
    if members.is_empty() {
        return;
    }
    let len = members.len();
    let at = |i: &u8| usize::from(*i) % len;
    match op {
        Op::Drop(i) => {
            let i = at(i);
            members.remove(i);
        }
        Op::Duplicate(i) => {
            let m = members[at(i)].clone();
            members.push(m);
        }
        Op::Swap(i, j) => {
            let (i, j) = (at(i), at(j));
            members.swap(i, j);
        }
        Op::Rename(i, new) => {
            let i = at(i);
            members[i].name = match new {
                NewName::Other(j) => members[at(j)].name.clone(),
                NewName::DotDot => [b"../".as_slice(), &members[i].name].concat(),
                NewName::Absolute => [b"/".as_slice(), &members[i].name].concat(),
                NewName::IndexJson => b"index.json".to_vec(),
                NewName::ManifestJson => b"manifest.json".to_vec(),
                NewName::OciLayout => b"oci-layout".to_vec(),
                NewName::Prefixed => [b"./".as_slice(), &members[i].name].concat(),
            };
        }
        Op::Link(i, target) => {
            let i = at(i);
            members[i].kind = b'2';
            members[i].data.clear();
            members[i].link = match target {
                Target::Member(j) => members[at(j)].name.clone(),
                Target::Outside => b"../../outside".to_vec(),
                Target::Absolute => b"/etc/passwd".to_vec(),
                Target::Sentinel => sentinel.as_os_str().as_encoded_bytes().to_vec(),
            };
        }
        Op::Replace(i, bytes) => {
            let i = at(i);
            members[i].data = bytes[..bytes.len().min(4096)].to_vec();
        }
        Op::Flip(i, pos, value) => {
            let m = &mut members[at(i)];
            if !m.data.is_empty() {
                let pos = usize::from(*pos) % m.data.len();
                m.data[pos] ^= value | 1;
            }
        }
    }
}

/// Everything beneath `dir` but `skip`, with modes and contents.
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

/// A valid archive of a one-layer image whose one file holds `content`.
fn valid_archive(dir: &Path, docker: bool, content: &[u8]) -> Vec<u8> {
    let source = Layout::create(dir.join("source")).unwrap();
    let mut builder = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(content.len().min(4096) as u64);
    h.set_mode(0o644);
    h.set_cksum();
    builder.append_data(&mut h, "file", &content[..content.len().min(4096)]).unwrap();
    let layer_tar = builder.into_inner().unwrap();
    let layer = source.put_bytes(MediaType::ImageLayer, &layer_tar).unwrap();
    let mut config = ImageConfiguration::new("linux", "amd64");
    config.rootfs.diff_ids.push(Digest::sha256(&layer_tar));
    let image = source.write_image(&config, vec![layer], Default::default()).unwrap();
    source.tag(&image, "v1").unwrap();
    if docker {
        archive::export_docker(&source, "v1", Some("example/app:v1"), Vec::new()).unwrap()
    } else {
        archive::export_oci(&source, "v1", "v1", Vec::new()).unwrap()
    }
}

fuzz_target!(|input: Input| {
    let dir = tempfile::tempdir().unwrap();
    let sentinel = dir.path().join("sentinel");
    std::fs::create_dir_all(sentinel.join("d")).unwrap();
    std::fs::write(sentinel.join("f"), b"keep").unwrap();
    let valid = valid_archive(dir.path(), input.docker, &input.layer_file);
    let mut parts = members(&valid);
    for op in input.ops.iter().take(16) {
        apply(&mut parts, op, &sentinel);
    }
    let bytes = write(&parts);

    let target_dir = dir.path().join("layout");
    let target = Layout::create(&target_dir).unwrap();
    let mut before = Vec::new();
    snapshot(dir.path(), &target_dir, &mut before);
    let imported = if input.docker {
        let name = input.ask_name.then_some("example/app:v1");
        archive::import_docker(&bytes[..], &target, name, "t")
    } else {
        archive::import_oci(&bytes[..], &target, None, "t")
    };
    if let Ok(root) = imported {
        assert_eq!(target.resolve("t", None).unwrap().digest, root.digest);
        content::walk(&target, &root, DEFAULT_MAX_DOCUMENT_SIZE, |node| {
            let d = node.descriptor;
            if node.document.is_none() && !d.is_external() {
                assert_eq!(target.blob_size(&d.digest).unwrap(), Some(d.size), "{d:?} is missing");
            }
            Ok(WalkControl::Continue)
        })
        .unwrap();
    }
    let mut after = Vec::new();
    snapshot(dir.path(), &target_dir, &mut after);
    assert_eq!(before, after, "something outside the layout changed");
});
