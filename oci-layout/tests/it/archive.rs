//! oci-archive and docker-archive, both ways, with skopeo on the other side.

use std::fs::File;
use std::io::Write;

use oci_image::{Digest, ImageConfiguration, MediaType};
use oci_layout::{Error, Layout, archive};

use crate::{path_str, run, tar_of};

/// An image with two gzip layers, tagged `v1`.
fn gzip_image(layout: &Layout) -> oci_image::Descriptor {
    let mut config = ImageConfiguration::new("linux", "amd64");
    let mut layers = Vec::new();
    for content in [&b"bottom"[..], b"top"] {
        let tar = tar_of(content);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        layers.push(layout.put_bytes(MediaType::ImageLayerGzip, &gz.finish().unwrap()).unwrap());
        config.rootfs.diff_ids.push(Digest::sha256(&tar));
    }
    let d = layout.write_image(&config, layers, Default::default()).unwrap();
    layout.tag(&d, "v1").unwrap();
    d
}

#[test]
fn oci_archive_round_trip_and_skopeo() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("l")).unwrap();
    let image = gzip_image(&layout);
    let file = dir.path().join("image.tar");
    archive::export_oci(&layout, "v1", "exported", File::create(&file).unwrap()).unwrap();

    let back = Layout::create(dir.path().join("back")).unwrap();
    let d = archive::import_oci(File::open(&file).unwrap(), &back, Some("exported"), "v1").unwrap();
    assert_eq!(d.digest, image.digest);
    assert!(back.fsck().unwrap().is_ok());

    // skopeo reads our archive and gets the same manifest.
    let sk = dir.path().join("sk");
    run(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci-archive:{}:exported", path_str(&file)),
            &format!("oci:{}:t", path_str(&sk)),
        ],
    );
    assert_eq!(Layout::open(&sk).unwrap().resolve("t", None).unwrap().digest, image.digest);

    // And we read skopeo's.
    let theirs = dir.path().join("theirs.tar");
    run(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci:{}:t", path_str(&sk)),
            &format!("oci-archive:{}:named", path_str(&theirs)),
        ],
    );
    let imported = Layout::create(dir.path().join("imported")).unwrap();
    let d =
        archive::import_oci(File::open(&theirs).unwrap(), &imported, Some("named"), "x").unwrap();
    assert_eq!(d.digest, image.digest);
    assert!(imported.fsck().unwrap().is_ok());
}

#[test]
fn tampered_oci_archive_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("l")).unwrap();
    gzip_image(&layout);
    let mut bytes = Vec::new();
    archive::export_oci(&layout, "v1", "v1", &mut bytes).unwrap();
    // Rewrite the archive with one layer's content altered (same name, same size).
    let layer =
        layout.image(&layout.resolve("v1", None).unwrap()).unwrap().manifest.layers[0].clone();
    let mut input = tar::Archive::new(&bytes[..]);
    let mut out = tar::Builder::new(Vec::new());
    for entry in input.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut header = entry.header().clone();
        let name = entry.path().unwrap().into_owned();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
        if name.ends_with(layer.digest.encoded()) {
            let last = content.len() - 1;
            content[last] ^= 0xff;
        }
        header.set_cksum();
        out.append_data(&mut header, name, &content[..]).unwrap();
    }
    let bytes = out.into_inner().unwrap();
    let target = Layout::create(dir.path().join("t")).unwrap();
    let err = archive::import_oci(&bytes[..], &target, None, "v1").unwrap_err();
    assert!(matches!(err, Error::Verify { .. }), "{err:?}");
    assert!(target.tags().unwrap().is_empty(), "nothing tagged");
    assert!(!target.has_blob(&layer.digest).unwrap(), "nothing unverified stored");

    // Export refuses a damaged blob too.
    let path = dir.path().join("l/blobs/sha256").join(layer.digest.encoded());
    let mut damaged = std::fs::read(&path).unwrap();
    damaged[0] ^= 0xff;
    std::fs::write(&path, damaged).unwrap();
    assert!(archive::export_oci(&layout, "v1", "v1", std::io::sink()).is_err());
}

#[test]
fn docker_archive_round_trip_and_skopeo() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("l")).unwrap();
    let image = gzip_image(&layout);
    let config = layout.image(&image).unwrap().manifest.config;
    let file = dir.path().join("docker.tar");
    archive::export_docker(&layout, "v1", Some("example/app:v1"), File::create(&file).unwrap())
        .unwrap();

    // skopeo reads it: the same layers (diff_ids) and platform.
    let sk = dir.path().join("sk");
    run(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("docker-archive:{}", path_str(&file)),
            &format!("oci:{}:t", path_str(&sk)),
        ],
    );
    let theirs = Layout::open(&sk).unwrap();
    let theirs_image = theirs.image(&theirs.resolve("t", None).unwrap()).unwrap();
    let mine = layout.image(&image).unwrap();
    assert_eq!(theirs_image.config.rootfs.diff_ids, mine.config.rootfs.diff_ids);
    assert_eq!(theirs_image.config.platform(), mine.config.platform());

    // We read it back: an OCI image with uncompressed layers whose digests are the diff_ids.
    let back = Layout::create(dir.path().join("back")).unwrap();
    let d = archive::import_docker(File::open(&file).unwrap(), &back, None, "v1").unwrap();
    let ours = back.image(&d).unwrap();
    assert_eq!(ours.manifest.config.digest, config.digest);
    assert_eq!(
        ours.manifest.layers.iter().map(|l| l.digest.clone()).collect::<Vec<_>>(),
        ours.config.rootfs.diff_ids
    );
    assert!(back.fsck().unwrap().is_ok());

    // And skopeo's docker-archive.
    let theirs_file = dir.path().join("theirs-docker.tar");
    run(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("oci:{}:t", path_str(&sk)),
            &format!("docker-archive:{}:example/app:v2", path_str(&theirs_file)),
        ],
    );
    let imported = Layout::create(dir.path().join("imported")).unwrap();
    let d =
        archive::import_docker(File::open(&theirs_file).unwrap(), &imported, None, "v2").unwrap();
    assert_eq!(imported.image(&d).unwrap().config.rootfs.diff_ids, ours.config.rootfs.diff_ids);
    assert!(imported.fsck().unwrap().is_ok());
}

#[test]
fn docker_archive_layer_must_match_diff_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ImageConfiguration::new("linux", "amd64");
    config.rootfs.diff_ids.push(Digest::sha256(b"something else"));
    let config = serde_json::to_vec(&config).unwrap();
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in [
        ("c.json", config),
        ("l.tar", tar_of(b"layer")),
        (
            "manifest.json",
            br#"[{"Config":"c.json","RepoTags":["a:b"],"Layers":["l.tar"]}]"#.to_vec(),
        ),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        builder.append_data(&mut h, name, &content[..]).unwrap();
    }
    let bytes = builder.into_inner().unwrap();
    let target = Layout::create(dir.path()).unwrap();
    let err = archive::import_docker(&bytes[..], &target, None, "x").unwrap_err();
    assert!(err.to_string().contains("diff_id"), "{err}");
    assert!(matches!(err, Error::DiffId { .. }), "{err:?}");
    assert!(target.tags().unwrap().is_empty());
}

/// A `docker save` archive holding one image per `(repo tag, layer content)`, each with
/// its own configuration (the architecture tells them apart).
fn docker_archive_of(images: &[(&str, &[u8], &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut manifest = Vec::new();
    let mut append = |name: &str, content: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        builder.append_data(&mut h, name, content).unwrap();
    };
    for (i, (repo_tag, content, arch)) in images.iter().enumerate() {
        let layer = tar_of(content);
        let mut config = ImageConfiguration::new("linux", *arch);
        config.rootfs.diff_ids.push(Digest::sha256(&layer));
        append(&format!("{i}.json"), &serde_json::to_vec(&config).unwrap());
        append(&format!("{i}/layer.tar"), &layer);
        manifest.push(serde_json::json!({
            "Config": format!("{i}.json"), "RepoTags": [repo_tag], "Layers": [format!("{i}/layer.tar")],
        }));
    }
    append("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    builder.into_inner().unwrap()
}

/// Issue 17, class 5: `docker-archive:FILE:NAME:TAG` picks the image NAME:TAG names; an
/// unknown name is an error, not the first image.
#[test]
fn issue17_docker_archive_name_picks_its_image() {
    let bytes = docker_archive_of(&[
        ("example/one:v1", b"one", "amd64"),
        ("example/two:v2", b"two", "arm64"),
        ("docker.io/library/busybox:latest", b"three", "s390x"),
    ]);
    let arch_of = |name: Option<&str>| -> Result<String, Error> {
        let dir = tempfile::tempdir().unwrap();
        let target = Layout::create(dir.path()).unwrap();
        let d = archive::import_docker(&bytes[..], &target, name, "t")?;
        Ok(target.image(&d).unwrap().config.architecture)
    };
    assert_eq!(arch_of(Some("example/two:v2")).unwrap(), "arm64");
    assert_eq!(arch_of(Some("example/one:v1")).unwrap(), "amd64");
    assert_eq!(arch_of(Some("docker.io/example/two:v2")).unwrap(), "arm64");
    assert_eq!(
        arch_of(Some("busybox")).unwrap(),
        "s390x",
        "docker.io/library/ and :latest implied"
    );
    assert_eq!(arch_of(Some("@1")).unwrap(), "arm64");
    for unknown in ["example/two:v1", "example/three:v2", "two:v2", "@3", "@x"] {
        let err = arch_of(Some(unknown)).unwrap_err();
        assert!(matches!(err, Error::ReferenceNotFound(_)), "{unknown}: {err}");
    }
    assert!(matches!(arch_of(None), Err(Error::AmbiguousReference { count: 3, .. })));
    // Nothing is tagged when the name is unknown.
    let dir = tempfile::tempdir().unwrap();
    let target = Layout::create(dir.path()).unwrap();
    assert!(archive::import_docker(&bytes[..], &target, Some("nope:v1"), "t").is_err());
    assert!(target.tags().unwrap().is_empty());
}

/// Issue 17, class 5: exports refuse names outside the grammar of what they write
/// (`org.opencontainers.image.ref.name` in an oci-archive, Docker `NAME:TAG` in a
/// docker-archive), terminal escapes and paths included.
#[test]
fn issue17_exports_refuse_names_outside_the_grammar() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path()).unwrap();
    gzip_image(&layout);
    for bad in ["", "../x", "a\u{1b}[2J", "v1 ", "-v1", "a//b"] {
        let err = archive::export_oci(&layout, "v1", bad, std::io::sink()).unwrap_err();
        assert!(matches!(err, Error::InvalidRefName(_)), "{bad:?}: {err}");
    }
    for bad in ["example/app", "Example/app:v1", "app:v1\n", "app:.v1", "a/../b:v1", "/app:v1"] {
        let err = archive::export_docker(&layout, "v1", Some(bad), std::io::sink()).unwrap_err();
        assert!(matches!(err, Error::InvalidRefName(_)), "{bad:?}: {err}");
    }
    archive::export_oci(&layout, "v1", "example.com/app:v1.0", std::io::sink()).unwrap();
    archive::export_docker(&layout, "v1", Some("localhost:5000/a_b/c:v1"), std::io::sink())
        .unwrap();
}
