//! Garbage collection.

use std::time::Duration;

use oci_image::{Descriptor, ImageManifest, MediaType};
use oci_layout::{GcOptions, Layout};

use crate::{name_as_plain_blob, small_image};

fn now() -> GcOptions {
    let mut options = GcOptions::default();
    options.grace_period = Duration::ZERO;
    options
}

#[test]
fn removes_only_what_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path()).unwrap();
    let kept = small_image(&layout, "amd64", &[b"kept", b"shared"]);
    let dropped = small_image(&layout, "arm64", &[b"dropped", b"shared"]);
    layout.tag(&kept, "kept").unwrap();
    layout.tag(&dropped, "dropped").unwrap();
    // A signature of the kept image, not in index.json: kept through its subject.
    let sig_layer = layout.put_bytes(MediaType::from("application/x-sig"), b"sig").unwrap();
    let mut sig = ImageManifest::new(Descriptor::empty(), vec![sig_layer.clone()]);
    sig.artifact_type = Some(MediaType::from("application/x-sig"));
    sig.subject = Some(Descriptor::new(kept.media_type.clone(), kept.size, kept.digest.clone()));
    let empty = layout.put_bytes(MediaType::Empty, b"{}").unwrap();
    let sig = layout.put_json(MediaType::ImageManifest, &sig).unwrap();
    let stray = layout.put_bytes(MediaType::ImageLayer, b"stray").unwrap();

    // Inside the grace period nothing goes.
    let young = layout.gc(&GcOptions::default()).unwrap();
    assert!(young.removed.is_empty());
    assert!(young.kept_young > 0);

    assert!(layout.untag("dropped").unwrap());
    let mut dry_run = now();
    dry_run.dry_run = true;
    let dry = layout.gc(&dry_run).unwrap();
    assert!(!dry.removed.is_empty());
    assert!(layout.has_blob(&dropped.digest).unwrap());

    let report = layout.gc(&now()).unwrap();
    assert!(report.removed.contains(&dropped.digest));
    assert!(report.removed.contains(&stray.digest));
    assert_eq!(report.removed.len(), 4, "manifest, config, own layer, stray: {:?}", report.removed);
    for d in [&kept.digest, &sig.digest, &sig_layer.digest, &empty.digest] {
        assert!(layout.has_blob(d).unwrap(), "{d} must stay");
    }
    assert!(layout.fsck().unwrap().is_ok());
    // Idempotent.
    assert!(layout.gc(&now()).unwrap().removed.is_empty());
}

#[test]
fn temp_files_of_live_writers_survive() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path()).unwrap();
    std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
    // A dead writer's leftover: no lock held.
    std::fs::write(dir.path().join("blobs/sha256/.tmp-1-2-3"), b"partial").unwrap();
    // A live writer: holds a shared lock, as the store's writers do.
    let live_path = dir.path().join("blobs/sha256/.tmp-live");
    let live = std::fs::File::create(&live_path).unwrap();
    rustix_flock_shared(&live);
    let report = layout.gc(&now()).unwrap();
    assert_eq!(report.temp_files_removed, 1);
    assert!(live_path.exists());
    assert!(!dir.path().join("blobs/sha256/.tmp-1-2-3").exists());
    drop(live);
    assert_eq!(layout.gc(&now()).unwrap().temp_files_removed, 1);
}

fn rustix_flock_shared(file: &std::fs::File) {
    // `flock` through the command-line tool would hold it in another process; take it here
    // with std's file locking, which is flock(2) on Linux.
    file.lock_shared().unwrap();
}

/// Issue 17, class 3: an index naming a tagged manifest's digest once more as a plain blob
/// must not make gc take the manifest for a blob and delete its configuration and layers.
#[test]
fn issue17_manifest_also_named_as_blob_keeps_its_children() {
    for first in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::create(dir.path()).unwrap();
        let image = small_image(&layout, "amd64", &[b"one", b"two"]);
        layout.tag(&image, "v1").unwrap();
        name_as_plain_blob(&layout, &image, first);
        let report = layout.gc(&now()).unwrap();
        assert!(report.removed.is_empty(), "first: {first}: {:?}", report.removed);
        let parts = layout.image(&image).unwrap();
        for d in std::iter::once(&parts.manifest.config).chain(&parts.manifest.layers) {
            assert!(layout.has_blob(&d.digest).unwrap(), "{d:?} must stay");
        }
    }
}
