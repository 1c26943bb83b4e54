//! Resolving a reference (tag or digest, narrowed by platform) to a descriptor, and the
//! referrers of a subject.

use std::io::Read;

use oci_image::content::{self, DEFAULT_MAX_DOCUMENT_SIZE};
use oci_image::{Descriptor, Digest, Document, MediaType, Platform};

use super::ref_name;
use crate::{Error, Layout};

impl Layout {
    /// The descriptor a reference names: a tag of `index.json`, or a digest (of an entry
    /// of `index.json`, or of a blob the layout holds). With a platform, an index is
    /// followed down to the manifest that best matches it, and a tag carried by several
    /// entries is narrowed to the one for that platform; without one, such a tag is an
    /// error.
    ///
    /// # Errors
    /// [`Error::ReferenceNotFound`], [`Error::AmbiguousReference`],
    /// [`Error::NoMatchingPlatform`].
    pub fn resolve(
        &self,
        reference: &str,
        platform: Option<&Platform>,
    ) -> Result<Descriptor, Error> {
        let index = self.index()?;
        let mut candidates: Vec<&Descriptor> =
            index.manifests.iter().filter(|m| ref_name(m) == Some(reference)).collect();
        if candidates.is_empty()
            && let Ok(digest) = reference.parse::<Digest>()
        {
            candidates = index.manifests.iter().filter(|m| m.digest == digest).take(1).collect();
            if candidates.is_empty() {
                return self.describe_blob(&digest).and_then(|d| self.narrow(d, platform));
            }
        }
        let found = match (candidates.as_slice(), platform) {
            ([], _) => return Err(Error::ReferenceNotFound(reference.to_owned())),
            ([one], _) => (*one).clone(),
            (many, Some(platform)) => {
                let platforms: Vec<Platform> = many
                    .iter()
                    .map(|d| d.platform.clone().unwrap_or_else(|| Platform::new("", "")))
                    .collect();
                let best = platform
                    .best_match(&platforms)
                    .ok_or_else(|| Error::NoMatchingPlatform(platform.to_string()))?;
                many[best].clone()
            }
            (many, None) => {
                return Err(Error::AmbiguousReference {
                    reference: reference.to_owned(),
                    count: many.len(),
                });
            }
        };
        self.narrow(found, platform)
    }

    fn narrow(
        &self,
        descriptor: Descriptor,
        platform: Option<&Platform>,
    ) -> Result<Descriptor, Error> {
        match platform {
            Some(p) => {
                Ok(content::select_platform(self, descriptor, p, DEFAULT_MAX_DOCUMENT_SIZE)?)
            }
            None => Ok(descriptor),
        }
    }

    /// A descriptor for a blob found by digest alone: its media type is read from the
    /// document (`mediaType`, else its shape), else `application/octet-stream`.
    fn describe_blob(&self, digest: &Digest) -> Result<Descriptor, Error> {
        let size =
            self.blob_size(digest)?.ok_or_else(|| Error::ReferenceNotFound(digest.to_string()))?;
        let mut media_type = MediaType::from("application/octet-stream");
        if size <= DEFAULT_MAX_DOCUMENT_SIZE {
            let probe = Descriptor::new(media_type.clone(), size, digest.clone());
            let bytes = self.read_blob_bytes(&probe, DEFAULT_MAX_DOCUMENT_SIZE)?;
            if let Some(m) = oci_image::sniff_media_type(&bytes) {
                media_type = m;
            }
        }
        Ok(Descriptor::new(media_type, size, digest.clone()))
    }

    /// Manifests and indexes stored in the layout whose `subject` is `subject`, found by
    /// reading every blob that looks like JSON (layouts have no referrers index).
    ///
    /// # Errors
    /// I/O errors.
    pub fn referrers(&self, subject: &Digest) -> Result<Vec<(Descriptor, Document)>, Error> {
        let mut out = Vec::new();
        for (descriptor, document) in self.documents()? {
            if document.subject().is_some_and(|s| s.digest == *subject) {
                out.push((descriptor, document));
            }
        }
        Ok(out)
    }

    /// Every blob that parses as a manifest or index (by its `mediaType` or shape).
    pub(crate) fn documents(&self) -> Result<Vec<(Descriptor, Document)>, Error> {
        let mut out = Vec::new();
        for digest in self.blobs()? {
            let Some(size) = self.blob_size(&digest).ok().flatten() else { continue };
            if !(2..=DEFAULT_MAX_DOCUMENT_SIZE).contains(&size) {
                continue;
            }
            let Ok(mut file) = self.open_blob(&digest) else { continue };
            let mut first = [0u8; 1];
            if file.read(&mut first).ok() != Some(1) || first[0] != b'{' {
                continue;
            }
            let probe =
                Descriptor::new(MediaType::from("application/octet-stream"), size, digest.clone());
            let Ok(bytes) = self.read_blob_bytes(&probe, DEFAULT_MAX_DOCUMENT_SIZE) else {
                continue;
            };
            let Some(media_type) = oci_image::sniff_media_type(&bytes) else { continue };
            if let Ok(document) = Document::parse(&media_type, &bytes) {
                out.push((Descriptor::new(media_type, size, digest), document));
            }
        }
        Ok(out)
    }
}
