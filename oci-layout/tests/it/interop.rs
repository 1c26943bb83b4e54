//! Layouts written by skopeo and umoci are read by us; ours are read by them.

use oci_image::content::{self, CopyOptions};
use oci_layout::Layout;

use crate::{path_str, run, small_image};

fn umoci_layout(dir: &std::path::Path) -> std::path::PathBuf {
    let l = dir.join("umoci");
    let s = path_str(&l);
    run("umoci", &["init", "--layout", s]);
    run("umoci", &["new", "--image", &format!("{s}:t")]);
    let bundle = dir.join("bundle");
    run("umoci", &["unpack", "--rootless", "--image", &format!("{s}:t"), path_str(&bundle)]);
    std::fs::write(bundle.join("rootfs/hello"), b"hello").unwrap();
    run("umoci", &["repack", "--image", &format!("{s}:t"), path_str(&bundle)]);
    l
}

#[test]
fn we_read_what_they_write() {
    let dir = tempfile::tempdir().unwrap();
    let umoci = umoci_layout(dir.path());
    let layout = Layout::open(&umoci).unwrap();
    let report = layout.fsck().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    let image = layout.image(&layout.resolve("t", None).unwrap()).unwrap();
    assert_eq!(image.manifest.layers.len(), 1);

    let skopeo = dir.path().join("skopeo");
    run(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci:{}:t", path_str(&umoci)),
            &format!("oci:{}:s", path_str(&skopeo)),
        ],
    );
    let layout = Layout::open(&skopeo).unwrap();
    assert!(layout.fsck().unwrap().is_ok());
    let d = layout.resolve("s", Some(&"linux/amd64".parse().unwrap())).unwrap();
    assert_eq!(layout.image(&d).unwrap().manifest.layers, image.manifest.layers);
}

#[test]
fn they_read_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours");
    let layout = Layout::create(&ours).unwrap();
    let image = small_image(&layout, "amd64", &[b"first", b"second"]);
    layout.tag(&image, "v1").unwrap();
    let o = path_str(&ours);

    let inspect: serde_json::Value =
        serde_json::from_str(&run("skopeo", &["inspect", &format!("oci:{o}:v1")])).unwrap();
    assert_eq!(inspect["Digest"], image.digest.as_str());
    assert_eq!(inspect["Layers"].as_array().unwrap().len(), 2);

    let copy = dir.path().join("copy");
    run(
        "skopeo",
        &["copy", "--quiet", &format!("oci:{o}:v1"), &format!("oci:{}:v1", path_str(&copy))],
    );
    let copied = Layout::open(&copy).unwrap();
    // skopeo compresses uncompressed layers on the way, so the manifest differs, but the
    // configuration (and with it every diff_id) is ours byte for byte.
    let theirs = copied.image(&copied.resolve("v1", None).unwrap()).unwrap();
    let mine = layout.image(&image).unwrap();
    assert_eq!(theirs.manifest.config, mine.manifest.config);
    assert_eq!(theirs.manifest.layers.len(), 2);
    assert!(copied.fsck().unwrap().is_ok());

    let ls = run("umoci", &["ls", "--layout", o]);
    assert!(ls.lines().any(|l| l.trim() == "v1"), "{ls}");
    let bundle = dir.path().join("bundle");
    run("umoci", &["unpack", "--rootless", "--image", &format!("{o}:v1"), path_str(&bundle)]);
    assert_eq!(std::fs::read(bundle.join("rootfs/file.txt")).unwrap(), b"second");

    // Our copy of their layout back again is byte-identical content.
    let back = Layout::create(dir.path().join("back")).unwrap();
    content::copy(&copied, "v1", &back, "v1", &CopyOptions::default()).unwrap();
    assert!(back.fsck().unwrap().is_ok());
}

#[test]
fn oci_image_tool_validates_our_layout() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("l")).unwrap();
    let image = small_image(&layout, "amd64", &[b"x"]);
    layout.tag(&image, "v1").unwrap();
    // `run` fails the test unless the tool exits 0, which it does only for a valid image.
    let out = run(
        "oci-image-tool",
        &["validate", "--type", "image", "--ref", "name=v1", path_str(&dir.path().join("l"))],
    );
    assert!(!out.contains("error"), "{out}");
}
