//! Docker schema2 and OCI, both ways, on documents shaped like what registries serve.

use oci_image::{Descriptor, ImageIndex, ImageManifest, MediaType, docker::ConvertError};

#[test]
fn manifest_list_to_index_and_back() {
    let list = br#"{
      "schemaVersion": 2,
      "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
      "manifests": [
        {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 7143,
         "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
         "platform": {"architecture": "ppc64le", "os": "linux"}},
        {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 7682,
         "digest": "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
         "platform": {"architecture": "arm", "os": "linux", "variant": "v7", "features": ["sse4"]}}
      ]
    }"#;
    let list: ImageIndex = oci_image::json::from_slice(list).unwrap();
    assert!(list.validate().is_empty());
    // Pretend each manifest was converted and stored under a new digest.
    let renamed = |d: &Descriptor| -> Result<Descriptor, ConvertError> {
        Ok(Descriptor::for_bytes(d.media_type.to_oci(), d.digest.as_str().as_bytes()))
    };
    let index = list.to_oci(renamed).unwrap();
    assert_eq!(index.media_type, Some(MediaType::ImageIndex));
    assert!(index.manifests.iter().all(|m| m.media_type == MediaType::ImageManifest));
    assert_eq!(index.manifests[1].platform, list.manifests[1].platform);
    assert_ne!(index.manifests[0].digest, list.manifests[0].digest);
    let back = index
        .to_docker(|d| {
            Ok(Descriptor::new(d.media_type.to_docker().unwrap(), d.size, d.digest.clone()))
        })
        .unwrap();
    assert_eq!(back.media_type, Some(MediaType::DockerManifestList));
    assert!(back.validate().is_empty());
}

#[test]
fn oci_artifact_has_no_docker_form() {
    let mut m = ImageManifest::new(Descriptor::empty(), vec![Descriptor::empty()]);
    m.artifact_type = Some(MediaType::from("application/vnd.example.sbom"));
    assert!(m.validate().is_empty());
    assert_eq!(m.to_docker(), Err(ConvertError::Unsupported("artifactType")));
    m.artifact_type = None;
    // The empty config requires an artifactType, and is no Docker config either.
    assert!(m.validate().iter().any(|v| v.path == "$.artifactType"));
    assert!(matches!(m.to_docker(), Err(ConvertError::MediaType { .. })));
}
