//! Image manifests, image-spec v1.1
//! [`manifest.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::validate::Checker;
use crate::{Descriptor, MediaType, Violation};

/// An image manifest (`application/vnd.oci.image.manifest.v1+json`), or a Docker schema2
/// manifest, which has the same shape.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use oci_image::{Descriptor, ImageManifest, MediaType};
/// let config = Descriptor::for_bytes(MediaType::ImageConfig, b"{...}");
/// let layer = Descriptor::for_bytes(MediaType::ImageLayerGzip, b"...");
/// let mut manifest = ImageManifest::new(config, vec![layer]);
/// manifest.annotations.insert(oci_image::annotations::TITLE.into(), "demo".into());
/// assert!(manifest.validate().is_empty());
/// let bytes = oci_image::json::to_vec(&manifest)?;
/// let descriptor = Descriptor::for_bytes(MediaType::ImageManifest, &bytes);
/// assert_eq!(oci_image::json::from_slice::<ImageManifest>(&bytes)?, manifest);
/// # let _ = descriptor; Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ImageManifest {
    /// REQUIRED. MUST be `2` for this version of the spec.
    pub schema_version: u32,
    /// RESERVED, SHOULD be used. MUST be `application/vnd.oci.image.manifest.v1+json` when used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    /// OPTIONAL. The type of an artifact when the manifest is used for one. MUST be set
    /// when `config.mediaType` is the empty type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<MediaType>,
    /// REQUIRED. The configuration object of the container, by digest.
    pub config: Descriptor,
    /// REQUIRED. The layers, base layer first.
    pub layers: Vec<Descriptor>,
    /// OPTIONAL. Another manifest this one refers to (referrers API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// OPTIONAL. Arbitrary metadata.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Fields this crate does not know, kept so that a round trip loses nothing.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

oci_json::deserialize_object!(ImageManifest, "an image manifest", {
    schema_version: "schemaVersion" required;
    media_type: "mediaType";
    artifact_type: "artifactType";
    config: "config" required;
    layers: "layers" required;
    subject: "subject";
    annotations: "annotations";
});

impl ImageManifest {
    /// An OCI manifest (`schemaVersion` 2, `mediaType` set) with `config` and `layers`.
    pub fn new(config: Descriptor, layers: Vec<Descriptor>) -> Self {
        Self {
            schema_version: 2,
            media_type: Some(MediaType::ImageManifest),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: BTreeMap::new(),
            extra: Map::new(),
        }
    }

    /// Every violated requirement of `manifest.md`, with JSON paths.
    ///
    /// Besides the spec's MUSTs this reports the manifest/index ambiguity of
    /// CVE-2021-41190: a manifest that carries a `manifests` field.
    pub fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::new();
        self.check(&mut c);
        c.finish()
    }

    pub(crate) fn check(&self, c: &mut Checker) {
        // [manifest.schemaVersion.2]
        if self.schema_version != 2 {
            c.fail_at(
                "schemaVersion",
                format_args!("schemaVersion must be 2, found {}", self.schema_version),
            );
        }
        // [manifest.mediaType]
        if let Some(m) = &self.media_type
            && !m.is_manifest()
        {
            c.fail_at(
                "mediaType",
                format_args!(
                    "mediaType of a manifest must be {}, found {m}",
                    MediaType::ImageManifest
                ),
            );
        }
        // [manifest.artifactType.rfc6838] [manifest.artifactType.empty-config]
        if let Some(a) = &self.artifact_type {
            if !a.is_well_formed() {
                c.fail_at(
                    "artifactType",
                    format_args!("{:?} is not an RFC 6838 media type", a.as_str()),
                );
            }
        } else if self.config.media_type == MediaType::Empty {
            c.fail_at(
                "artifactType",
                "artifactType must be set when config.mediaType is the empty type",
            );
        }
        c.field("config", |c| self.config.check(c));
        c.field("layers", |c| {
            // [manifest.layers.not-empty]
            if self.layers.is_empty() {
                c.fail("layers must hold at least one descriptor (the empty descriptor for artifacts without layers)");
            }
            for (i, layer) in self.layers.iter().enumerate() {
                c.index(i, |c| layer.check(c));
            }
        });
        if let Some(subject) = &self.subject {
            c.field("subject", |c| subject.check(c));
        }
        // [manifest.not-an-index]
        if self.extra.contains_key("manifests") {
            c.fail_at(
                "manifests",
                "a manifest must not have `manifests` (ambiguous with an index, CVE-2021-41190)",
            );
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for ImageManifest {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut m = Self::new(u.arbitrary()?, u.arbitrary()?);
        m.schema_version = if u.ratio(9u8, 10)? { 2 } else { u.arbitrary()? };
        m.media_type = u.arbitrary()?;
        m.artifact_type = u.arbitrary()?;
        m.subject = u.arbitrary()?;
        m.annotations = u.arbitrary()?;
        m.extra = crate::arbitrary_extra(
            u,
            &[
                "schemaVersion",
                "mediaType",
                "artifactType",
                "config",
                "layers",
                "subject",
                "annotations",
            ],
        )?;
        Ok(m)
    }
}
