//! Creating layers from directories, and round trips through apply, umoci and skopeo.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use oci_image::{Compression, History, ImageConfiguration};
use oci_layout::Layout;
use oci_layout::layer::{self, ApplyOptions, CreateOptions};

use crate::{path_str, run};

/// A tree with every common file type.
fn tree(root: &Path) {
    std::fs::create_dir_all(root.join("etc/conf.d")).unwrap();
    std::fs::write(root.join("etc/hosts"), b"127.0.0.1 localhost\n").unwrap();
    std::fs::write(root.join("etc/conf.d/big"), vec![7u8; 3 << 20]).unwrap();
    std::fs::set_permissions(root.join("etc/hosts"), std::fs::Permissions::from_mode(0o4755))
        .unwrap();
    std::os::unix::fs::symlink("hosts", root.join("etc/link")).unwrap();
    std::fs::hard_link(root.join("etc/hosts"), root.join("etc/hard")).unwrap();
    std::fs::create_dir(root.join("empty")).unwrap();
    std::fs::write(root.join(format!("{}.txt", "n".repeat(150))), b"long name").unwrap();
}

/// (path, mode, size, content hash, link target) of every entry, for comparisons.
fn listing(root: &Path) -> Vec<String> {
    fn go(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            let m = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let content = if m.is_file() {
                oci_image::Digest::sha256(&std::fs::read(&p).unwrap()).to_string()
            } else {
                String::new()
            };
            let link = if m.file_type().is_symlink() {
                std::fs::read_link(&p).unwrap().display().to_string()
            } else {
                String::new()
            };
            let size = if m.is_file() { m.size() } else { 0 };
            out.push(format!("{rel} {:o} {size} {content} {link}", m.mode()));
            if m.is_dir() {
                go(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    go(root, root, &mut out);
    out
}

#[test]
fn create_apply_round_trip_every_compression() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    tree(&src);
    for (compression, threads) in [
        (Compression::Gzip, 1),
        (Compression::Gzip, 4),
        (Compression::Zstd, 2),
        (Compression::None, 1),
    ] {
        let mut options = CreateOptions::default();
        options.compression = compression;
        options.threads = threads;
        let mut bytes = Vec::new();
        let created = layer::create(&src, None, &mut bytes, &options).unwrap();
        assert_eq!(created.descriptor.size, bytes.len() as u64);
        created.descriptor.verify(&bytes).unwrap();
        let out = dir.path().join(format!("out-{compression:?}-{threads}"));
        std::fs::create_dir(&out).unwrap();
        layer::apply(
            &out,
            &bytes[..],
            &created.descriptor,
            &created.diff_id,
            &ApplyOptions::default(),
        )
        .unwrap();
        assert_eq!(listing(&out), listing(&src), "{compression:?} x{threads}");
        assert_eq!(
            std::fs::metadata(out.join("etc/hard")).unwrap().ino(),
            std::fs::metadata(out.join("etc/hosts")).unwrap().ino()
        );
    }
}

#[test]
fn deterministic_with_fixed_time_and_owner() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    tree(&a);
    std::thread::sleep(std::time::Duration::from_millis(20));
    tree(&b);
    let mut options = CreateOptions::default();
    options.mtime = Some(1_700_000_000);
    options.owner = Some((0, 0));
    let one = layer::create(&a, None, std::io::sink(), &options).unwrap();
    let two = layer::create(&b, None, std::io::sink(), &options).unwrap();
    assert_eq!(one.diff_id, two.diff_id);
    assert_eq!(one.descriptor, two.descriptor);
}

#[test]
fn diff_with_whiteouts() {
    let dir = tempfile::tempdir().unwrap();
    let lower = dir.path().join("lower");
    tree(&lower);
    let upper = dir.path().join("upper");
    run("cp", &["-a", path_str(&lower), path_str(&upper)]);
    std::fs::remove_file(upper.join("etc/link")).unwrap();
    std::fs::remove_dir_all(upper.join("etc/conf.d")).unwrap();
    std::fs::write(upper.join("etc/new"), b"new").unwrap();
    let mut options = CreateOptions::default();
    options.compression = Compression::None;
    let mut bytes = Vec::new();
    let created = layer::create(&upper, Some(&lower), &mut bytes, &options).unwrap();
    let mut names = Vec::new();
    for e in tar::Archive::new(&bytes[..]).entries().unwrap() {
        names.push(e.unwrap().path().unwrap().display().to_string());
    }
    assert!(names.contains(&"etc/.wh.link".to_owned()), "{names:?}");
    assert!(names.contains(&"etc/.wh.conf.d".to_owned()), "{names:?}");
    assert!(names.contains(&"etc/new".to_owned()), "{names:?}");
    assert!(
        !names.iter().any(|n| n.contains("hosts")),
        "unchanged files are not in the diff: {names:?}"
    );
    // Applying the diff on a copy of lower gives upper.
    let result = dir.path().join("result");
    run("cp", &["-a", path_str(&lower), path_str(&result)]);
    layer::apply(
        &result,
        &bytes[..],
        &created.descriptor,
        &created.diff_id,
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(listing(&result), listing(&upper));
}

#[test]
fn images_we_create_are_accepted_by_umoci_and_skopeo() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    tree(&src);
    let l = dir.path().join("l");
    let layout = Layout::create(&l).unwrap();
    let created = layout.put_layer(&src, None, &CreateOptions::default()).unwrap();
    let mut config =
        ImageConfiguration::new("linux", oci_image::Platform::host().architecture.as_str());
    config.rootfs.diff_ids.push(created.diff_id.clone());
    config.history.push(History::default());
    let image = layout.write_image(&config, vec![created.descriptor], Default::default()).unwrap();
    layout.tag(&image, "made").unwrap();
    assert!(layout.fsck().unwrap().is_ok());

    let bundle = dir.path().join("bundle");
    run(
        "umoci",
        &["unpack", "--rootless", "--image", &format!("{}:made", path_str(&l)), path_str(&bundle)],
    );
    assert_eq!(listing(&bundle.join("rootfs")), listing(&src));

    let copy = dir.path().join("copy");
    run(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci:{}:made", path_str(&l)),
            &format!("oci:{}:made", path_str(&copy)),
        ],
    );
    let ours = dir.path().join("ours");
    Layout::open(&copy).unwrap().unpack("made", None, &ours, &ApplyOptions::default()).unwrap();
    assert_eq!(listing(&ours), listing(&src));
}
