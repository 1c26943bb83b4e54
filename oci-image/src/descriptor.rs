//! Content descriptors, image-spec v1.1
//! [`descriptor.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/descriptor.md).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::validate::{Checker, is_absolute_uri};
use crate::{Digest, MediaType, Platform, VerifyError, Violation};

/// A reference to content: its media type, digest and size, and optional extras.
///
/// A descriptor of new content is computed from the exact bytes that will be stored
/// ([`Descriptor::for_bytes`]), never from a re-serialised value.
///
/// ```
/// use oci_image::{Descriptor, MediaType};
/// let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
/// let d = Descriptor::for_bytes(MediaType::ImageConfig, config);
/// assert_eq!(d.size, config.len() as u64);
/// assert!(d.digest.verify(config).is_ok());
/// assert!(d.validate().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Descriptor {
    /// REQUIRED. The media type of the referenced content (RFC 6838).
    pub media_type: MediaType,
    /// REQUIRED. The digest of the referenced content.
    pub digest: Digest,
    /// REQUIRED. The size of the referenced content in bytes.
    pub size: u64,
    /// OPTIONAL. URIs from which the content may be downloaded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// OPTIONAL. Arbitrary metadata ([annotation rules](crate::annotations)).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// OPTIONAL. The referenced content itself, base64-encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<EmbeddedData>,
    /// OPTIONAL. For a descriptor of an artifact manifest, its artifact type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<MediaType>,
    /// OPTIONAL. The platform a manifest runs on (in image indexes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Fields this crate does not know, kept so that a round trip loses nothing.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

oci_json::deserialize_object!(Descriptor, "a content descriptor", {
    media_type: "mediaType" required;
    digest: "digest" required;
    size: "size" required;
    urls: "urls";
    annotations: "annotations";
    data: "data";
    artifact_type: "artifactType";
    platform: "platform";
});

impl Descriptor {
    /// A descriptor with the required fields and nothing else.
    pub fn new(media_type: MediaType, size: u64, digest: Digest) -> Self {
        Self {
            media_type,
            digest,
            size,
            urls: Vec::new(),
            annotations: BTreeMap::new(),
            data: None,
            artifact_type: None,
            platform: None,
            extra: Map::new(),
        }
    }

    /// The descriptor of `bytes` (SHA-256 digest, exact size).
    pub fn for_bytes(media_type: MediaType, bytes: &[u8]) -> Self {
        Self::new(media_type, bytes.len() as u64, Digest::sha256(bytes))
    }

    /// The [empty descriptor](https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md#guidance-for-an-empty-descriptor):
    /// media type `application/vnd.oci.empty.v1+json`, content `{}`, embedded as `data`.
    pub fn empty() -> Self {
        let mut d = Self::for_bytes(MediaType::Empty, EMPTY_JSON);
        d.data = Some(EmbeddedData::encode(EMPTY_JSON));
        d
    }

    /// Whether this is a non-distributable (foreign) layer with `urls`: content that
    /// stores need not hold, because consumers fetch it from those URLs.
    pub fn is_external(&self) -> bool {
        self.media_type.is_non_distributable() && !self.urls.is_empty()
    }

    /// Checks `bytes` against this descriptor's size and digest.
    ///
    /// # Errors
    /// [`VerifyError`] naming what differs.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), VerifyError> {
        if bytes.len() as u64 != self.size {
            return Err(VerifyError::Size {
                expected: self.size,
                actual: bytes.len() as u64,
                longer: false,
            });
        }
        self.digest.verify(bytes)
    }

    /// The embedded `data`, decoded and verified against size and digest; `None` if the
    /// descriptor embeds nothing.
    ///
    /// # Errors
    /// [`VerifyError`] if the embedded bytes are not the content the descriptor names.
    pub fn embedded(&self) -> Option<Result<Vec<u8>, VerifyError>> {
        let bytes = self.data.as_ref()?.decode();
        Some(self.verify(&bytes).map(|()| bytes))
    }

    /// Every violated requirement of `descriptor.md`, with JSON paths.
    pub fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::new();
        self.check(&mut c);
        c.finish()
    }

    pub(crate) fn check(&self, c: &mut Checker) {
        // [descriptor.mediaType.rfc6838] [manifest.config.mediaType-rfc6838]
        // [manifest.layers.mediaType-rfc6838] [index.manifests.mediaType-rfc6838]
        if !self.media_type.is_well_formed() {
            c.fail_at(
                "mediaType",
                format_args!("{:?} is not an RFC 6838 media type", self.media_type.as_str()),
            );
        }
        // [descriptor.size.int64]
        if self.size > i64::MAX as u64 {
            c.fail_at("size", "size is larger than a signed 64-bit integer");
        }
        // [descriptor.urls.rfc3986]
        if !self.urls.is_empty() {
            c.field("urls", |c| {
                for (i, url) in self.urls.iter().enumerate() {
                    if !is_absolute_uri(url) {
                        c.index(i, |c| c.fail(format_args!("{url:?} is not an RFC 3986 URI")));
                    }
                }
            });
        }
        // [descriptor.data.identical]
        if let Some(data) = &self.data {
            let bytes = data.decode();
            match self.verify(&bytes) {
                Ok(()) | Err(VerifyError::Unverifiable(_)) => {}
                Err(e) => c.fail_at(
                    "data",
                    format_args!("embedded data is not the referenced content: {e}"),
                ),
            }
        }
        // [descriptor.artifactType.rfc6838]
        if let Some(artifact_type) = &self.artifact_type
            && !artifact_type.is_well_formed()
        {
            c.fail_at(
                "artifactType",
                format_args!("{:?} is not an RFC 6838 media type", artifact_type.as_str()),
            );
        }
        if let Some(platform) = &self.platform {
            c.field("platform", |c| platform.check(c));
        }
    }
}

/// The content of the empty descriptor: `{}`.
pub const EMPTY_JSON: &[u8] = b"{}";

/// Content embedded in a descriptor's `data` field: standard base64 with padding
/// (RFC 4648 § 4), kept exactly as written.
///
/// Parsing rejects anything but padded standard base64, as Go's decoder does.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmbeddedData(Box<str>);

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn sextet(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Why a `data` string is not padded standard base64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("data is not padded standard base64 (RFC 4648 section 4) at byte {position}")]
pub struct InvalidBase64 {
    /// The offset of the first offending character (the length if it is too short).
    pub position: usize,
}

fn decode_base64(s: &str) -> Result<Vec<u8>, InvalidBase64> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return Err(InvalidBase64 { position: b.len() });
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (q, quad) in b.chunks_exact(4).enumerate() {
        let last = q + 1 == b.len() / 4;
        let pad = match quad {
            [_, _, b'=', b'='] if last => 2,
            [_, _, _, b'='] if last => 1,
            _ => 0,
        };
        let mut n = 0u32;
        for (i, &ch) in quad[..4 - pad].iter().enumerate() {
            n = (n << 6) | sextet(ch).ok_or(InvalidBase64 { position: q * 4 + i })?;
        }
        n <<= 6 * pad as u32;
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Ok(out)
}

impl EmbeddedData {
    /// Encodes `bytes` as padded standard base64.
    pub fn encode(bytes: &[u8]) -> Self {
        let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let mut n = [0u8; 3];
            n[..chunk.len()].copy_from_slice(chunk);
            let n = u32::from(n[0]) << 16 | u32::from(n[1]) << 8 | u32::from(n[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    s.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
                } else {
                    s.push('=');
                }
            }
        }
        Self(s.into_boxed_str())
    }

    /// The base64 text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The decoded bytes.
    pub fn decode(&self) -> Vec<u8> {
        // Checked when the value was made, so this cannot fail.
        decode_base64(&self.0).unwrap_or_default()
    }
}

impl std::str::FromStr for EmbeddedData {
    type Err = InvalidBase64;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        decode_base64(s)?;
        Ok(Self(s.into()))
    }
}

impl fmt::Debug for EmbeddedData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmbeddedData({:?})", &*self.0)
    }
}

impl Serialize for EmbeddedData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

oci_json::impl_member!(EmbeddedData);

impl<'de> Deserialize<'de> for EmbeddedData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for EmbeddedData {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self::encode(u.arbitrary::<&[u8]>()?))
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Descriptor {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut d = Self::new(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?);
        d.urls = u.arbitrary()?;
        d.annotations = u.arbitrary()?;
        d.data = u.arbitrary()?;
        d.artifact_type = u.arbitrary()?;
        if u.ratio(1u8, 3)? {
            d.platform = Some(u.arbitrary()?);
        }
        d.extra = crate::arbitrary_extra(
            u,
            &[
                "mediaType",
                "digest",
                "size",
                "urls",
                "annotations",
                "data",
                "artifactType",
                "platform",
            ],
        )?;
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let e = EmbeddedData::encode(&bytes);
            assert_eq!(e.decode(), bytes);
            assert_eq!(e.as_str().parse::<EmbeddedData>().unwrap(), e);
        }
        assert_eq!(EmbeddedData::encode(b"{}").as_str(), "e30=");
        for bad in ["e30", "e3=0", "e30=e30=", "====", "e30!", "e==="] {
            assert!(bad.parse::<EmbeddedData>().is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_descriptor() {
        let d = Descriptor::empty();
        assert_eq!(
            d.digest.as_str(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(d.size, 2);
        assert_eq!(d.embedded().unwrap().unwrap(), b"{}");
        assert!(d.validate().is_empty());
    }

    #[test]
    fn embedded_mismatch_is_a_violation() {
        let mut d = Descriptor::for_bytes(MediaType::ImageConfig, b"abc");
        d.data = Some(EmbeddedData::encode(b"abd"));
        let v = d.validate();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].path, "$.data");
        assert!(matches!(d.embedded(), Some(Err(VerifyError::Digest(_)))));
    }
}
