//! Reading and writing documents: duplicate keys refused everywhere (CVE-2014-8179),
//! unknown members kept, `null` read as Go reads it. The rules live in the shared
//! `oci-json` crate, so `oci-runtime-spec` reads its documents the same way.

/// Parses a document from bytes.
///
/// The document types of this crate reject duplicate keys in every object, including
/// unknown members and the objects nested in them, so a document cannot be read one way
/// by us and another way by a last-one-wins parser (CVE-2014-8179). This is
/// `serde_json::from_slice` but for one difference: the bytes are checked to be UTF-8
/// once, up front, rather than string by string, which is faster. Input that is not UTF-8
/// gets `serde_json`'s own error.
///
/// ```
/// # fn main() -> Result<(), serde_json::Error> {
/// use oci_image::ImageLayout;
/// let layout: ImageLayout = oci_image::json::from_slice(br#"{"imageLayoutVersion":"1.0.0"}"#)?;
/// assert!(oci_image::json::from_slice::<ImageLayout>(br#"{"a":1,"a":1}"#).is_err());
/// # let _ = layout; Ok(()) }
/// ```
///
/// # Errors
/// A [`serde_json::Error`] with the line and column of the first problem.
pub fn from_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    oci_json::from_slice(bytes)
}

/// Serialises a document to compact JSON, the form this crate stores: map keys sorted, no
/// whitespace, so the same value always has the same bytes and digest.
///
/// # Errors
/// Only if a value cannot be represented in JSON, which no type of this crate does.
pub fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    oci_json::to_vec(value)
}

/// Serialises a document to compact JSON into `writer`, as [`to_vec`] does.
///
/// # Errors
/// An I/O error of `writer`, as a [`serde_json::Error`].
pub fn to_writer<W: std::io::Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> Result<(), serde_json::Error> {
    oci_json::to_writer(writer, value)
}
