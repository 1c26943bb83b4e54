//! Image indexes, image-spec v1.1
//! [`image-index.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::validate::Checker;
use crate::{Descriptor, MediaType, Platform, Violation};

/// An image index (`application/vnd.oci.image.index.v1+json`), or a Docker manifest list,
/// which has the same shape: a list of manifests, typically one per platform.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use oci_image::{Descriptor, ImageIndex, MediaType, Platform};
/// let mut amd64 = Descriptor::for_bytes(MediaType::ImageManifest, b"{...amd64}");
/// amd64.platform = Some("linux/amd64".parse()?);
/// let mut arm64 = Descriptor::for_bytes(MediaType::ImageManifest, b"{...arm64}");
/// arm64.platform = Some("linux/arm64".parse()?);
/// let index = ImageIndex::new(vec![amd64, arm64.clone()]);
/// assert!(index.validate().is_empty());
/// assert_eq!(index.find_platform(&"linux/aarch64".parse()?), Some(&arm64));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ImageIndex {
    /// REQUIRED. MUST be `2` for this version of the spec.
    pub schema_version: u32,
    /// RESERVED, SHOULD be used. MUST be `application/vnd.oci.image.index.v1+json` when used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    /// OPTIONAL. The type of an artifact when the index is used for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<MediaType>,
    /// REQUIRED (may be empty). The manifests (or nested indexes) of this index.
    pub manifests: Vec<Descriptor>,
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

oci_json::deserialize_object!(ImageIndex, "an image index", {
    schema_version: "schemaVersion" required;
    media_type: "mediaType";
    artifact_type: "artifactType";
    manifests: "manifests" required;
    subject: "subject";
    annotations: "annotations";
});

impl ImageIndex {
    /// An OCI index (`schemaVersion` 2, `mediaType` set) of `manifests`.
    pub fn new(manifests: Vec<Descriptor>) -> Self {
        Self {
            schema_version: 2,
            media_type: Some(MediaType::ImageIndex),
            artifact_type: None,
            manifests,
            subject: None,
            annotations: BTreeMap::new(),
            extra: Map::new(),
        }
    }

    /// The manifest that best runs on `platform` (see [`Platform::match_rank`]), among the
    /// entries that declare a platform.
    pub fn find_platform(&self, platform: &Platform) -> Option<&Descriptor> {
        let with_platform: Vec<(&Descriptor, &Platform)> =
            self.manifests.iter().filter_map(|d| Some((d, d.platform.as_ref()?))).collect();
        let best = platform.best_match(with_platform.iter().map(|(_, p)| *p))?;
        with_platform.get(best).map(|(d, _)| *d)
    }

    /// Every violated requirement of `image-index.md`, with JSON paths.
    ///
    /// Besides the spec's MUSTs this reports the manifest/index ambiguity of
    /// CVE-2021-41190: an index that carries `config` or `layers`.
    pub fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::new();
        self.check(&mut c);
        c.finish()
    }

    pub(crate) fn check(&self, c: &mut Checker) {
        // [index.schemaVersion.2]
        if self.schema_version != 2 {
            c.fail_at(
                "schemaVersion",
                format_args!("schemaVersion must be 2, found {}", self.schema_version),
            );
        }
        // [index.mediaType]
        if let Some(m) = &self.media_type
            && !m.is_index()
        {
            c.fail_at(
                "mediaType",
                format_args!("mediaType of an index must be {}, found {m}", MediaType::ImageIndex),
            );
        }
        // [index.artifactType.rfc6838]
        if let Some(a) = &self.artifact_type
            && !a.is_well_formed()
        {
            c.fail_at(
                "artifactType",
                format_args!("{:?} is not an RFC 6838 media type", a.as_str()),
            );
        }
        c.field("manifests", |c| {
            for (i, m) in self.manifests.iter().enumerate() {
                c.index(i, |c| m.check(c));
            }
        });
        if let Some(subject) = &self.subject {
            c.field("subject", |c| subject.check(c));
        }
        // [index.not-a-manifest]
        for field in ["config", "layers"] {
            if self.extra.contains_key(field) {
                c.fail_at(field, format_args!("an index must not have `{field}` (ambiguous with a manifest, CVE-2021-41190)"));
            }
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for ImageIndex {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut m = Self::new(u.arbitrary()?);
        m.schema_version = if u.ratio(9u8, 10)? { 2 } else { u.arbitrary()? };
        m.media_type = u.arbitrary()?;
        m.artifact_type = u.arbitrary()?;
        m.subject = u.arbitrary()?;
        m.annotations = u.arbitrary()?;
        m.extra = crate::arbitrary_extra(
            u,
            &["schemaVersion", "mediaType", "artifactType", "manifests", "subject", "annotations"],
        )?;
        Ok(m)
    }
}
