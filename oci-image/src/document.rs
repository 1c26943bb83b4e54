//! Parsing a manifest or index by the media type of the descriptor that points to it,
//! with the checks that close the manifest/index confusion of CVE-2021-41190.

use serde_json::Value;

use crate::{Descriptor, ImageIndex, ImageManifest, MediaType, Violation};

/// A manifest or index, parsed from bytes whose media type a descriptor gave.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "held briefly while walking; boxing would add an allocation per document"
)]
pub enum Document {
    /// An image manifest (OCI or Docker schema2).
    Manifest(ImageManifest),
    /// An image index (OCI) or manifest list (Docker).
    Index(ImageIndex),
}

/// Why bytes are not the document their descriptor announced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The media type names no manifest or index.
    #[error("media type {0} is not a manifest or index")]
    NotADocument(MediaType),
    /// The bytes are not a well-formed document of that type.
    #[error("invalid {media_type} document")]
    Json {
        /// The media type the bytes were parsed as.
        media_type: MediaType,
        /// Where and what.
        #[source]
        source: serde_json::Error,
    },
    /// The document's own `mediaType` contradicts the descriptor's.
    #[error("document says mediaType {document} but its descriptor says {descriptor}")]
    MediaTypeMismatch {
        /// The media type in the descriptor.
        descriptor: MediaType,
        /// The media type in the document.
        document: MediaType,
    },
    /// A manifest with `manifests`, or an index with `config` or `layers`.
    #[error("ambiguous document: a {media_type} must not have `{field}` (CVE-2021-41190)")]
    Ambiguous {
        /// The media type the bytes were parsed as.
        media_type: MediaType,
        /// The field that belongs to the other kind of document.
        field: &'static str,
    },
}

impl Document {
    /// Parses `bytes` as the manifest or index `media_type` names.
    ///
    /// Fails when the document's `mediaType` field contradicts `media_type`, or when it
    /// carries fields of the other kind of document: either would let one blob be read as
    /// two different things (CVE-2021-41190).
    ///
    /// # Errors
    /// [`DocumentError`] saying what is wrong.
    pub fn parse(media_type: &MediaType, bytes: &[u8]) -> Result<Self, DocumentError> {
        let json_error = |source| DocumentError::Json { media_type: media_type.clone(), source };
        let (doc, declared, ambiguous) = if media_type.is_manifest() {
            let m: ImageManifest = crate::json::from_slice(bytes).map_err(json_error)?;
            let declared = m.media_type.clone();
            let ambiguous = m.extra.contains_key("manifests").then_some("manifests");
            (Self::Manifest(m), declared, ambiguous)
        } else if media_type.is_index() {
            let i: ImageIndex = crate::json::from_slice(bytes).map_err(json_error)?;
            let declared = i.media_type.clone();
            let ambiguous = ["config", "layers"].into_iter().find(|f| i.extra.contains_key(*f));
            (Self::Index(i), declared, ambiguous)
        } else {
            return Err(DocumentError::NotADocument(media_type.clone()));
        };
        if let Some(field) = ambiguous {
            return Err(DocumentError::Ambiguous { media_type: media_type.clone(), field });
        }
        if let Some(document) = declared
            && document != *media_type
        {
            return Err(DocumentError::MediaTypeMismatch {
                descriptor: media_type.clone(),
                document,
            });
        }
        Ok(doc)
    }

    /// The descriptors this document points to: an index's manifests, or a manifest's
    /// config and layers; then the subject, if any.
    pub fn children(&self) -> impl Iterator<Item = &Descriptor> {
        let (own, subject): (Vec<&Descriptor>, _) = match self {
            Self::Manifest(m) => {
                (std::iter::once(&m.config).chain(&m.layers).collect(), m.subject.as_ref())
            }
            Self::Index(i) => (i.manifests.iter().collect(), i.subject.as_ref()),
        };
        own.into_iter().chain(subject)
    }

    /// The document's subject, if any.
    pub fn subject(&self) -> Option<&Descriptor> {
        match self {
            Self::Manifest(m) => m.subject.as_ref(),
            Self::Index(i) => i.subject.as_ref(),
        }
    }

    /// The document's `validate()`.
    pub fn validate(&self) -> Vec<Violation> {
        match self {
            Self::Manifest(m) => m.validate(),
            Self::Index(i) => i.validate(),
        }
    }
}

/// Guesses whether JSON bytes are a manifest or an index when no descriptor says, from
/// `mediaType` if present, else from the fields (`manifests` versus `config`/`layers`).
pub fn sniff_media_type(bytes: &[u8]) -> Option<MediaType> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let object = value.as_object()?;
    if let Some(m) = object.get("mediaType").and_then(Value::as_str) {
        return Some(m.into());
    }
    match (
        object.contains_key("manifests"),
        object.contains_key("config") || object.contains_key("layers"),
    ) {
        (true, false) => Some(MediaType::ImageIndex),
        (false, true) => Some(MediaType::ImageManifest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0}"#;

    #[test]
    fn confusion_is_refused() {
        let manifest = format!(r#"{{"schemaVersion":2,"config":{CONFIG},"layers":[]}}"#);
        assert!(Document::parse(&MediaType::ImageManifest, manifest.as_bytes()).is_ok());
        assert!(matches!(
            Document::parse(&MediaType::ImageIndex, manifest.as_bytes()),
            Err(DocumentError::Json { .. } | DocumentError::Ambiguous { .. })
        ));
        let both = format!(r#"{{"schemaVersion":2,"config":{CONFIG},"layers":[],"manifests":[]}}"#);
        assert!(matches!(
            Document::parse(&MediaType::ImageManifest, both.as_bytes()),
            Err(DocumentError::Ambiguous { field: "manifests", .. })
        ));
        assert!(matches!(
            Document::parse(&MediaType::ImageIndex, both.as_bytes()),
            Err(DocumentError::Ambiguous { field: "config", .. })
        ));
        let labelled = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","config":{CONFIG},"layers":[]}}"#
        );
        assert!(matches!(
            Document::parse(&MediaType::ImageManifest, labelled.as_bytes()),
            Err(DocumentError::MediaTypeMismatch { .. })
        ));
        assert_eq!(sniff_media_type(manifest.as_bytes()), Some(MediaType::ImageManifest));
        assert_eq!(sniff_media_type(both.as_bytes()), None);
        assert!(matches!(
            Document::parse(&MediaType::ImageConfig, b"{}"),
            Err(DocumentError::NotADocument(_))
        ));
    }
}
