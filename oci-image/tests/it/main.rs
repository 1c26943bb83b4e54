//! Integration tests of `oci-image`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod conformance;
mod docker;
mod lossless;
mod properties;
mod requirements;
mod tools;

use serde_json::Value;

/// The repository's copy of the upstream conformance data.
pub(crate) const CONFORMANCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../conformance");

/// `value` without nulls and empty arrays or objects, which a round trip may drop.
pub(crate) fn without_empty(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), without_empty(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_empty).collect()),
        other => other.clone(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Parses `bytes` as `T`, serialises it again, and asserts that no value was lost.
pub(crate) fn assert_lossless<T: serde::de::DeserializeOwned + serde::Serialize>(
    bytes: &[u8],
    what: &str,
) -> T {
    let parsed: T = oci_image::json::from_slice(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    let again = oci_image::json::to_vec(&parsed).unwrap();
    let original: Value = serde_json::from_slice(bytes).unwrap();
    let reparsed: Value = serde_json::from_slice(&again).unwrap();
    assert_eq!(
        without_empty(&original),
        without_empty(&reparsed),
        "{what}: round trip changed the document"
    );
    // And a second round trip is byte-stable (deterministic serialisation).
    let twice =
        oci_image::json::to_vec(&oci_image::json::from_slice::<T>(&again).unwrap()).unwrap();
    assert_eq!(again, twice, "{what}: serialisation is not deterministic");
    parsed
}
