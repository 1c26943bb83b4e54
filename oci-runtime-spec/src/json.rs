//! JSON helpers: duplicate keys are an error (CVE-2014-8179), unknown fields are kept.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// `serde_json::Value` rejecting duplicate keys in every nested object.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
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
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some(StrictValue(v)) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Value::Array(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
                strict::<A, StrictValue>(map)
                    .map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, v.0)).collect()))
            }
        }
        d.deserialize_any(V).map(StrictValue)
    }
}

fn strict<'de, A: MapAccess<'de>, V: Deserialize<'de>>(
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

/// A map with unique keys; `null` reads as empty.
pub(crate) fn strict_map<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
    d: D,
) -> Result<BTreeMap<String, V>, D::Error> {
    struct Opt<V>(PhantomData<V>);
    impl<'de, V: Deserialize<'de>> Visitor<'de> for Opt<V> {
        type Value = BTreeMap<String, V>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object with unique keys, or null")
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            strict(map)
        }
    }
    d.deserialize_option(Opt(PhantomData))
}

/// A sequence where `null` reads as empty.
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

/// Implements `Deserialize` for a struct with an `extra` map by hand: known fields by
/// name (a repeated one is an error), every other field into `extra`, strictly. This
/// replaces `#[serde(flatten)]`, whose buffering cost a third of the parse time.
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
                            $($field: $crate::oci_json::deserialize_object!(@finish $kind, $field, $json, $conv),)*
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
