//! The blob store, index.json, tags and resolution.

use std::io::Read;

use oci_image::content::{self, CopyOptions, Source, Target};
use oci_image::{Descriptor, ImageIndex, ImageManifest, MediaType, VerifyError};
use oci_layout::{Error, Layout};

use crate::small_image;

#[test]
fn create_open_and_refuse_non_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layout");
    let layout = Layout::create(&path).unwrap();
    assert!(layout.index().unwrap().manifests.is_empty());
    assert_eq!(
        std::fs::read_to_string(path.join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    // Creating again opens the same layout.
    Layout::create(&path).unwrap();
    Layout::open(&path).unwrap();

    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("file"), b"x").unwrap();
    assert!(matches!(Layout::create(&other), Err(Error::NotALayout { .. })));
    assert!(matches!(Layout::open(&other), Err(Error::NotALayout { .. })));
    std::fs::write(other.join("oci-layout"), br#"{"imageLayoutVersion":"2.0.0"}"#).unwrap();
    assert!(matches!(Layout::open(&other), Err(Error::NotALayout { .. })));
}

#[test]
fn blobs_are_verified_on_the_way_in_and_out() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path()).unwrap();
    let d = Descriptor::for_bytes(MediaType::ImageLayer, b"hello");

    let err = layout.put_blob(&d, &mut &b"jello"[..]).unwrap_err();
    assert!(matches!(err, Error::Verify { source: VerifyError::Digest(_), .. }), "{err:?}");
    let err = layout.put_blob(&d, &mut &b"hello!"[..]).unwrap_err();
    assert!(matches!(err, Error::Verify { source: VerifyError::Size { .. }, .. }), "{err:?}");
    assert!(!layout.has_blob(&d.digest).unwrap());
    // No temporary file is left behind by the failed writes.
    assert_eq!(std::fs::read_dir(dir.path().join("blobs/sha256")).unwrap().count(), 0);

    assert!(layout.put_blob(&d, &mut &b"hello"[..]).unwrap());
    assert!(!layout.put_blob(&d, &mut &b"never read"[..]).unwrap());
    let mut out = String::new();
    layout.read_blob(&d).unwrap().read_to_string(&mut out).unwrap();
    assert_eq!(out, "hello");

    // Damage the blob on disk: reads fail, a second put repairs it.
    std::fs::write(dir.path().join("blobs/sha256").join(d.digest.encoded()), b"HELLO").unwrap();
    let err = layout.read_blob(&d).unwrap().read_to_end(&mut Vec::new()).unwrap_err();
    assert!(matches!(VerifyError::from_io(&err), Some(VerifyError::Digest(_))));
    std::fs::write(dir.path().join("blobs/sha256").join(d.digest.encoded()), b"HELLO, WORLD")
        .unwrap();
    assert!(matches!(layout.read_blob(&d), Err(Error::Verify { .. })));
    assert!(layout.put_blob(&d, &mut &b"hello"[..]).unwrap());
    assert_eq!(layout.read_blob_bytes(&d, 100).unwrap(), b"hello");

    let streamed = layout.put_stream(MediaType::ImageLayer, &mut &b"streamed"[..]).unwrap();
    assert_eq!(streamed, Descriptor::for_bytes(MediaType::ImageLayer, b"streamed"));
    assert!(layout.blobs().unwrap().contains(&streamed.digest));
    assert!(layout.delete_blob(&streamed.digest).unwrap());
    assert!(!layout.delete_blob(&streamed.digest).unwrap());
}

#[test]
fn symlinked_blobs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("l")).unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, b"host file").unwrap();
    let d = Descriptor::for_bytes(MediaType::ImageLayer, b"host file");
    std::fs::create_dir_all(dir.path().join("l/blobs/sha256")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("l/blobs/sha256").join(d.digest.encoded()))
        .unwrap();
    // Even though the digest matches, a link is not a blob.
    assert!(matches!(layout.read_blob(&d), Err(Error::NotRegularFile(_))));
    assert!(matches!(layout.blob_size(&d.digest), Err(Error::NotRegularFile(_))));
    let fsck = layout.fsck().unwrap();
    assert!(!fsck.is_ok());

    // A symlinked algorithm directory is refused too.
    let dir2 = tempfile::tempdir().unwrap();
    let layout2 = Layout::create(dir2.path().join("l")).unwrap();
    let outside = dir2.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join(d.digest.encoded()), b"host file").unwrap();
    std::os::unix::fs::symlink(&outside, dir2.path().join("l/blobs/sha256")).unwrap();
    assert!(layout2.read_blob(&d).is_err());
    assert!(layout2.put_bytes(MediaType::ImageLayer, b"x").is_err());
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1, "nothing written through the link");
}

#[test]
fn tags_and_resolution() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path()).unwrap();
    let amd64 = small_image(&layout, "amd64", &[b"a"]);
    let arm64 = small_image(&layout, "arm64", &[b"b"]);
    let index = layout.write_index(vec![amd64.clone(), arm64.clone()]).unwrap();

    for bad in ["", "a b", "../x", "-x", "x-", "a//b"] {
        assert!(matches!(layout.tag(&amd64, bad), Err(Error::InvalidRefName(_))), "{bad:?}");
    }
    let missing = Descriptor::for_bytes(MediaType::ImageManifest, b"{}");
    assert!(matches!(layout.tag(&missing, "x"), Err(Error::BlobNotFound(_))));

    layout.tag(&index, "multi").unwrap();
    layout.tag(&amd64, "single").unwrap();
    layout.tag(&arm64, "single").unwrap(); // replaces
    assert_eq!(layout.tags().unwrap().len(), 2);
    assert_eq!(layout.resolve("single", None).unwrap().digest, arm64.digest);
    assert_eq!(layout.resolve("multi", None).unwrap().digest, index.digest);
    let want = "linux/aarch64".parse().unwrap();
    assert_eq!(layout.resolve("multi", Some(&want)).unwrap().digest, arm64.digest);
    let none = "linux/s390x".parse().unwrap();
    assert!(matches!(layout.resolve("multi", Some(&none)), Err(Error::NoMatchingPlatform(_))));
    assert_eq!(
        layout.resolve(amd64.digest.as_str(), None).unwrap().media_type,
        MediaType::ImageManifest
    );
    assert!(matches!(layout.resolve("nope", None), Err(Error::ReferenceNotFound(_))));

    // A tag on several entries (as some tools write) needs a platform.
    layout
        .update_index(|i| {
            let mut a = amd64.clone();
            a.annotations.insert(oci_image::annotations::REF_NAME.into(), "both".into());
            let mut b = arm64.clone();
            b.annotations.insert(oci_image::annotations::REF_NAME.into(), "both".into());
            i.manifests.extend([a, b]);
            Ok(())
        })
        .unwrap();
    assert!(matches!(
        layout.resolve("both", None),
        Err(Error::AmbiguousReference { count: 2, .. })
    ));
    assert_eq!(
        layout.resolve("both", Some(&"linux/amd64".parse().unwrap())).unwrap().digest,
        amd64.digest
    );

    assert!(layout.untag("single").unwrap());
    assert!(!layout.untag("single").unwrap());
}

#[test]
fn build_append_and_change() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path()).unwrap();
    let base = small_image(&layout, "amd64", &[b"base"]);
    let tar = crate::tar_of(b"top");
    let layer = layout.put_bytes(MediaType::ImageLayer, &tar).unwrap();
    let mut history = oci_image::History::default();
    history.created_by = Some("test".into());
    let next = layout.append_layer(&base, layer, oci_image::Digest::sha256(&tar), history).unwrap();
    let image = layout.image(&next).unwrap();
    assert_eq!(image.manifest.layers.len(), 2);
    assert_eq!(image.config.rootfs.diff_ids.len(), 2);
    assert_eq!(image.config.history.len(), 1);
    let changed = layout.update_config(&next, |c| c.config.env.push("A=b".into())).unwrap();
    assert_eq!(layout.image(&changed).unwrap().config.config.env, ["A=b"]);
    let annotated = layout
        .set_annotations(
            &changed,
            [(oci_image::annotations::TITLE.to_owned(), "t".to_owned())].into(),
        )
        .unwrap();
    assert_eq!(layout.image(&annotated).unwrap().manifest.annotations.len(), 1);
    layout.tag(&annotated, "built").unwrap();
    assert!(layout.fsck().unwrap().is_ok(), "{:?}", layout.fsck().unwrap().problems);
}

#[test]
fn copy_between_layouts_and_referrers() {
    let dir = tempfile::tempdir().unwrap();
    let a = Layout::create(dir.path().join("a")).unwrap();
    let image = small_image(&a, "amd64", &[b"one", b"two"]);
    a.tag(&image, "app").unwrap();
    // An SBOM referring to the image, reachable only through its subject.
    let sbom_blob = a.put_bytes(MediaType::from("application/spdx+json"), b"{\"spdx\":1}").unwrap();
    let empty = a.put_bytes(MediaType::Empty, b"{}").unwrap();
    let mut sbom = ImageManifest::new(empty, vec![sbom_blob]);
    sbom.artifact_type = Some(MediaType::from("application/spdx+json"));
    sbom.subject =
        Some(Descriptor::new(image.media_type.clone(), image.size, image.digest.clone()));
    let sbom = a.put_json(MediaType::ImageManifest, &sbom).unwrap();
    let referrers = Source::referrers(&a, &image, None).unwrap();
    assert_eq!(referrers.len(), 1);
    assert_eq!(referrers[0].digest, sbom.digest);

    let b = Layout::create(dir.path().join("b")).unwrap();
    let mut options = CopyOptions::default();
    options.referrers = true;
    content::copy(&a, "app", &b, "copied", &options).unwrap();
    assert!(b.exists(&sbom).unwrap());
    assert_eq!(b.resolve("copied", None).unwrap().digest, image.digest);
    assert!(b.fsck().unwrap().is_ok());

    let index: ImageIndex = b.index().unwrap();
    assert_eq!(index.manifests.len(), 1);
}
