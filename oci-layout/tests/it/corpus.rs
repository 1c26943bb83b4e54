//! Our unpack equals umoci's on the repository's corpus of real images
//! (`scripts/make-corpus.sh`): a debootstrap base, an application image with every kind of
//! entry, changes, whiteouts and a GNU tar layer, the same image as zstd and as plain tar,
//! and a multi-platform index.
//!
//! The corpus is built into a temporary directory, unless `OCI_CORPUS` names one that the
//! script has already built (`OCI_CORPUS=/tmp/corpus cargo test ... corpus`).

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use oci_image::{Digest, MediaType, Platform};
use oci_layout::Layout;
use oci_layout::layer::ApplyOptions;

use crate::equivalence::assert_same_tree;
use crate::{path_str, run};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/make-corpus.sh");

/// The single-platform images of the corpus, sorted.
const IMAGES: [&str; 4] = ["app", "app-uncompressed", "app-zstd", "base"];

/// A scratch directory in memory where there is one.
fn scratch() -> tempfile::TempDir {
    let builder = tempfile::Builder::new().prefix("oci-corpus-test-").tempdir_in("/dev/shm");
    match builder {
        Ok(dir) => dir,
        Err(_) => tempfile::tempdir().unwrap(),
    }
}

/// The sets of paths that name one inode (hard links), which `describe` does not see.
fn hard_links(root: &Path) -> BTreeSet<Vec<String>> {
    fn walk(root: &Path, dir: &Path, inodes: &mut BTreeMap<u64, Vec<String>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let m = std::fs::symlink_metadata(&path).unwrap();
            if m.is_dir() {
                walk(root, &path, inodes);
            } else if m.nlink() > 1 {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                inodes.entry(m.ino()).or_default().push(rel);
            }
        }
    }
    let mut inodes = BTreeMap::new();
    walk(root, root, &mut inodes);
    inodes
        .into_values()
        .map(|mut names| {
            names.sort();
            names
        })
        .collect()
}

/// Unpacks `reference` with our library and compares the tree with umoci's `theirs`.
fn check(layout: &Layout, reference: &str, platform: Option<&Platform>, theirs: &Path, dir: &Path) {
    let ours = dir.join(format!("ours-{reference}"));
    let report = layout
        .unpack(reference, platform, &ours, &ApplyOptions::default())
        .unwrap_or_else(|e| panic!("{reference}: our unpack failed: {e}: {e:?}"));
    assert!(report.layers.iter().all(|l| l.skipped.is_empty()), "{:?}", report.layers);
    assert_same_tree(&ours, theirs, reference);
    let (a, b) = (hard_links(&ours), hard_links(theirs));
    assert_eq!(a, b, "{reference}: hard links differ (ours, then umoci's)");
    if reference.starts_with("app") {
        assert!(!a.is_empty(), "{reference}: the image should hold hard links");
        features(&ours, reference);
    }
    std::fs::remove_dir_all(&ours).unwrap();
}

/// The app image really holds what the corpus is meant to exercise (so that a weaker corpus
/// cannot make this test pass vacuously).
fn features(root: &Path, what: &str) {
    let a = root.join("opt/app");
    let list = |p: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let meta = |p: &str| std::fs::symlink_metadata(a.join(p)).unwrap();
    assert_eq!(list(&a.join("small/d001")), ["survivor"], "{what}: opaque directory");
    assert_eq!(list(&root.join("etc/apt/apt.conf.d")), ["90corpus"], "{what}: opaque directory");
    for gone in ["sticky", "bin/setgid-ls", "small/d002", "small/d003", "hard/x/second"] {
        assert!(!a.join(gone).exists(), "{what}: {gone} should be whited out");
    }
    assert!(!root.join("usr/share/doc/libc6").exists() && !root.join("etc/issue.net").exists());
    assert!(root.join("usr/share/man/man1/corpus.1").is_file(), "{what}: re-added after removal");
    assert!(meta("to-change/file-to-dir").is_dir() && meta("to-change/dir-to-file").is_file());
    assert!(meta("to-change/dir-to-link").file_type().is_symlink());
    assert!(
        meta("special/null").file_type().is_char_device()
            && meta("special/fifo").file_type().is_fifo()
    );
    assert_eq!((meta("data/big-ids").uid(), meta("gnu/huge-ids").gid()), (3_000_000, 3_000_003));
    assert_eq!(meta("bin/setuid-ls").mode() & 0o7777, 0o4755);
    assert!(meta("data/big.log").len() >= 1 << 20);
    let xattr = |p: &str, name: &str| {
        let mut value = vec![0u8; 256];
        let len = rustix::fs::lgetxattr(a.join(p), name, &mut value)
            .unwrap_or_else(|e| panic!("{what}: {p} has no xattr {name}: {e}"));
        value.truncate(len);
        value
    };
    assert_eq!(xattr("etc/config.json", "user.origin"), b"make-corpus layer 2");
    assert_eq!(xattr("data/big.log", "trusted.corpus"), b"trusted namespace");
    assert_eq!(xattr("etc", "user.purpose"), b"a directory with an xattr");
}

#[test]
fn corpus_unpack_equals_umoci() {
    assert!(
        rustix::process::geteuid().is_root(),
        "this test builds the corpus (debootstrap, mknod, chown) and compares owners, devices \
         and trusted xattrs: run it as root"
    );
    let dir = scratch();
    let corpus = match std::env::var_os("OCI_CORPUS") {
        Some(corpus) => PathBuf::from(corpus),
        None => {
            let out = dir.path().join("corpus");
            println!("{}", run("bash", &[SCRIPT, path_str(&out)]));
            out
        }
    };
    let l = corpus.join("layout");
    let layout = Layout::open(&l).unwrap_or_else(|e| panic!("{}: {e}", l.display()));

    let tags = layout.tags().unwrap();
    let mut images: Vec<&str> = tags
        .iter()
        .filter(|(_, d)| d.media_type == MediaType::ImageManifest)
        .map(|(tag, _)| tag.as_str())
        .collect();
    images.sort_unstable();
    assert_eq!(images, IMAGES, "the single-platform images of {}", l.display());

    // umoci 0.4.7 cannot read zstd layers: a zstd image is compared with umoci's tree of the
    // image whose layers decompress to the same tar streams (equal diff_ids).
    let zstd = |tag: &str| {
        let image = layout.image(&layout.resolve(tag, None).unwrap()).unwrap();
        let is_zstd =
            image.manifest.layers.iter().any(|l| l.media_type == MediaType::ImageLayerZstd);
        (is_zstd, image.config.rootfs.diff_ids)
    };
    images.sort_by_key(|tag| zstd(tag).0);
    let mut umoci_trees: BTreeMap<Vec<Digest>, PathBuf> = BTreeMap::new();
    for tag in images {
        let (is_zstd, diff_ids) = zstd(tag);
        let theirs = if is_zstd {
            umoci_trees
                .get(&diff_ids)
                .unwrap_or_else(|| panic!("{tag}: no twin umoci can read"))
                .clone()
        } else {
            let bundle = dir.path().join(format!("umoci-{tag}"));
            run(
                "umoci",
                &["unpack", "--image", &format!("{}:{tag}", path_str(&l)), path_str(&bundle)],
            );
            umoci_trees.entry(diff_ids).or_insert_with(|| bundle.join("rootfs"));
            bundle.join("rootfs")
        };
        check(&layout, tag, None, &theirs, dir.path());
    }

    // The index resolves, for this machine's platform, to base.
    let base = layout.image(&layout.resolve("base", None).unwrap()).unwrap();
    let platform = Platform::new("linux", base.config.architecture.as_str());
    let theirs = dir.path().join("umoci-base/rootfs");
    check(&layout, "multi", Some(&platform), &theirs, dir.path());
}
