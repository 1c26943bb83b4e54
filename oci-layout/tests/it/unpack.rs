//! Unpacking whole images: all or nothing, equal to umoci's result.

use std::io::Write;

use oci_image::{Digest, History, ImageConfiguration, MediaType};
use oci_layout::layer::ApplyOptions;
use oci_layout::{Layout, UnpackError};

use crate::layer::{raw, tar};
use crate::{path_str, run};

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// An image of three gzip layers: files, a change, a whiteout.
fn image(layout: &Layout) -> oci_image::Descriptor {
    let mut a = raw(b"etc/hello", b'0');
    a.data = b"hello";
    let mut b = raw(b"etc/gone", b'0');
    b.data = b"bye";
    let mut c = raw(b"etc/hello", b'0');
    c.data = b"hello again";
    let layers = [tar(&[raw(b"etc/", b'5'), a, b]), tar(&[c]), tar(&[raw(b"etc/.wh.gone", b'0')])];
    let mut config =
        ImageConfiguration::new("linux", oci_image::Platform::host().architecture.as_str());
    let mut descriptors = Vec::new();
    for l in &layers {
        descriptors.push(layout.put_bytes(MediaType::ImageLayerGzip, &gz(l)).unwrap());
        config.rootfs.diff_ids.push(Digest::sha256(l));
        config.history.push(History::default());
    }
    let d = layout.write_image(&config, descriptors, Default::default()).unwrap();
    layout.tag(&d, "t").unwrap();
    d
}

#[test]
fn unpacks_and_matches_umoci() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("l")).unwrap();
    image(&layout);
    let ours = dir.path().join("ours");
    let report = layout.unpack("t", None, &ours, &ApplyOptions::default()).unwrap();
    assert_eq!(report.layers.len(), 3);
    assert_eq!(std::fs::read(ours.join("etc/hello")).unwrap(), b"hello again");
    assert!(!ours.join("etc/gone").exists());

    let bundle = dir.path().join("bundle");
    run(
        "umoci",
        &[
            "unpack",
            "--rootless",
            "--image",
            &format!("{}:t", path_str(&dir.path().join("l"))),
            path_str(&bundle),
        ],
    );
    assert_eq!(std::fs::read(bundle.join("rootfs/etc/hello")).unwrap(), b"hello again");
    assert!(!bundle.join("rootfs/etc/gone").exists());
    // Existing empty directories are accepted; non-empty ones are refused.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    layout.unpack("t", None, &empty, &ApplyOptions::default()).unwrap();
    assert!(matches!(
        layout.unpack("t", None, &empty, &ApplyOptions::default()),
        Err(UnpackError::Destination(_))
    ));
}

#[test]
fn failure_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("l")).unwrap();
    let d = image(&layout);
    // Corrupt the last layer on disk: the first two apply, the third fails verification.
    let last = layout.image(&d).unwrap().manifest.layers[2].clone();
    let path = dir.path().join("l/blobs/sha256").join(last.digest.encoded());
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 5;
    bytes[at] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let dest = dir.path().join("dest");
    let err = layout.unpack("t", None, &dest, &ApplyOptions::default()).unwrap_err();
    assert!(matches!(err, UnpackError::Layer { index: 2, .. }), "{err:?}");
    assert!(!dest.exists());
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "only the layout remains: {leftovers:?}");
    // An existing empty destination stays as it was.
    std::fs::create_dir(&dest).unwrap();
    assert!(layout.unpack("t", None, &dest, &ApplyOptions::default()).is_err());
    assert!(dest.is_dir() && std::fs::read_dir(&dest).unwrap().next().is_none());
}

#[test]
fn diff_ids_must_count_one_per_layer() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("l")).unwrap();
    let d = image(&layout);
    let image = layout.image(&d).unwrap();
    let mut config = image.config.clone();
    config.rootfs.diff_ids.pop();
    let config = layout.put_json(MediaType::ImageConfig, &config).unwrap();
    let bad = layout
        .put_json(
            MediaType::ImageManifest,
            &oci_image::ImageManifest::new(config, image.manifest.layers),
        )
        .unwrap();
    layout.tag(&bad, "bad").unwrap();
    let err =
        layout.unpack("bad", None, dir.path().join("x"), &ApplyOptions::default()).unwrap_err();
    assert!(err.to_string().contains("diff_ids"), "{err}");
    assert!(
        matches!(
            err,
            UnpackError::Layout(oci_layout::Error::DiffIdCount { layers: 3, diff_ids: 2 })
        ),
        "{err:?}"
    );
}

/// Issue 17, class 9: an unpack that fails after a layer left directories of mode 0000
/// with content removes its whole staging directory, also without privilege (run as
/// `nobody` by `layer::issue17_hostile_suite_passes_as_nobody`), and rootless it
/// succeeds with the recorded modes.
#[test]
fn issue17_failed_rootless_unpack_of_shut_directories_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("l")).unwrap();
    let mut shut = raw(b"shut/", b'5');
    shut.mode = 0;
    let mut deeper = raw(b"shut/deeper/", b'5');
    deeper.mode = 0;
    let mut file = raw(b"shut/deeper/file", b'0');
    file.data = b"data";
    let layers = [tar(&[shut, deeper, file]), tar(&[raw(b"more", b'0')])];
    let mut config =
        ImageConfiguration::new("linux", oci_image::Platform::host().architecture.as_str());
    let mut descriptors = Vec::new();
    for l in &layers {
        descriptors.push(layout.put_bytes(MediaType::ImageLayer, l).unwrap());
        config.rootfs.diff_ids.push(Digest::sha256(l));
    }
    let good = layout.write_image(&config, descriptors.clone(), Default::default()).unwrap();
    layout.tag(&good, "good").unwrap();
    // The same layers, but the second's diff_id is wrong: it fails after the first.
    config.rootfs.diff_ids[1] = Digest::sha256(b"something else");
    let bad = layout.write_image(&config, descriptors, Default::default()).unwrap();
    layout.tag(&bad, "bad").unwrap();
    let mut options = ApplyOptions::default();
    options.rootless = true;

    let dest = dir.path().join("dest");
    let err = layout.unpack("bad", None, &dest, &options).unwrap_err();
    assert!(matches!(err, UnpackError::Layer { index: 1, .. }), "{err:?}");
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("l")], "only the layout remains");

    layout.unpack("good", None, &dest, &options).unwrap();
    let mode = std::fs::symlink_metadata(dest.join("shut")).unwrap();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o7777, 0);
    // And the test's own cleanup can remove it: open it up again.
    std::fs::set_permissions(
        dest.join("shut"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    std::fs::set_permissions(
        dest.join("shut/deeper"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
}
