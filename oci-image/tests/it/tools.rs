//! Documents written by real tools (umoci, skopeo) parse, validate clean and round-trip
//! losslessly. The tests build small images here; they need no network.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use oci_image::content::{self, BlobReader, Error, Source, WalkControl};
use oci_image::{
    Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType, VerifyingReader,
};

use crate::assert_lossless;

/// Runs a tool, failing the test with a clear message if it is missing or fails.
fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{tool}` ({e}): install it (apt-get install {tool}) to run this test")
    });
    assert!(
        out.status.success(),
        "`{tool} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A read-only view of an image layout directory, enough to walk it.
struct LayoutDir(PathBuf);

impl Source for LayoutDir {
    fn fetch(&self, d: &Descriptor) -> Result<BlobReader<'_>, Error> {
        let path = self.0.join("blobs").join(d.digest.algorithm()).join(d.digest.encoded());
        let file = File::open(path).map_err(|_| Error::NotFound(d.digest.clone()))?;
        let reader = VerifyingReader::new(file, &d.digest, d.size)
            .map_err(|e| Error::Backend(Box::new(e)))?;
        Ok(Box::new(reader))
    }

    fn resolve(&self, reference: &str) -> Result<Descriptor, Error> {
        let index: ImageIndex =
            oci_image::json::from_slice(&std::fs::read(self.0.join("index.json"))?)
                .map_err(|e| Error::Backend(Box::new(e)))?;
        index
            .manifests
            .into_iter()
            .find(|m| {
                m.annotations.get(oci_image::annotations::REF_NAME).map(String::as_str)
                    == Some(reference)
            })
            .ok_or_else(|| Error::ReferenceNotFound(reference.into()))
    }

    fn referrers(&self, _: &Descriptor, _: Option<&MediaType>) -> Result<Vec<Descriptor>, Error> {
        Err(Error::Unsupported("referrers"))
    }
}

/// Walks the image `reference` of the layout at `dir`, checking every JSON document.
/// Returns how many documents were checked.
fn check_layout(dir: &Path, reference: &str) -> usize {
    let layout = LayoutDir(dir.to_owned());
    let header = std::fs::read(dir.join("oci-layout")).unwrap();
    assert!(assert_lossless::<oci_image::ImageLayout>(&header, "oci-layout").validate().is_empty());
    let index_bytes = std::fs::read(dir.join("index.json")).unwrap();
    assert!(assert_lossless::<ImageIndex>(&index_bytes, "index.json").validate().is_empty());

    let root = layout.resolve(reference).unwrap();
    let mut checked = 0;
    content::walk(&layout, &root, content::DEFAULT_MAX_DOCUMENT_SIZE, |node| {
        let what = format!("{} {}", node.descriptor.media_type, node.descriptor.digest);
        if let Some(bytes) = node.bytes {
            let violations = node.document.unwrap().validate();
            assert!(violations.is_empty(), "{what}: {violations:?}");
            if node.descriptor.media_type.is_manifest() {
                assert_lossless::<ImageManifest>(bytes, &what);
            } else {
                assert_lossless::<ImageIndex>(bytes, &what);
            }
            checked += 1;
        } else if node.descriptor.media_type.is_config() {
            let bytes = layout.fetch_bytes(node.descriptor, 1 << 20).unwrap();
            let config = assert_lossless::<ImageConfiguration>(&bytes, &what);
            assert!(config.validate().is_empty(), "{what}: {:?}", config.validate());
            checked += 1;
        } else {
            // Layers: fetch and let the verifying reader check every byte.
            let mut reader = layout.fetch(node.descriptor).unwrap();
            std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
        }
        Ok(WalkControl::Continue)
    })
    .unwrap();
    checked
}

/// Builds a layout with umoci: a config with every field umoci can set, two layers.
fn umoci_image(dir: &Path) -> PathBuf {
    let layout = dir.join("umoci");
    let l = layout.to_str().unwrap();
    run("umoci", &["init", "--layout", l]);
    run("umoci", &["new", "--image", &format!("{l}:t")]);
    run(
        "umoci",
        &[
            "config",
            "--image",
            &format!("{l}:t"),
            "--author",
            "tester",
            "--created",
            "2023-11-14T22:13:20Z",
            "--config.user",
            "1000:1000",
            "--config.env",
            "PATH=/usr/bin:/bin",
            "--config.env",
            "EMPTY=",
            "--config.entrypoint",
            "/bin/sh",
            "--config.cmd",
            "-c",
            "--config.cmd",
            "echo ok",
            "--config.workingdir",
            "/srv",
            "--config.exposedports",
            "8080/tcp",
            "--config.exposedports",
            "53/udp",
            "--config.volume",
            "/data",
            "--config.label",
            "org.example.a=1",
            "--config.stopsignal",
            "SIGINT",
            "--history.comment",
            "configured",
            "--history.created_by",
            "umoci config",
            "--manifest.annotation",
            "org.opencontainers.image.title=umoci test",
        ],
    );
    let bundle = dir.join("bundle");
    let b = bundle.to_str().unwrap();
    run("umoci", &["unpack", "--rootless", "--image", &format!("{l}:t"), b]);
    std::fs::write(bundle.join("rootfs/hello.txt"), b"hello\n").unwrap();
    std::fs::create_dir(bundle.join("rootfs/dir")).unwrap();
    run("umoci", &["repack", "--image", &format!("{l}:t"), b]);
    layout
}

#[test]
fn umoci_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = umoci_image(tmp.path());
    // Manifest and config, through the index.
    assert_eq!(check_layout(&layout, "t"), 2);
    let manifest: ImageManifest = {
        let l = LayoutDir(layout.clone());
        let d = l.resolve("t").unwrap();
        oci_image::json::from_slice(&l.fetch_bytes(&d, 1 << 20).unwrap()).unwrap()
    };
    let l = LayoutDir(layout);
    let config: ImageConfiguration =
        oci_image::json::from_slice(&l.fetch_bytes(&manifest.config, 1 << 20).unwrap()).unwrap();
    assert_eq!(config.config.user.as_deref(), Some("1000:1000"));
    assert_eq!(
        config.config.exposed_ports.keys().map(String::as_str).collect::<Vec<_>>(),
        ["53/udp", "8080/tcp"]
    );
    assert_eq!(config.config.stop_signal.as_deref(), Some("SIGINT"));
    assert_eq!(config.rootfs.diff_ids.len(), manifest.layers.len());
    assert!(config.history.iter().any(|h| h.comment.as_deref() == Some("configured")));
}

#[test]
fn skopeo_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = umoci_image(tmp.path());
    let l = layout.to_str().unwrap();

    // skopeo rewrites the OCI manifest and index of its own.
    let copied = tmp.path().join("skopeo");
    let c = copied.to_str().unwrap();
    run("skopeo", &["copy", "--quiet", &format!("oci:{l}:t"), &format!("oci:{c}:copied")]);
    assert_eq!(check_layout(&copied, "copied"), 2);

    // And Docker schema2 documents: skopeo converts them, we parse and convert back.
    let dir = tmp.path().join("docker");
    let d = dir.to_str().unwrap();
    run(
        "skopeo",
        &["copy", "--quiet", "--format", "v2s2", &format!("oci:{l}:t"), &format!("dir:{d}")],
    );
    let bytes = std::fs::read(dir.join("manifest.json")).unwrap();
    let docker = assert_lossless::<ImageManifest>(&bytes, "skopeo v2s2 manifest");
    assert_eq!(docker.media_type, Some(MediaType::DockerManifest));
    assert!(docker.validate().is_empty());
    let config = std::fs::read(dir.join(docker.config.digest.encoded())).unwrap();
    docker.config.verify(&config).unwrap();
    assert!(
        assert_lossless::<ImageConfiguration>(&config, "skopeo v2s2 config").validate().is_empty()
    );
    // Converting to OCI gives the media types skopeo itself writes into an OCI layout.
    let oci = docker.to_oci().unwrap();
    let original = LayoutDir(layout);
    let theirs: ImageManifest = oci_image::json::from_slice(
        &original.fetch_bytes(&original.resolve("t").unwrap(), 1 << 20).unwrap(),
    )
    .unwrap();
    assert_eq!(oci.config.media_type, theirs.config.media_type);
    assert_eq!(
        oci.layers.iter().map(|l| (&l.media_type, &l.digest)).collect::<Vec<_>>(),
        theirs.layers.iter().map(|l| (&l.media_type, &l.digest)).collect::<Vec<_>>()
    );
}
