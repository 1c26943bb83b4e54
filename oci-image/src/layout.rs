//! The `oci-layout` file of an image layout, image-spec v1.1
//! [`image-layout.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md#oci-layout-file).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::Violation;
use crate::validate::Checker;

/// The version of the image layout this crate writes and reads.
pub const IMAGE_LAYOUT_VERSION: &str = "1.0.0";

/// The content of an image layout's `oci-layout` file
/// (`application/vnd.oci.layout.header.v1+json`).
///
/// ```
/// # fn main() -> Result<(), serde_json::Error> {
/// use oci_image::ImageLayout;
/// let header: ImageLayout = oci_image::json::from_slice(br#"{"imageLayoutVersion": "1.0.0"}"#)?;
/// assert_eq!(header, ImageLayout::default());
/// assert!(header.validate().is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ImageLayout {
    /// REQUIRED. The layout version, `1.0.0`.
    pub image_layout_version: String,
    /// Fields this crate does not know, kept so that a round trip loses nothing.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

oci_json::deserialize_object!(ImageLayout, "an oci-layout file", {
    image_layout_version: "imageLayoutVersion" required;
});

impl Default for ImageLayout {
    /// The header this crate writes: version [`IMAGE_LAYOUT_VERSION`].
    fn default() -> Self {
        Self { image_layout_version: IMAGE_LAYOUT_VERSION.to_owned(), extra: Map::new() }
    }
}

impl ImageLayout {
    /// Every violated requirement of `image-layout.md` for this file.
    pub fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::new();
        // [layout.imageLayoutVersion.value]
        if self.image_layout_version != IMAGE_LAYOUT_VERSION {
            c.fail_at(
                "imageLayoutVersion",
                format_args!(
                    "imageLayoutVersion must be {IMAGE_LAYOUT_VERSION:?}, found {:?}",
                    self.image_layout_version
                ),
            );
        }
        c.finish()
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for ImageLayout {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut l = Self::default();
        if u.ratio(1u8, 4)? {
            l.image_layout_version = u.arbitrary()?;
        }
        l.extra = crate::arbitrary_extra(u, &["imageLayoutVersion"])?;
        Ok(l)
    }
}
