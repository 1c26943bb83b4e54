//! fsck reports every problem, not the first.

use oci_image::{Descriptor, ImageConfiguration, ImageManifest, MediaType};
use oci_layout::Layout;

use crate::{name_as_plain_blob, small_image};

#[test]
fn reports_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path()).unwrap();
    let good = small_image(&layout, "amd64", &[b"good"]);
    layout.tag(&good, "good").unwrap();
    assert!(layout.fsck().unwrap().is_ok());

    // 1. A corrupted layer of another image.
    let corrupt = small_image(&layout, "amd64", &[b"corrupt me"]);
    layout.tag(&corrupt, "corrupt").unwrap();
    let layer = layout.image(&corrupt).unwrap().manifest.layers[0].clone();
    let path = dir.path().join("blobs/sha256").join(layer.digest.encoded());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[600] ^= 1;
    std::fs::write(&path, bytes).unwrap();

    // 2. A manifest whose layer is missing, and whose config counts too few diff_ids.
    let config = layout
        .put_json(MediaType::ImageConfig, &ImageConfiguration::new("linux", "amd64"))
        .unwrap();
    let ghost = Descriptor::for_bytes(MediaType::ImageLayerGzip, b"not stored");
    let broken = layout
        .put_json(MediaType::ImageManifest, &ImageManifest::new(config, vec![ghost.clone()]))
        .unwrap();
    layout
        .update_index(|i| {
            let mut e = broken.clone();
            e.annotations.insert(oci_image::annotations::REF_NAME.into(), "broken".into());
            // 3. It also claims a platform its config does not have.
            e.platform = Some("linux/arm64".parse().unwrap());
            i.manifests.push(e);
            Ok(())
        })
        .unwrap();

    // 4. A stray file in blobs/.
    std::fs::write(dir.path().join("blobs/sha256/not-a-digest"), b"x").unwrap();

    let report = layout.fsck().unwrap();
    let text: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    let has = |needle: &str| text.iter().any(|t| t.contains(needle));
    assert!(has(&format!("{}: content has digest", layer.digest)), "{text:#?}");
    assert!(has(&format!("{}: referenced blob", ghost.digest)), "{text:#?}");
    assert!(has("1 layers but the configuration has 0 diff_ids"), "{text:#?}");
    assert!(has("index says platform linux/arm64"), "{text:#?}");
    assert!(has("not-a-digest"), "{text:#?}");
    assert!(report.problems.len() >= 5);
}

#[test]
fn ambiguous_documents_are_problems() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path()).unwrap();
    let image = small_image(&layout, "amd64", &[b"x"]);
    // A blob that is a manifest carrying `manifests` too, tagged as a manifest.
    let manifest = layout.image(&image).unwrap().manifest;
    let mut value = serde_json::to_value(&manifest).unwrap();
    value["manifests"] = serde_json::json!([]);
    let d =
        layout.put_bytes(MediaType::ImageManifest, &serde_json::to_vec(&value).unwrap()).unwrap();
    layout.tag(&d, "confused").unwrap();
    let report = layout.fsck().unwrap();
    assert!(
        report.problems.iter().any(|p| p.to_string().contains("CVE-2021-41190")),
        "{:?}",
        report.problems
    );
}

/// Issue 17, class 3: a manifest whose digest the index also names as a plain blob is
/// still checked as a manifest: its missing layer is a problem, in either order.
#[test]
fn issue17_manifest_also_named_as_blob_is_checked_whole() {
    for first in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::create(dir.path()).unwrap();
        let image = small_image(&layout, "amd64", &[b"layer"]);
        layout.tag(&image, "v1").unwrap();
        name_as_plain_blob(&layout, &image, first);
        let layer = layout.image(&image).unwrap().manifest.layers[0].clone();
        std::fs::remove_file(dir.path().join("blobs/sha256").join(layer.digest.encoded())).unwrap();
        let report = layout.fsck().unwrap();
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.subject == layer.digest.to_string() && p.message.contains("missing")),
            "first: {first}: {:?}",
            report.problems
        );
    }
}
