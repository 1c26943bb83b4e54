//! The JSON foundation shared by `oci-image` and `oci-runtime-spec`: how an OCI document
//! is read, written and checked.
//!
//! - **Strict.** A JSON object with the same key twice is an error wherever it appears:
//!   in a known member, an unknown one, or any value nested in either, so a document
//!   cannot be read one way here and another way by a last-one-wins parser
//!   (CVE-2014-8179).
//! - **Lossless.** Every spec object is read by [`deserialize_object!`], which keeps the
//!   members it does not know in an `extra` map ([`Extra`]); serialising the value gives
//!   them back.
//! - **Lenient where Go is.** `null` reads as empty for arrays and maps and as absent for
//!   optional members, as Go's `encoding/json` (which most OCI tools use) decodes it.
//! - **Checked with paths.** [`Checker`] walks a document for its `validate()` and renders
//!   the JSON path of every [`Violation`] (`$.linux.seccomp.syscalls[2].names`,
//!   `$.annotations["org.example.key"]`), allocating nothing while a document is valid.
//!
//! This crate defines no document type: those are in `oci-image` and `oci-runtime-spec`.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), serde_json::Error> {
//! use std::collections::BTreeMap;
//!
//! use oci_json::{Checker, Extra};
//!
//! /// A spec object with one required and two optional members.
//! #[derive(Debug, serde::Serialize)]
//! struct Hook {
//!     path: String,
//!     #[serde(skip_serializing_if = "Vec::is_empty")]
//!     args: Vec<String>,
//!     #[serde(skip_serializing_if = "BTreeMap::is_empty")]
//!     labels: BTreeMap<String, String>,
//!     #[serde(flatten)]
//!     extra: Extra,
//! }
//!
//! oci_json::deserialize_object!(Hook, "a hook", {
//!     path: "path" required;
//!     args: "args";
//!     labels: "labels";
//! });
//!
//! // Unknown members are kept, `null` is empty, and a round trip gives the same JSON.
//! let bytes = br#"{"path":"/bin/true","args":null,"x-new":{"a":[1,2]}}"#;
//! let hook: Hook = oci_json::from_slice(bytes)?;
//! assert!(hook.args.is_empty());
//! assert_eq!(oci_json::to_vec(&hook)?, br#"{"path":"/bin/true","x-new":{"a":[1,2]}}"#);
//!
//! // Duplicate keys are refused, even deep inside an unknown member.
//! assert!(oci_json::from_slice::<Hook>(br#"{"path":"/a","x":{"b":1,"b":2}}"#).is_err());
//!
//! // Violations carry the JSON path of what is wrong.
//! let mut c = Checker::new();
//! c.field("hooks", |c| c.index(0, |c| c.key("org.example", |c| c.fail("bad"))));
//! assert_eq!(c.finish()[0].to_string(), r#"$.hooks[0]["org.example"]: bad"#);
//! # Ok(()) }
//! ```
//!
//! # Contents
//!
//! | item | what |
//! | --- | --- |
//! | [`from_slice`], [`to_vec`], [`to_writer`] | reading and writing a document |
//! | [`deserialize_object!`], [`Extra`] | a spec object that keeps unknown members |
//! | [`Member`], [`impl_member!`] | how a member's value is read (`null` rules, strict maps) |
//! | [`StrictValue`] | any JSON value, duplicate keys refused at every depth |
//! | [`Checker`], [`Violation`] | walking a document for `validate()`, JSON paths |
//! | [`format`](mod@format) | string formats the specs name (RFC 3339 date-times) |

#![forbid(unsafe_code)]

mod check;
pub mod format;
mod member;
mod object;

pub use check::{Checker, Violation};
pub use member::{Member, MemberSeed, StrictValue};
pub use object::{Key, insert_extra};

/// Unknown members of a spec object, kept for a lossless round trip.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// What the macros of this crate name, so that crates using them need no direct
/// dependency on `serde`.
#[doc(hidden)]
pub mod __private {
    pub use serde;
}

/// Parses a document from JSON bytes.
///
/// This is `serde_json::from_slice` but for one difference: the bytes are checked to be
/// UTF-8 once, up front, rather than string by string, which makes documents with many
/// strings faster to read. Input that is not UTF-8 gets `serde_json`'s own error.
/// Duplicate keys are refused by the types of the document crates themselves.
///
/// # Errors
/// A [`serde_json::Error`] with the line and column of the first problem.
pub fn from_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

/// Serialises a document to compact JSON: no whitespace, map keys sorted (the document
/// types hold their maps sorted), so the same value always gives the same bytes.
///
/// # Errors
/// Only if a value cannot be represented in JSON, which no OCI document type does.
pub fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(value)
}

/// Serialises a document to compact JSON into `writer`, as [`to_vec`] does.
///
/// # Errors
/// An I/O error of `writer`, as a [`serde_json::Error`].
pub fn to_writer<W: std::io::Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> Result<(), serde_json::Error> {
    serde_json::to_writer(writer, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn input_not_utf8_gets_serde_json_error() {
        for bad in [&b"{\"a\":\"\xff\"}"[..], b"{\"a\":1}\xc3", b"\xef\xbb\xbf{}"] {
            let ours = from_slice::<StrictValue>(bad).map(|v| v.0).unwrap_err().to_string();
            let theirs = serde_json::from_slice::<Value>(bad).unwrap_err().to_string();
            assert_eq!(ours, theirs);
        }
        let v: StrictValue = from_slice("{\"a\":\"é\\u00e9\"}".as_bytes()).unwrap();
        assert_eq!(v.0["a"], "éé");
    }

    #[test]
    fn writer_and_vec_agree() {
        let value = serde_json::json!({"b": [1, {"c": null}], "a": "x"});
        let mut out = Vec::new();
        to_writer(&mut out, &value).unwrap();
        assert_eq!(out, to_vec(&value).unwrap());
        assert_eq!(out, br#"{"a":"x","b":[1,{"c":null}]}"#);
    }
}
