//! Media types of OCI and Docker schema2 content, image-spec v1.1
//! [`media-types.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/media-types.md).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! media_types {
    ($($(#[$doc:meta])* $variant:ident = $s:literal,)*) => {
        /// A media type: every OCI and Docker schema2 type as a variant, any other kept verbatim.
        ///
        /// Parsing never fails: an unknown string becomes [`MediaType::Other`], which never
        /// holds a known value, so `match` is reliable. Whether a string is a well-formed
        /// RFC 6838 media type is a question for [`MediaType::is_well_formed`] and the
        /// documents' `validate()`.
        ///
        /// ```
        /// use oci_image::MediaType;
        /// let m = MediaType::from("application/vnd.docker.image.rootfs.diff.tar.gzip");
        /// assert_eq!(m, MediaType::DockerLayerGzip);
        /// assert_eq!(m.to_oci(), MediaType::ImageLayerGzip);
        /// assert_eq!(MediaType::from("text/plain").as_str(), "text/plain");
        /// ```
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum MediaType {
            $($(#[$doc])* $variant,)*
            /// Any other media type, kept verbatim.
            Other(OtherMediaType),
        }

        impl MediaType {
            /// Every known media type.
            pub const KNOWN: &'static [MediaType] = &[$(MediaType::$variant,)*];

            /// The media type string.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $s,)*
                    Self::Other(o) => &o.0,
                }
            }

            fn known(s: &str) -> Option<Self> {
                match s {
                    $($s => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

media_types! {
    /// `application/vnd.oci.descriptor.v1+json`: a content descriptor.
    Descriptor = "application/vnd.oci.descriptor.v1+json",
    /// `application/vnd.oci.layout.header.v1+json`: the `oci-layout` file.
    LayoutHeader = "application/vnd.oci.layout.header.v1+json",
    /// `application/vnd.oci.image.index.v1+json`: an image index.
    ImageIndex = "application/vnd.oci.image.index.v1+json",
    /// `application/vnd.oci.image.manifest.v1+json`: an image manifest.
    ImageManifest = "application/vnd.oci.image.manifest.v1+json",
    /// `application/vnd.oci.image.config.v1+json`: an image configuration.
    ImageConfig = "application/vnd.oci.image.config.v1+json",
    /// `application/vnd.oci.image.layer.v1.tar`: an uncompressed layer.
    ImageLayer = "application/vnd.oci.image.layer.v1.tar",
    /// `application/vnd.oci.image.layer.v1.tar+gzip`: a gzip-compressed layer.
    ImageLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip",
    /// `application/vnd.oci.image.layer.v1.tar+zstd`: a zstd-compressed layer.
    ImageLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd",
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar` (deprecated).
    ImageLayerNonDistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar",
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar+gzip` (deprecated).
    ImageLayerNonDistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar+zstd` (deprecated).
    ImageLayerNonDistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    /// `application/vnd.oci.empty.v1+json`: the empty JSON object `{}`.
    Empty = "application/vnd.oci.empty.v1+json",
    /// `application/vnd.docker.distribution.manifest.list.v2+json`: a Docker manifest list.
    DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json",
    /// `application/vnd.docker.distribution.manifest.v2+json`: a Docker schema2 manifest.
    DockerManifest = "application/vnd.docker.distribution.manifest.v2+json",
    /// `application/vnd.docker.distribution.manifest.v1+json`: a Docker schema1 manifest (legacy, not parsed).
    DockerManifestSchema1 = "application/vnd.docker.distribution.manifest.v1+json",
    /// `application/vnd.docker.distribution.manifest.v1+prettyjws`: a signed schema1 manifest (legacy, not parsed).
    DockerManifestSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws",
    /// `application/vnd.docker.container.image.v1+json`: a Docker image configuration.
    DockerConfig = "application/vnd.docker.container.image.v1+json",
    /// `application/vnd.docker.image.rootfs.diff.tar.gzip`: a Docker gzip layer.
    DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip",
    /// `application/vnd.docker.image.rootfs.diff.tar`: an uncompressed Docker layer.
    DockerLayer = "application/vnd.docker.image.rootfs.diff.tar",
    /// `application/vnd.docker.image.rootfs.foreign.diff.tar.gzip`: a Docker foreign layer.
    DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
}

/// A media type string this crate does not know, kept verbatim.
///
/// It has no public constructor: values come from [`MediaType::from`], so an
/// `OtherMediaType` never holds a known media type.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OtherMediaType(Box<str>);

impl OtherMediaType {
    /// The media type string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a layer's tar stream is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// A plain tar stream.
    None,
    /// gzip (RFC 1952), possibly several members.
    Gzip,
    /// zstd (RFC 8878), possibly several frames.
    Zstd,
}

impl MediaType {
    /// Whether this is an image index or a Docker manifest list.
    pub fn is_index(&self) -> bool {
        matches!(self, Self::ImageIndex | Self::DockerManifestList)
    }

    /// Whether this is an OCI image manifest or a Docker schema2 manifest.
    pub fn is_manifest(&self) -> bool {
        matches!(self, Self::ImageManifest | Self::DockerManifest)
    }

    /// Whether this is a document that points to other content: a manifest or an index
    /// (of either family).
    pub fn is_document(&self) -> bool {
        self.is_manifest() || self.is_index()
    }

    /// Whether this is an image configuration (OCI or Docker).
    pub fn is_config(&self) -> bool {
        matches!(self, Self::ImageConfig | Self::DockerConfig)
    }

    /// Whether this is a layer type (OCI, non-distributable or Docker).
    pub fn is_layer(&self) -> bool {
        self.layer_compression().is_some()
    }

    /// Whether this is a non-distributable (OCI) or foreign (Docker) layer.
    pub fn is_non_distributable(&self) -> bool {
        matches!(
            self,
            Self::ImageLayerNonDistributable
                | Self::ImageLayerNonDistributableGzip
                | Self::ImageLayerNonDistributableZstd
                | Self::DockerForeignLayerGzip
        )
    }

    /// Whether this is a Docker media type.
    pub fn is_docker(&self) -> bool {
        self.as_str().starts_with("application/vnd.docker.")
    }

    /// For a layer type, how its tar stream is compressed; `None` for anything else.
    pub fn layer_compression(&self) -> Option<Compression> {
        match self {
            Self::ImageLayer | Self::ImageLayerNonDistributable | Self::DockerLayer => {
                Some(Compression::None)
            }
            Self::ImageLayerGzip
            | Self::ImageLayerNonDistributableGzip
            | Self::DockerLayerGzip
            | Self::DockerForeignLayerGzip => Some(Compression::Gzip),
            Self::ImageLayerZstd | Self::ImageLayerNonDistributableZstd => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// The OCI equivalent of a Docker schema2 type, as skopeo converts them; other types
    /// are returned unchanged.
    pub fn to_oci(&self) -> Self {
        match self {
            Self::DockerManifestList => Self::ImageIndex,
            Self::DockerManifest => Self::ImageManifest,
            Self::DockerConfig => Self::ImageConfig,
            Self::DockerLayerGzip => Self::ImageLayerGzip,
            Self::DockerLayer => Self::ImageLayer,
            Self::DockerForeignLayerGzip => Self::ImageLayerNonDistributableGzip,
            other => other.clone(),
        }
    }

    /// The Docker schema2 equivalent of an OCI type, or `None` where Docker has none
    /// (zstd layers, the empty descriptor, artifacts).
    pub fn to_docker(&self) -> Option<Self> {
        Some(match self {
            Self::ImageIndex | Self::DockerManifestList => Self::DockerManifestList,
            Self::ImageManifest | Self::DockerManifest => Self::DockerManifest,
            Self::ImageConfig | Self::DockerConfig => Self::DockerConfig,
            Self::ImageLayerGzip | Self::DockerLayerGzip => Self::DockerLayerGzip,
            Self::ImageLayer | Self::DockerLayer => Self::DockerLayer,
            Self::ImageLayerNonDistributableGzip | Self::DockerForeignLayerGzip => {
                Self::DockerForeignLayerGzip
            }
            _ => return None,
        })
    }

    /// Whether the string is a media type as RFC 6838 § 4.2 names them (and as the
    /// image-spec schema checks): `type/subtype`, each 1 to 127 characters of
    /// `[A-Za-z0-9!#$&^_.+-]` starting with a letter or digit.
    pub fn is_well_formed(&self) -> bool {
        is_well_formed(self.as_str())
    }
}

/// RFC 6838 § 4.2 `restricted-name "/" restricted-name`.
pub(crate) fn is_well_formed(s: &str) -> bool {
    fn restricted_name(n: &str) -> bool {
        let b = n.as_bytes();
        !b.is_empty()
            && b.len() <= 127
            && b[0].is_ascii_alphanumeric()
            && b.iter().all(|&c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, b'!' | b'#' | b'$' | b'&' | b'^' | b'_' | b'.' | b'+' | b'-')
            })
    }
    s.split_once('/').is_some_and(|(t, st)| restricted_name(t) && restricted_name(st))
}

impl From<&str> for MediaType {
    fn from(s: &str) -> Self {
        Self::known(s).unwrap_or_else(|| Self::Other(OtherMediaType(s.into())))
    }
}

impl From<String> for MediaType {
    fn from(s: String) -> Self {
        Self::known(&s).unwrap_or_else(|| Self::Other(OtherMediaType(s.into_boxed_str())))
    }
}

impl std::str::FromStr for MediaType {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(s.into())
    }
}

impl AsRef<str> for MediaType {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for MediaType {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for MediaType {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MediaType({:?})", self.as_str())
    }
}

impl fmt::Debug for OtherMediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for MediaType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

oci_json::impl_member!(MediaType);

impl<'de> Deserialize<'de> for MediaType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = MediaType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a media type string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MediaType, E> {
                Ok(v.into())
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<MediaType, E> {
                Ok(v.into())
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for MediaType {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.ratio(3u8, 4)? {
            Ok(u.choose(Self::KNOWN)?.clone())
        } else {
            Ok(String::arbitrary(u)?.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_round_trip() {
        for m in MediaType::KNOWN {
            assert_eq!(&MediaType::from(m.as_str()), m);
            assert_eq!(&MediaType::from(m.as_str().to_owned()), m);
            assert!(m.is_well_formed(), "{m}");
            let json = serde_json::to_string(m).unwrap();
            assert_eq!(&serde_json::from_str::<MediaType>(&json).unwrap(), m);
            if let Some(d) = m.to_docker() {
                assert!(d.is_docker());
                assert_eq!(d.to_oci().to_docker(), Some(d));
            }
        }
    }

    #[test]
    fn other_is_never_known() {
        let m = MediaType::from("application/x-foo");
        assert!(matches!(&m, MediaType::Other(o) if o.as_str() == "application/x-foo"));
        assert_eq!(m.to_string(), "application/x-foo");
    }

    #[test]
    fn well_formed() {
        let long = "a".repeat(127);
        assert!(is_well_formed(&format!("{long}/{long}")));
        assert!(!is_well_formed(&format!("{long}a/b")));
        assert!(!is_well_formed(&format!("b/{long}a")));
        for bad in ["", "application", "/json", "application/", ".a/b", "a/.b", "a/b/c", "a b/c"] {
            assert!(!is_well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn layer_properties() {
        assert_eq!(MediaType::ImageLayerZstd.layer_compression(), Some(Compression::Zstd));
        assert_eq!(MediaType::DockerForeignLayerGzip.layer_compression(), Some(Compression::Gzip));
        assert!(MediaType::DockerForeignLayerGzip.is_non_distributable());
        assert!(!MediaType::ImageConfig.is_layer());
        assert_eq!(MediaType::ImageLayerZstd.to_docker(), None);
    }
}
