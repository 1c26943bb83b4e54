//! The seed corpus of the `layer_apply` fuzz target (`fuzz/seeds/layer_apply/`), made
//! here: small layers of every entry type, whiteouts, long names, PAX records, and the
//! hostile forms of the layer tests. This test applies each seed as the fuzz target does
//! (the sentinel beside the root must not change) and checks that the committed files are
//! the ones it makes; `OCI_WRITE_FUZZ_SEEDS=1` writes them.
//!
//! A fuzz input is one byte (even: one layer; `(byte >> 1) % 6` picks plain, gzip or zstd;
//! odd: two layers cut at `byte * len / 256`) followed by the layer bytes.
//!
//! The seeds of `archive_import` (`fuzz/seeds/archive_import/`) are made the same way:
//! archives our exporters write, and hostile variations of them; its first byte picks
//! `oci-archive` (even) or `docker-archive` (odd, asking for `example/app:v1` when bit 1
//! is set).

use std::path::PathBuf;

use crate::layer::{Raw, header, raw, tar};

const PLAIN: u8 = 0;
const GZIP: u8 = 4;
const ZSTD: u8 = 8;

fn with(name: &'static [u8], kind: u8, f: impl FnOnce(&mut Raw<'static>)) -> Raw<'static> {
    let mut r = raw(name, kind);
    f(&mut r);
    r
}

fn file(name: &'static [u8], data: &'static [u8]) -> Raw<'static> {
    with(name, b'0', |r| r.data = data)
}

fn link(name: &'static [u8], kind: u8, target: &'static [u8]) -> Raw<'static> {
    with(name, kind, |r| r.link = target)
}

/// A device entry: `tar` cannot say major and minor, so they are patched in.
fn device(name: &[u8], kind: u8, major: u32, minor: u32) -> Vec<u8> {
    let mut h = header(&raw(name, kind));
    h[329..337].copy_from_slice(format!("{major:07o}\0").as_bytes());
    h[337..345].copy_from_slice(format!("{minor:07o}\0").as_bytes());
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h.to_vec()
}

/// Entries followed by extra blocks (device headers, say), then the end of the archive.
fn tar_with(entries: &[Raw<'_>], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = tar(entries);
    bytes.truncate(bytes.len() - 1024);
    for block in extra {
        bytes.extend_from_slice(block);
    }
    bytes.resize(bytes.len() + 1024, 0);
    bytes
}

/// A layer built with the `tar` crate, as real tools write them: GNU long names and
/// links, or PAX records.
fn tar_crate(f: impl FnOnce(&mut ::tar::Builder<Vec<u8>>)) -> Vec<u8> {
    let mut b = ::tar::Builder::new(Vec::new());
    b.mode(::tar::HeaderMode::Deterministic);
    f(&mut b);
    b.into_inner().unwrap()
}

fn header_of(gnu: bool, kind: ::tar::EntryType, size: u64, mode: u32) -> ::tar::Header {
    let mut h = if gnu { ::tar::Header::new_gnu() } else { ::tar::Header::new_ustar() };
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(1_700_000_000);
    h.set_cksum();
    h
}

/// A PAX extended header entry with `records`, then a ustar entry it describes.
fn pax(records: &[(&str, &[u8])], entry: &Raw<'_>) -> Vec<u8> {
    let mut body = Vec::new();
    for (key, value) in records {
        // "%d %s=%s\n", where the length counts itself.
        let rest = key.len() + value.len() + 3;
        let mut len = rest + 1;
        while (len + rest).to_string().len() + rest != len {
            len = (len + rest).to_string().len() + rest;
        }
        body.extend_from_slice(format!("{len} {key}=").as_bytes());
        body.extend_from_slice(value);
        body.push(b'\n');
    }
    let mut x = raw(b"PaxHeaders/entry", b'x');
    x.data = &body;
    let mut bytes = tar(&[x]);
    bytes.truncate(bytes.len() - 1024);
    let mut rest = tar(std::slice::from_ref(entry));
    bytes.append(&mut rest);
    bytes
}

/// Two layers as one fuzz input: an odd first byte whose cut falls exactly between
/// them (the second padded with zeros after its end, which the applier reads and hashes
/// as trailing data), and a compression that is not garbage.
fn two_layers(first: &[u8], second: &[u8]) -> Vec<u8> {
    for split in (1..=255u8).rev().step_by(2) {
        if ![0, 1, 2, 4].contains(&((split >> 1) % 6)) {
            continue;
        }
        for pad in 0..4096 {
            let total = first.len() + second.len() + pad;
            if usize::from(split) * total / 256 == first.len() {
                let mut input = vec![split];
                input.extend_from_slice(first);
                input.extend_from_slice(second);
                input.resize(1 + total, 0);
                return input;
            }
        }
    }
    panic!("no split byte cuts these layers apart");
}

fn one(mode: u8, layer: Vec<u8>) -> Vec<u8> {
    let mut input = vec![mode];
    input.extend(layer);
    input
}

/// Every seed: its file name and the fuzz input.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let sizes: Vec<Vec<u8>> =
        [0usize, 1, 511, 512, 513, 4096].iter().map(|&n| vec![b'x'; n]).collect();
    let files = {
        let mut entries = vec![raw(b"data/", b'5')];
        let names: [&'static [u8]; 6] =
            [b"data/0", b"data/1", b"data/511", b"data/512", b"data/513", b"data/4096"];
        for (name, data) in names.iter().zip(&sizes) {
            let mut f = raw(name, b'0');
            f.data = data;
            entries.push(f);
        }
        entries.push(with(b"data/private", b'0', |r| {
            r.data = b"secret";
            r.mode = 0o600;
        }));
        tar(&entries)
    };
    let every_type = tar_with(
        &[
            raw(b"bin/", b'5'),
            with(b"bin/tool", b'0', |r| {
                r.data = b"#!/bin/sh\n";
                r.mode = 0o4755;
                r.uid = 1234;
            }),
            with(b"tmp/", b'5', |r| r.mode = 0o1777),
            link(b"bin/link", b'2', b"tool"),
            link(b"bin/abs", b'2', b"/bin/tool"),
            link(b"bin/hard", b'1', b"bin/tool"),
            raw(b"run/fifo", b'6'),
            raw(b"dev/", b'5'),
        ],
        &[device(b"dev/null", b'3', 1, 3), device(b"dev/loop0", b'4', 7, 0)],
    );
    let long_gnu = tar_crate(|b| {
        let name = format!("deep/{}/file", "x".repeat(200));
        let mut h = header_of(true, ::tar::EntryType::Regular, 4, 0o644);
        b.append_data(&mut h, &name, &b"long"[..]).unwrap();
        let mut l = header_of(true, ::tar::EntryType::Symlink, 0, 0o777);
        b.append_link(&mut l, "deep/link", format!("{}/target", "y".repeat(150))).unwrap();
        let mut hl = header_of(true, ::tar::EntryType::Link, 0, 0o644);
        b.append_link(&mut hl, format!("deep/{}", "h".repeat(120)), &name).unwrap();
    });
    let long_ustar = tar_crate(|b| {
        // ustar's prefix field: a name of 250 bytes split at a slash.
        let name = format!("{}/{}", "p".repeat(120), "n".repeat(90));
        let mut h = header_of(false, ::tar::EntryType::Regular, 2, 0o644);
        b.append_data(&mut h, &name, &b"ok"[..]).unwrap();
    });
    let pax_records = {
        let mut bytes = pax(
            &[
                ("path", "pax/".repeat(40).as_bytes()),
                ("mtime", b"1700000000.123456789"),
                ("uid", b"4000000"),
                ("gid", b"4000000"),
                ("SCHILY.xattr.user.comment", b"from pax"),
            ],
            &file(b"short-name-replaced", b"pax"),
        );
        bytes.extend(pax(
            &[("linkpath", "t".repeat(300).as_bytes())],
            &link(b"pax-link", b'2', b"x"),
        ));
        bytes.extend(pax(
            &[("size", b"3")],
            &with(b"pax-size", b'0', |r| {
                r.data = b"abc";
                r.size_field = Some(99);
            }),
        ));
        bytes.resize(bytes.len() + 1024, 0);
        bytes
    };
    let lower = tar(&[
        raw(b"etc/", b'5'),
        file(b"etc/keep", b"keep"),
        file(b"etc/gone", b"gone"),
        raw(b"opaque/", b'5'),
        file(b"opaque/old", b"old"),
        raw(b"tree/", b'5'),
        raw(b"tree/sub/", b'5'),
        file(b"tree/sub/leaf", b"leaf"),
    ]);
    let upper = tar(&[
        raw(b"etc/.wh.gone", b'0'),
        raw(b"opaque/.wh..wh..opq", b'0'),
        file(b"opaque/new", b"new"),
        raw(b".wh.tree", b'0'),
        file(b"tree", b"now a file"),
    ]);
    let whiteouts_one = tar(&[
        raw(b"a/", b'5'),
        file(b"a/x", b"x"),
        raw(b"a/.wh.x", b'0'),
        raw(b"a/.wh..wh..opq", b'0'),
        raw(b".wh.missing", b'0'),
    ]);
    let dotdot = tar(&[
        file(b"../escape", b"out"),
        file(b"a/../../escape", b"out"),
        file(b"./../x", b"out"),
    ]);
    let absolute = tar(&[file(b"/etc/passwd-in-root", b"inside"), file(b"//double/slash", b"in")]);
    let symlink_escape = tar(&[
        link(b"up", b'2', b"../../.."),
        file(b"up/escaped", b"out"),
        link(b"slash", b'2', b"/"),
        file(b"slash/escaped", b"out"),
        link(b"abs", b'2', b"/tmp"),
        file(b"abs/escaped", b"out"),
    ]);
    let symlink_chain = tar(&[
        link(b"a", b'2', b"b"),
        link(b"b", b'2', b"c"),
        link(b"c", b'2', b"../.."),
        file(b"a/escaped", b"out"),
        link(b"loop1", b'2', b"loop2"),
        link(b"loop2", b'2', b"loop1"),
        file(b"loop1/x", b"x"),
    ]);
    let hardlink_escape = tar(&[
        link(b"h1", b'1', b"../../outside"),
        link(b"h2", b'1', b"/etc/passwd"),
        link(b"s", b'2', b"/etc/passwd"),
        link(b"h3", b'1', b"s"),
        link(b"h4", b'1', b""),
    ]);
    let dir_to_link = tar(&[
        raw(b"d/", b'5'),
        file(b"d/f", b"in"),
        link(b"d", b'2', b"/"),
        file(b"d/escaped", b"out"),
        raw(b"d/", b'5'),
        file(b"d/again", b"in"),
    ]);
    let link_layer = tar(&[link(b"etc", b'2', b"/"), link(b"up", b'2', b"../..")]);
    let through_layer = tar(&[file(b"etc/escaped", b"out"), file(b"up/escaped", b"out")]);
    let whiteout_hostile = tar(&[
        raw(b".wh..", b'0'),
        raw(b".wh...", b'0'),
        raw(b"a/.wh.", b'0'),
        raw(b".wh..wh..wh.x", b'0'),
    ]);
    let whiteout_through_link = (
        tar(&[link(b"l", b'2', b"../.."), raw(b"d/", b'5'), file(b"d/x", b"x")]),
        tar(&[raw(b"l/.wh.sentinel", b'0'), raw(b"l/.wh..wh..opq", b'0')]),
    );
    let shut = tar(&[
        with(b"shut/", b'5', |r| r.mode = 0),
        with(b"shut/inner/", b'5', |r| r.mode = 0o500),
        file(b"shut/inner/file", b"inside"),
        with(b"shut/file", b'0', |r| {
            r.data = b"beside";
            r.mode = 0;
        }),
    ]);
    let size_lies = {
        let mut big = with(b"big", b'0', |r| r.size_field = Some(0o77_777_777_777));
        big.data = b"short";
        let mut bytes = tar(&[big]);
        bytes.extend(pax(&[("size", b"99999999999999999999")], &file(b"huge-pax", b"x")));
        bytes.extend(pax(&[("path", b"")], &file(b"empty-pax-path", b"x")));
        bytes
    };
    let duplicates = tar(&[
        file(b"same", b"first"),
        raw(b"same/", b'5'),
        file(b"same/child", b"child"),
        link(b"same", b'2', b"elsewhere"),
        file(b"same", b"last"),
    ]);
    vec![
        ("files", one(PLAIN, files.clone())),
        ("files-gzip", one(GZIP, files.clone())),
        ("files-zstd", one(ZSTD, files)),
        ("every-type", one(PLAIN, every_type.clone())),
        ("every-type-zstd", one(ZSTD, every_type)),
        ("long-names-gnu", one(PLAIN, long_gnu)),
        ("long-names-ustar-prefix", one(PLAIN, long_ustar)),
        ("pax", one(PLAIN, pax_records.clone())),
        ("pax-gzip", one(GZIP, pax_records)),
        ("whiteouts-two-layers", two_layers(&lower, &upper)),
        ("whiteouts-one-layer", one(PLAIN, whiteouts_one)),
        ("hostile-dotdot", one(PLAIN, dotdot)),
        ("hostile-absolute", one(PLAIN, absolute)),
        ("hostile-symlink-escape", one(PLAIN, symlink_escape)),
        ("hostile-symlink-chain", one(PLAIN, symlink_chain)),
        ("hostile-hardlink-escape", one(PLAIN, hardlink_escape)),
        ("hostile-dir-replaced-by-link", one(PLAIN, dir_to_link)),
        ("hostile-link-across-layers", two_layers(&link_layer, &through_layer)),
        ("hostile-whiteout-names", one(PLAIN, whiteout_hostile)),
        (
            "hostile-whiteout-through-link",
            two_layers(&whiteout_through_link.0, &whiteout_through_link.1),
        ),
        ("shut-directories", one(PLAIN, shut)),
        ("hostile-size-lies", one(PLAIN, size_lies)),
        ("duplicates", one(PLAIN, duplicates)),
    ]
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/layer_apply")
}

/// Writes `seeds` into `dir` with `OCI_WRITE_FUZZ_SEEDS` set, else checks they are there.
fn write_or_check(dir: &std::path::Path, seeds: &[(&str, Vec<u8>)]) {
    let write = std::env::var_os("OCI_WRITE_FUZZ_SEEDS").is_some();
    if write {
        std::fs::create_dir_all(dir).unwrap();
    }
    for (name, input) in seeds {
        let path = dir.join(name);
        if write {
            std::fs::write(&path, input).unwrap();
            continue;
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e}; make the seeds with OCI_WRITE_FUZZ_SEEDS=1", path.display())
        });
        assert!(
            &committed == input,
            "{} is stale: make the seeds with OCI_WRITE_FUZZ_SEEDS=1",
            path.display()
        );
    }
}

/// A tar of `(name, kind, link, content)` members, written byte by byte so that any name
/// can be given.
/// An archive member: name, tar type, link target, content.
type Member<'a> = (&'a [u8], u8, &'a [u8], &'a [u8]);

fn members(entries: &[Member<'_>]) -> Vec<u8> {
    let raws: Vec<Raw<'_>> = entries
        .iter()
        .map(|&(name, kind, link, data)| {
            let mut r = raw(name, kind);
            r.link = link;
            r.data = data;
            r
        })
        .collect();
    tar(&raws)
}

/// The `archive_import` seeds: exports of a small image, and hostile archives.
fn archive_seeds() -> Vec<(&'static str, Vec<u8>)> {
    use oci_image::{Digest, ImageConfiguration, MediaType};
    use oci_layout::{Layout, archive};
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path()).unwrap();
    let layer_tar = tar(&[raw(b"etc/", b'5'), file(b"etc/hello", b"hello")]);
    let layer = layout.put_bytes(MediaType::ImageLayer, &layer_tar).unwrap();
    let mut config = ImageConfiguration::new("linux", "amd64");
    config.rootfs.diff_ids.push(Digest::sha256(&layer_tar));
    let image = layout.write_image(&config, vec![layer], Default::default()).unwrap();
    layout.tag(&image, "v1").unwrap();
    let oci = archive::export_oci(&layout, "v1", "v1", Vec::new()).unwrap();
    let docker = archive::export_docker(&layout, "v1", Some("example/app:v1"), Vec::new()).unwrap();
    let config_bytes = serde_json::to_vec(&config).unwrap();
    let config_name = format!("{}.json", Digest::sha256(&config_bytes).encoded());
    let layer_name = format!("{}.tar", Digest::sha256(&layer_tar).encoded());
    let manifest = |config: &str, layer: &str| {
        format!(r#"[{{"Config":"{config}","RepoTags":["example/app:v1"],"Layers":["{layer}"]}}]"#)
            .into_bytes()
    };
    let good_manifest = manifest(&config_name, &layer_name);
    let escaping_manifest = manifest("../../etc/passwd", &format!("../{layer_name}"));
    let seed = |first: u8, bytes: Vec<u8>| {
        let mut input = vec![first];
        input.extend(bytes);
        input
    };
    vec![
        ("oci-export", seed(0, oci)),
        ("docker-export", seed(1, docker.clone())),
        ("docker-export-named", seed(3, docker)),
        (
            "hostile-oci-member-names",
            seed(
                0,
                members(&[
                    (b"oci-layout", b'0', b"", br#"{"imageLayoutVersion":"1.0.0"}"#),
                    (b"../blobs/sha256/x", b'0', b"", b"escape"),
                    (b"/etc/passwd", b'0', b"", b"absolute"),
                    (b"blobs/sha256/not-a-digest", b'0', b"", b"bad"),
                    (b"index.json", b'2', b"/etc/passwd", b""),
                ]),
            ),
        ),
        (
            "hostile-oci-no-index",
            seed(0, members(&[(b"oci-layout", b'0', b"", br#"{"imageLayoutVersion":"1.0.0"}"#)])),
        ),
        (
            "hostile-docker-links",
            seed(
                1,
                members(&[
                    (config_name.as_bytes(), b'0', b"", &config_bytes),
                    (b"real/layer.tar", b'0', b"", &layer_tar),
                    (layer_name.as_bytes(), b'2', b"../../../etc/passwd", b""),
                    (b"manifest.json", b'0', b"", &good_manifest),
                ]),
            ),
        ),
        (
            "hostile-docker-escaping-manifest",
            seed(
                1,
                members(&[
                    (config_name.as_bytes(), b'0', b"", &config_bytes),
                    (layer_name.as_bytes(), b'0', b"", &layer_tar),
                    (b"manifest.json", b'0', b"", &escaping_manifest),
                ]),
            ),
        ),
        (
            "hostile-docker-diff-id",
            seed(
                3,
                members(&[
                    (config_name.as_bytes(), b'0', b"", &config_bytes),
                    (layer_name.as_bytes(), b'0', b"", b"not the layer"),
                    (b"manifest.json", b'0', b"", &good_manifest),
                ]),
            ),
        ),
    ]
}

#[test]
fn archive_import_seed_corpus_is_current() {
    let seeds = archive_seeds();
    // The exports import back; the hostile archives are refused.
    for (name, input) in &seeds {
        let dir = tempfile::tempdir().unwrap();
        let target = oci_layout::Layout::create(dir.path()).unwrap();
        let (&which, bytes) = input.split_first().unwrap();
        let result = if which % 2 == 0 {
            oci_layout::archive::import_oci(bytes, &target, None, "t")
        } else {
            let wanted = (which & 2 != 0).then_some("example/app:v1");
            oci_layout::archive::import_docker(bytes, &target, wanted, "t")
        };
        assert_eq!(result.is_ok(), !name.starts_with("hostile"), "{name}: {result:?}");
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/archive_import");
    write_or_check(&dir, &seeds);
}

#[test]
fn fuzz_seed_corpus_is_current_and_contained() {
    let seeds = seeds();
    for (_, input) in &seeds {
        // As the fuzz target cuts it: one layer, or two.
        let (&split, rest) = input.split_first().unwrap();
        let cut = usize::from(split) * rest.len() / 256;
        let layers: Vec<&[u8]> =
            if split % 2 == 0 { vec![rest] } else { vec![&rest[..cut], &rest[cut..]] };
        let scene = crate::layer::Scene::new();
        for layer in layers {
            // Hostile seeds may be refused; the scene checks that nothing outside changed.
            let _ = scene.apply(layer);
        }
    }
    write_or_check(&corpus_dir(), &seeds);
    // The well-formed seeds apply whole.
    for name in ["files", "every-type", "long-names-gnu", "pax", "whiteouts-two-layers"] {
        let input = &seeds.iter().find(|(n, _)| *n == name).unwrap().1;
        let (&split, rest) = input.split_first().unwrap();
        let cut = usize::from(split) * rest.len() / 256;
        let scene = crate::layer::Scene::new();
        if split % 2 == 0 {
            scene.apply(rest).unwrap_or_else(|e| panic!("{name}: {e}"));
        } else {
            scene.apply(&rest[..cut]).unwrap_or_else(|e| panic!("{name}: {e}"));
            scene.apply(&rest[cut..]).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
