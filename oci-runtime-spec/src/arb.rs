//! Generators for the fields `arbitrary` cannot derive: JSON values and unknown fields.

use arbitrary::{Result, Unstructured};
use serde_json::{Map, Value};

fn scalar(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0u8..=3)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        _ => Value::String(u.arbitrary()?),
    })
}

/// An optional JSON value (a scalar, or an object of scalars).
pub(crate) fn value(u: &mut Unstructured<'_>) -> Result<Option<Value>> {
    if !u.arbitrary::<bool>()? {
        return Ok(None);
    }
    let mut map = Map::new();
    for _ in 0..u.int_in_range(0u8..=3)? {
        map.insert(u.arbitrary()?, scalar(u)?);
    }
    Ok(Some(Value::Object(map)))
}

/// Unknown fields: names that no known field has (prefixed so they never collide).
pub(crate) fn extra(u: &mut Unstructured<'_>) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    for _ in 0..u.int_in_range(0u8..=2)? {
        let name: String = u.arbitrary()?;
        map.insert(format!("x-unknown-{name}"), scalar(u)?);
    }
    Ok(map)
}
