//! The referrers API (end-12) and, for registries without it, the referrers tag schema:
//! an image index under the tag `<alg>-<encoded>` of the subject's digest.

use oci_image::{Descriptor, Digest, Document, ImageIndex, MediaType};

use crate::endpoint::{self, ResponseError};

/// What an answer to the referrers request says.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReferrersAnswer {
    /// The referrers, filtered by artifact type when one was asked for.
    Listed(Vec<Descriptor>),
    /// The registry has no referrers API (404): read the fallback tag
    /// ([`endpoint::referrers_fallback_tag`]) and hand its bytes to
    /// [`fallback_referrers`].
    UseFallbackTag,
}

/// Reads an answer to [`endpoint::referrers`]: the list, filtered here by
/// `artifact_type` unless the registry says it applied the filter
/// (`OCI-Filters-Applied`).
///
/// # Errors
/// [`ResponseError`] for an error status other than 404 or a body that is not an index.
pub fn referrers_answer(
    parts: &http::response::Parts,
    body: &[u8],
    artifact_type: Option<&MediaType>,
) -> Result<ReferrersAnswer, ResponseError> {
    if parts.status == http::StatusCode::NOT_FOUND {
        return Ok(ReferrersAnswer::UseFallbackTag);
    }
    let (manifests, filtered) = endpoint::parse_referrers(parts, body)?;
    Ok(ReferrersAnswer::Listed(if filtered { manifests } else { filter(manifests, artifact_type) }))
}

fn filter(mut manifests: Vec<Descriptor>, artifact_type: Option<&MediaType>) -> Vec<Descriptor> {
    if let Some(wanted) = artifact_type {
        manifests.retain(|d| d.artifact_type.as_ref() == Some(wanted));
    }
    manifests
}

/// The referrers in a fallback tag's index (`None` when the tag does not exist),
/// filtered by `artifact_type`.
///
/// # Errors
/// A [`serde_json::Error`] if the tag holds something other than an index.
pub fn fallback_referrers(
    index: Option<&[u8]>,
    artifact_type: Option<&MediaType>,
) -> Result<Vec<Descriptor>, serde_json::Error> {
    let Some(bytes) = index else { return Ok(Vec::new()) };
    let index: ImageIndex = oci_image::json::from_slice(bytes)?;
    Ok(filter(index.manifests, artifact_type))
}

/// After a manifest or index (`bytes`, stored as `descriptor`) was pushed: when it has a
/// `subject` and the registry did not answer with `OCI-Subject` (so it keeps no
/// referrers list itself), the subject whose fallback tag must list it, and the
/// descriptor to list there.
pub fn fallback_needed(
    descriptor: &Descriptor,
    bytes: &[u8],
    oci_subject: Option<&str>,
) -> Option<(Digest, Descriptor)> {
    if oci_subject.is_some() {
        return None;
    }
    let document = Document::parse(&descriptor.media_type, bytes).ok()?;
    let subject = document.subject()?.digest.clone();
    Some((subject, oci_image::content::referrer_descriptor(descriptor, &document)))
}

/// The new bytes of a fallback tag's index with `referrer` added to `existing` (the tag's
/// bytes, `None` when it does not exist), or `None` when it lists the referrer already.
///
/// # Errors
/// A [`serde_json::Error`] if the tag holds something other than an index.
pub fn fallback_index(
    existing: Option<&[u8]>,
    referrer: Descriptor,
) -> Result<Option<Vec<u8>>, serde_json::Error> {
    let mut index = match existing {
        Some(bytes) => oci_image::json::from_slice::<ImageIndex>(bytes)?,
        None => ImageIndex::new(Vec::new()),
    };
    if index.manifests.iter().any(|d| d.digest == referrer.digest) {
        return Ok(None);
    }
    index.manifests.push(referrer);
    oci_image::json::to_vec(&index).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_image::ImageManifest;

    #[test]
    fn fallback_tag_schema() {
        let config = Descriptor::for_bytes(MediaType::Empty, b"{}");
        let subject = Descriptor::for_bytes(MediaType::ImageManifest, b"subject");
        let mut sig = ImageManifest::new(config, Vec::new());
        sig.artifact_type = Some(MediaType::from("application/x-sig"));
        sig.subject = Some(subject.clone());
        let bytes = oci_image::json::to_vec(&sig).unwrap();
        let stored = Descriptor::for_bytes(MediaType::ImageManifest, &bytes);
        assert!(
            fallback_needed(&stored, &bytes, Some("sha256:x")).is_none(),
            "the registry keeps the list"
        );
        let (on, referrer) = fallback_needed(&stored, &bytes, None).unwrap();
        assert_eq!(on, subject.digest);
        assert_eq!(referrer.artifact_type, sig.artifact_type);
        let first = fallback_index(None, referrer.clone()).unwrap().unwrap();
        assert!(fallback_index(Some(&first), referrer.clone()).unwrap().is_none(), "listed once");
        let listed = fallback_referrers(Some(&first), None).unwrap();
        assert_eq!(listed, [referrer]);
        assert!(
            fallback_referrers(Some(&first), Some(&MediaType::from("application/x-other")))
                .unwrap()
                .is_empty()
        );
        assert!(fallback_referrers(None, None).unwrap().is_empty());
    }

    #[test]
    fn answers() {
        let head = |status: u16, filtered: bool| {
            let mut b = http::Response::builder().status(status);
            if filtered {
                b = b.header("OCI-Filters-Applied", "artifactType");
            }
            b.body(()).unwrap().into_parts().0
        };
        assert!(matches!(
            referrers_answer(&head(404, false), b"", None).unwrap(),
            ReferrersAnswer::UseFallbackTag
        ));
        let d = Descriptor::for_bytes(MediaType::ImageManifest, b"m");
        let index = oci_image::json::to_vec(&ImageIndex::new(vec![d])).unwrap();
        let wanted = MediaType::from("application/x-sig");
        let ReferrersAnswer::Listed(all) =
            referrers_answer(&head(200, false), &index, Some(&wanted)).unwrap()
        else {
            panic!()
        };
        assert!(all.is_empty(), "filtered here");
        let ReferrersAnswer::Listed(all) =
            referrers_answer(&head(200, true), &index, Some(&wanted)).unwrap()
        else {
            panic!()
        };
        assert_eq!(all.len(), 1, "the registry filtered");
        assert!(referrers_answer(&head(500, false), b"", None).is_err());
    }
}
