//! Docker schema2 documents and their conversion to and from OCI.
//!
//! A Docker schema2 manifest, manifest list and image configuration have the shape of their
//! OCI counterparts, so they parse into [`ImageManifest`], [`ImageIndex`] and
//! [`ImageConfiguration`](crate::ImageConfiguration) (Docker-only fields are kept in `extra`). Converting changes
//! media types only, the way skopeo does when it copies a Docker image into an OCI layout:
//! the configuration blob and the layers keep their bytes and digests, and the manifest
//! (whose bytes change) gets a new digest. Going from OCI to Docker refuses what Docker
//! cannot express (zstd layers, artifacts, subjects) and drops manifest annotations, which
//! schema2 has no place for.
//!
//! An index points to manifests by digest, so converting an index needs the descriptors of
//! the converted manifests: [`ImageIndex::to_oci`] and [`ImageIndex::to_docker`] take a
//! function that gives them.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use oci_image::{Descriptor, ImageManifest, MediaType};
//! let docker: ImageManifest = oci_image::json::from_slice(br#"{
//!   "schemaVersion": 2,
//!   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
//!   "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
//!              "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
//!   "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 0,
//!               "digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]
//! }"#)?;
//! let oci = docker.to_oci()?;
//! assert_eq!(oci.media_type, Some(MediaType::ImageManifest));
//! assert_eq!(oci.config.media_type, MediaType::ImageConfig);
//! assert_eq!(oci.config.digest, docker.config.digest);
//! assert_eq!(oci.layers[0].media_type, MediaType::ImageLayerGzip);
//! assert_eq!(oci.to_docker()?, docker);
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;

use crate::{Descriptor, ImageIndex, ImageManifest, MediaType};

/// Why a document cannot be converted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// A descriptor's media type has no counterpart in the target format.
    #[error("{path}: media type {media_type} has no {target} counterpart")]
    MediaType {
        /// `config`, `layers[N]` or `manifests[N]`.
        path: String,
        /// The media type that cannot be converted.
        media_type: MediaType,
        /// `OCI` or `Docker schema2`.
        target: &'static str,
    },
    /// A field the target format cannot express is set.
    #[error("Docker schema2 cannot express `{0}`")]
    Unsupported(&'static str),
    /// The document is neither OCI nor Docker of the expected kind.
    #[error("document has mediaType {0}, not a manifest or index of the source format")]
    WrongDocument(MediaType),
}

const DOCKER: &str = "Docker schema2";
const OCI: &str = "OCI";

fn oci_descriptor(
    d: &Descriptor,
    path: impl FnOnce() -> String,
) -> Result<Descriptor, ConvertError> {
    let media_type = d.media_type.to_oci();
    if media_type.is_docker() {
        return Err(ConvertError::MediaType {
            path: path(),
            media_type: d.media_type.clone(),
            target: OCI,
        });
    }
    Ok(Descriptor { media_type, ..d.clone() })
}

fn docker_descriptor(
    d: &Descriptor,
    path: impl FnOnce() -> String,
) -> Result<Descriptor, ConvertError> {
    match d.media_type.to_docker() {
        Some(media_type) => Ok(Descriptor { media_type, ..d.clone() }),
        None => Err(ConvertError::MediaType {
            path: path(),
            media_type: d.media_type.clone(),
            target: DOCKER,
        }),
    }
}

impl ImageManifest {
    /// The OCI form of a Docker schema2 (or OCI) manifest. See [the module docs](crate::docker).
    ///
    /// # Errors
    /// [`ConvertError`] for a document that is not a manifest or a descriptor whose Docker
    /// media type has no OCI counterpart.
    pub fn to_oci(&self) -> Result<Self, ConvertError> {
        if let Some(m) = self.media_type.as_ref().filter(|m| !m.is_manifest()) {
            return Err(ConvertError::WrongDocument(m.clone()));
        }
        let mut out = self.clone();
        out.media_type = Some(MediaType::ImageManifest);
        out.config = oci_descriptor(&self.config, || "config".into())?;
        for (i, (layer, src)) in out.layers.iter_mut().zip(&self.layers).enumerate() {
            *layer = oci_descriptor(src, || format!("layers[{i}]"))?;
        }
        Ok(out)
    }

    /// The Docker schema2 form of an OCI manifest. See [the module docs](crate::docker).
    ///
    /// # Errors
    /// [`ConvertError`] for zstd or uncompressed non-distributable layers, a config that is
    /// not an image configuration, `artifactType` or `subject`.
    pub fn to_docker(&self) -> Result<Self, ConvertError> {
        if let Some(m) = self.media_type.as_ref().filter(|m| !m.is_manifest()) {
            return Err(ConvertError::WrongDocument(m.clone()));
        }
        if self.artifact_type.is_some() {
            return Err(ConvertError::Unsupported("artifactType"));
        }
        if self.subject.is_some() {
            return Err(ConvertError::Unsupported("subject"));
        }
        if !self.config.media_type.is_config() {
            return Err(ConvertError::MediaType {
                path: "config".into(),
                media_type: self.config.media_type.clone(),
                target: DOCKER,
            });
        }
        let mut out = self.clone();
        out.media_type = Some(MediaType::DockerManifest);
        out.annotations = BTreeMap::new();
        out.config = docker_descriptor(&self.config, || "config".into())?;
        for (i, (layer, src)) in out.layers.iter_mut().zip(&self.layers).enumerate() {
            if !src.media_type.is_layer() {
                return Err(ConvertError::MediaType {
                    path: format!("layers[{i}]"),
                    media_type: src.media_type.clone(),
                    target: DOCKER,
                });
            }
            *layer = docker_descriptor(src, || format!("layers[{i}]"))?;
        }
        Ok(out)
    }
}

impl ImageIndex {
    /// The OCI form of a Docker manifest list (or OCI index). `converted` gives the new
    /// descriptor of each entry, whose manifest the caller has converted and stored; the
    /// platform and annotations of the old entry are kept.
    ///
    /// # Errors
    /// [`ConvertError`] for a document that is not an index, or whatever `converted` returns.
    pub fn to_oci(
        &self,
        converted: impl FnMut(&Descriptor) -> Result<Descriptor, ConvertError>,
    ) -> Result<Self, ConvertError> {
        self.convert(MediaType::ImageIndex, converted)
    }

    /// The Docker manifest list form of an OCI index; see [`ImageIndex::to_oci`].
    ///
    /// # Errors
    /// [`ConvertError`] for `artifactType` or `subject`, or whatever `converted` returns.
    pub fn to_docker(
        &self,
        converted: impl FnMut(&Descriptor) -> Result<Descriptor, ConvertError>,
    ) -> Result<Self, ConvertError> {
        if self.artifact_type.is_some() {
            return Err(ConvertError::Unsupported("artifactType"));
        }
        if self.subject.is_some() {
            return Err(ConvertError::Unsupported("subject"));
        }
        let mut out = self.convert(MediaType::DockerManifestList, converted)?;
        out.annotations = BTreeMap::new();
        Ok(out)
    }

    fn convert(
        &self,
        media_type: MediaType,
        mut converted: impl FnMut(&Descriptor) -> Result<Descriptor, ConvertError>,
    ) -> Result<Self, ConvertError> {
        if let Some(m) = self.media_type.as_ref().filter(|m| !m.is_index()) {
            return Err(ConvertError::WrongDocument(m.clone()));
        }
        let mut out = self.clone();
        out.media_type = Some(media_type);
        for entry in &mut out.manifests {
            let new = converted(entry)?;
            entry.media_type = new.media_type;
            entry.digest = new.digest;
            entry.size = new.size;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(layer: MediaType) -> ImageManifest {
        ImageManifest::new(
            Descriptor::for_bytes(MediaType::ImageConfig, b"{}"),
            vec![Descriptor::for_bytes(layer, b"x")],
        )
    }

    #[test]
    fn oci_to_docker_and_back() {
        for (oci, docker) in [
            (MediaType::ImageLayerGzip, MediaType::DockerLayerGzip),
            (MediaType::ImageLayer, MediaType::DockerLayer),
            (MediaType::ImageLayerNonDistributableGzip, MediaType::DockerForeignLayerGzip),
        ] {
            let m = manifest(oci.clone());
            let d = m.to_docker().unwrap();
            assert_eq!(d.media_type, Some(MediaType::DockerManifest));
            assert_eq!(d.config.media_type, MediaType::DockerConfig);
            assert_eq!(d.layers[0].media_type, docker);
            assert_eq!(d.to_oci().unwrap(), m);
        }
    }

    #[test]
    fn docker_cannot_express() {
        assert!(matches!(
            manifest(MediaType::ImageLayerZstd).to_docker(),
            Err(ConvertError::MediaType { .. })
        ));
        let mut m = manifest(MediaType::ImageLayerGzip);
        m.subject = Some(Descriptor::for_bytes(MediaType::ImageManifest, b"s"));
        assert_eq!(m.to_docker(), Err(ConvertError::Unsupported("subject")));
        let mut m = manifest(MediaType::ImageLayerGzip);
        m.media_type = Some(MediaType::ImageIndex);
        assert!(matches!(m.to_oci(), Err(ConvertError::WrongDocument(_))));
    }

    #[test]
    fn index_entries_replaced() {
        let mut entry = Descriptor::for_bytes(MediaType::DockerManifest, b"old");
        entry.platform = Some(crate::Platform::new("linux", "amd64"));
        let mut list = ImageIndex::new(vec![entry]);
        list.media_type = Some(MediaType::DockerManifestList);
        let new = Descriptor::for_bytes(MediaType::ImageManifest, b"new");
        let oci = list.to_oci(|_| Ok(new.clone())).unwrap();
        assert_eq!(oci.media_type, Some(MediaType::ImageIndex));
        assert_eq!(oci.manifests[0].digest, new.digest);
        assert_eq!(oci.manifests[0].platform, list.manifests[0].platform);
    }
}
