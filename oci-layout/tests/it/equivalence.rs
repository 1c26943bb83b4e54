//! Our unpack equals umoci's for images that umoci and skopeo build from trees with every
//! file type, several layers with whiteouts, and zstd layers: paths, types, modes, owners,
//! sizes, contents, link targets, devices and xattrs.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use oci_layout::Layout;
use oci_layout::layer::ApplyOptions;

use crate::{path_str, run};

/// Every entry of a tree, described (relative path → description).
fn describe(root: &Path) -> BTreeMap<String, String> {
    fn go(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let mut d = format!("mode={:o} owner={}:{}", m.mode(), m.uid(), m.gid());
            if m.is_file() {
                d += &format!(
                    " size={} sha256={}",
                    m.len(),
                    oci_image::Digest::sha256(&std::fs::read(&p).unwrap())
                );
            } else if m.file_type().is_symlink() {
                d += &format!(" -> {}", std::fs::read_link(&p).unwrap().display());
            } else if !m.is_dir() {
                d += &format!(" rdev={}", m.rdev());
            }
            let mut names = vec![0u8; 4096];
            if let Ok(n) = rustix::fs::llistxattr(&p, &mut names) {
                let mut attrs: Vec<String> = names[..n]
                    .split(|&b| b == 0)
                    .filter(|n| !n.is_empty())
                    .map(|n| {
                        let name = String::from_utf8_lossy(n).into_owned();
                        let mut v = vec![0u8; 4096];
                        let len = rustix::fs::lgetxattr(&p, name.as_str(), &mut v).unwrap_or(0);
                        format!("{name}={:?}", &v[..len])
                    })
                    .collect();
                attrs.sort();
                d += &format!(" xattrs={attrs:?}");
            }
            out.insert(rel, d);
            if m.is_dir() {
                go(root, &p, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    go(root, root, &mut out);
    out
}

pub(crate) fn assert_same_tree(ours: &Path, theirs: &Path, what: &str) {
    let (a, b) = (describe(ours), describe(theirs));
    let differences: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .take(10)
        .map(|k| format!("{k}: ours {:?} / umoci {:?}", a.get(k), b.get(k)))
        .collect();
    assert!(
        differences.is_empty(),
        "{what}: {} entries vs {}:\n{}",
        a.len(),
        b.len(),
        differences.join("\n")
    );
    assert!(a.len() > 20, "{what}: the tree is too small to prove anything");
}

/// The first layer's tree: every file type, odd modes and owners, long and unicode names.
fn base_tree(root: &Path) {
    std::fs::create_dir_all(root.join("etc/conf.d")).unwrap();
    std::fs::create_dir_all(root.join("usr/lib/deep").join("d".repeat(120))).unwrap();
    std::fs::create_dir_all(root.join("var/tmp")).unwrap();
    std::fs::create_dir_all(root.join("to-be-opaque/sub")).unwrap();
    for i in 0..30 {
        std::fs::write(root.join(format!("etc/conf.d/file-{i}.conf")), format!("setting {i}\n"))
            .unwrap();
    }
    std::fs::write(
        root.join("usr/lib/deep").join("d".repeat(120)).join("f".repeat(200)),
        b"long path",
    )
    .unwrap();
    std::fs::write(root.join("etc/ünïcødé-名前"), b"unicode").unwrap();
    std::fs::write(root.join("usr/lib/big"), vec![0x5a; 1 << 20]).unwrap();
    std::fs::write(root.join("usr/lib/setuid"), b"#!/bin/sh\n").unwrap();
    std::fs::set_permissions(root.join("usr/lib/setuid"), std::fs::Permissions::from_mode(0o4755))
        .unwrap();
    std::fs::write(root.join("usr/lib/setgid"), b"x").unwrap();
    std::fs::set_permissions(root.join("usr/lib/setgid"), std::fs::Permissions::from_mode(0o2711))
        .unwrap();
    std::fs::set_permissions(root.join("var/tmp"), std::fs::Permissions::from_mode(0o1777))
        .unwrap();
    std::os::unix::fs::symlink("../usr/lib/big", root.join("etc/link-rel")).unwrap();
    std::os::unix::fs::symlink("/usr/lib/big", root.join("etc/link-abs")).unwrap();
    std::os::unix::fs::symlink("/nowhere/dangling", root.join("etc/link-dangling")).unwrap();
    std::fs::hard_link(root.join("usr/lib/big"), root.join("usr/lib/big-hardlink")).unwrap();
    std::fs::write(root.join("to-be-opaque/a"), b"a").unwrap();
    std::fs::write(root.join("to-be-opaque/sub/b"), b"b").unwrap();
    std::fs::write(root.join("to-be-deleted"), b"gone soon").unwrap();
    std::fs::write(root.join("file-becomes-dir"), b"f").unwrap();
    std::fs::create_dir(root.join("dir-becomes-file")).unwrap();
    std::fs::write(root.join("dir-becomes-file/inner"), b"i").unwrap();
    run("mkfifo", &[path_str(&root.join("var/fifo"))]);
    run("mknod", &[path_str(&root.join("var/null")), "c", "1", "3"]);
    run("chown", &["123456:654321", path_str(&root.join("etc/conf.d/file-1.conf"))]);
    run("chown", &["-h", "1000:1000", path_str(&root.join("etc/link-rel"))]);
    run(
        "setfattr",
        &["-n", "user.comment", "-v", "hello", path_str(&root.join("etc/conf.d/file-2.conf"))],
    );
    run(
        "setfattr",
        &["-n", "trusted.note", "-v", "privileged", path_str(&root.join("etc/conf.d/file-3.conf"))],
    );
}

/// The second layer's changes, made on umoci's bundle rootfs.
fn change(root: &Path) {
    std::fs::remove_file(root.join("to-be-deleted")).unwrap();
    std::fs::remove_dir_all(root.join("to-be-opaque")).unwrap();
    std::fs::create_dir(root.join("to-be-opaque")).unwrap();
    std::fs::write(root.join("to-be-opaque/new"), b"new").unwrap();
    std::fs::remove_file(root.join("file-becomes-dir")).unwrap();
    std::fs::create_dir(root.join("file-becomes-dir")).unwrap();
    std::fs::write(root.join("file-becomes-dir/x"), b"x").unwrap();
    std::fs::remove_dir_all(root.join("dir-becomes-file")).unwrap();
    std::fs::write(root.join("dir-becomes-file"), b"now a file").unwrap();
    std::fs::write(root.join("etc/conf.d/file-4.conf"), b"changed\n").unwrap();
    std::fs::set_permissions(
        root.join("etc/conf.d/file-5.conf"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
}

#[test]
fn unpack_equals_umoci() {
    if !rustix::process::geteuid().is_root() {
        panic!("this test compares owners, devices and trusted xattrs: run it as root");
    }
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let ls = path_str(&l);
    run("umoci", &["init", "--layout", ls]);
    run("umoci", &["new", "--image", &format!("{ls}:empty")]);
    let bundle = dir.path().join("bundle");
    run("umoci", &["unpack", "--image", &format!("{ls}:empty"), path_str(&bundle)]);
    base_tree(&bundle.join("rootfs"));
    run("umoci", &["repack", "--image", &format!("{ls}:v1"), path_str(&bundle)]);
    change(&bundle.join("rootfs"));
    run("umoci", &["repack", "--image", &format!("{ls}:v2"), path_str(&bundle)]);

    // `umoci new` writes a manifest without layers, which the image-spec schema rejects.
    run("umoci", &["rm", "--image", &format!("{ls}:empty")]);
    let layout = Layout::open(&l).unwrap();
    let fsck = layout.fsck().unwrap();
    assert!(fsck.is_ok(), "{:?}", fsck.problems);
    for tag in ["v1", "v2"] {
        let theirs = dir.path().join(format!("umoci-{tag}"));
        run("umoci", &["unpack", "--image", &format!("{ls}:{tag}"), path_str(&theirs)]);
        let ours = dir.path().join(format!("ours-{tag}"));
        let report = layout.unpack(tag, None, &ours, &ApplyOptions::default()).unwrap();
        assert!(report.layers.iter().all(|l| l.skipped.is_empty()), "{:?}", report.layers);
        assert_same_tree(&ours, &theirs.join("rootfs"), tag);
    }
    // The same image with its layers recompressed by the zstd tool (umoci cannot read
    // zstd; skopeo 1.9 reuses the gzip blobs).
    let v2 = layout.image(&layout.resolve("v2", None).unwrap()).unwrap();
    let mut layers = Vec::new();
    for layer in &v2.manifest.layers {
        let blob = dir.path().join("layout/blobs/sha256").join(layer.digest.encoded());
        let out = dir.path().join(format!("{}.zst", layer.digest.encoded()));
        let script = format!("gzip -dc {} | zstd -q -19 -o {}", blob.display(), out.display());
        run("sh", &["-c", &script]);
        let bytes = std::fs::read(&out).unwrap();
        layers.push(layout.put_bytes(oci_image::MediaType::ImageLayerZstd, &bytes).unwrap());
    }
    let zstd_image = layout.write_image(&v2.config, layers, Default::default()).unwrap();
    layout.tag(&zstd_image, "v2-zstd").unwrap();
    let zstd = dir.path().join("ours-zstd");
    let image = layout.image(&layout.resolve("v2-zstd", None).unwrap()).unwrap();
    assert!(
        image.manifest.layers.iter().all(|l| l.media_type == oci_image::MediaType::ImageLayerZstd)
    );
    layout.unpack("v2-zstd", None, &zstd, &ApplyOptions::default()).unwrap();
    assert_same_tree(&zstd, &dir.path().join("umoci-v2/rootfs"), "v2-zstd");
    // The second layer really exercised whiteouts and type changes.
    assert!(!zstd.join("to-be-deleted").exists() && !zstd.join("to-be-opaque/a").exists());
    assert!(zstd.join("file-becomes-dir").is_dir() && zstd.join("dir-becomes-file").is_file());
}
