//! How the value of one member of a spec object is read.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A type that can be the value of a member of a spec object.
///
/// The rules are those of Go's `encoding/json`, which most OCI tools use, made strict
/// about duplicate keys:
///
/// | type | reads | `null` |
/// | --- | --- | --- |
/// | `Option<T>` | `T` | `None` |
/// | `Vec<T>` | an array of `T` | empty |
/// | `BTreeMap<String, V>` | an object of `V`, each key once | empty |
/// | [`Value`] | anything, each key of every object once | `Null` |
/// | numbers, `bool`, `String` | themselves | an error |
/// | a spec object ([`deserialize_object!`](crate::deserialize_object)) | an object | an error |
///
/// Other types implement it through their `Deserialize` with
/// [`impl_member!`](crate::impl_member).
pub trait Member<'de>: Sized {
    /// Reads a member's value.
    ///
    /// # Errors
    /// The deserialiser's error, for a value of the wrong shape or a repeated key.
    fn deserialize_member<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// How many items of an array are gathered on the stack before the first allocation.
const INLINE: usize = 8;

/// The largest item gathered so: strings, numbers and small objects.
const INLINE_BYTES: usize = 200;

/// Reads a `T` as a [`Member`]: the seed [`deserialize_object!`](crate::deserialize_object)
/// passes to `MapAccess::next_value_seed`.
#[derive(Debug)]
pub struct MemberSeed<T>(PhantomData<T>);

impl<T> MemberSeed<T> {
    /// A seed for one value.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for MemberSeed<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'de, T: Member<'de>> DeserializeSeed<'de> for MemberSeed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::deserialize_member(d)
    }
}

/// Implements [`Member`] for types through their own `Deserialize`: for scalars and
/// newtypes (a digest, a media type, an enum of statuses) whose `null` is an error.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Status(String);
/// oci_json::impl_member!(Status);
/// ```
#[macro_export]
macro_rules! impl_member {
    ($($ty:ty),* $(,)?) => {$(
        impl<'de> $crate::Member<'de> for $ty {
            #[inline]
            fn deserialize_member<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> Result<Self, D::Error> {
                <$ty as $crate::__private::serde::Deserialize<'de>>::deserialize(d)
            }
        }
    )*};
}

impl_member!(bool, u8, u16, u32, u64, i8, i16, i32, i64, f64, String);

impl<'de, T: Member<'de>> Member<'de> for Option<T> {
    #[inline]
    fn deserialize_member<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct OptionVisitor<T>(PhantomData<T>);
        impl<'de, T: Member<'de>> Visitor<'de> for OptionVisitor<T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or null")
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                T::deserialize_member(d).map(Some)
            }
        }
        d.deserialize_option(OptionVisitor(PhantomData))
    }
}

impl<'de, T: Member<'de>> Member<'de> for Vec<T> {
    fn deserialize_member<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SeqVisitor<T>(PhantomData<T>);
        impl<'de, T: Member<'de>> Visitor<'de> for SeqVisitor<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or null")
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_seq(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                if size_of::<T>() > INLINE_BYTES {
                    // Spec objects: few to an array, and costly to move twice.
                    let mut out = Vec::new();
                    while let Some(item) = seq.next_element_seed(MemberSeed::<T>::new())? {
                        out.push(item);
                    }
                    return Ok(out);
                }
                // JSON gives no length up front. The first few items wait on the stack, so
                // a short array (most of them in OCI documents) gets one allocation of its
                // exact size rather than a series of growing ones.
                let mut head: [Option<T>; INLINE] = Default::default();
                for (n, slot) in head.iter_mut().enumerate() {
                    match seq.next_element_seed(MemberSeed::<T>::new())? {
                        Some(item) => *slot = Some(item),
                        None => {
                            let mut out = Vec::with_capacity(n);
                            out.extend(head.iter_mut().take(n).filter_map(Option::take));
                            return Ok(out);
                        }
                    }
                }
                let Some(next) = seq.next_element_seed(MemberSeed::<T>::new())? else {
                    let mut out = Vec::with_capacity(INLINE);
                    out.extend(head.iter_mut().filter_map(Option::take));
                    return Ok(out);
                };
                let mut out = Vec::with_capacity(INLINE * 2);
                out.extend(head.iter_mut().filter_map(Option::take));
                out.push(next);
                while let Some(item) = seq.next_element_seed(MemberSeed::<T>::new())? {
                    out.push(item);
                }
                Ok(out)
            }
        }
        d.deserialize_option(SeqVisitor(PhantomData))
    }
}

impl<'de, V: Member<'de>> Member<'de> for BTreeMap<String, V> {
    fn deserialize_member<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Member<'de>> Visitor<'de> for MapVisitor<V> {
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
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if out.contains_key(&key) {
                        return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
                    }
                    let value = map.next_value_seed(MemberSeed::<V>::new())?;
                    out.insert(key, value);
                }
                Ok(out)
            }
        }
        d.deserialize_option(MapVisitor(PhantomData))
    }
}

impl<'de> Member<'de> for Value {
    fn deserialize_member<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictValueVisitor)
    }
}

/// Any JSON value, but refusing a repeated key in every object at any depth (which
/// `serde_json::Value` accepts, keeping the last).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrictValue(pub Value);

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
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(v) = seq.next_element_seed(MemberSeed::<Value>::new())? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let value = map.next_value_seed(MemberSeed::<Value>::new())?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member<T: for<'de> Member<'de>>(json: &str) -> Result<T, serde_json::Error> {
        let mut d = serde_json::Deserializer::from_str(json);
        let v = T::deserialize_member(&mut d)?;
        d.end()?;
        Ok(v)
    }

    #[test]
    fn null_rules() {
        assert_eq!(member::<Vec<u32>>("null").unwrap(), Vec::<u32>::new());
        assert_eq!(member::<Vec<u32>>("[1,2]").unwrap(), vec![1, 2]);
        for n in [0, 1, 7, 8, 9, 16, 17, 40] {
            let json = format!("[{}]", (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(","));
            let v = member::<Vec<u32>>(&json).unwrap();
            assert_eq!(v, (0..n).collect::<Vec<u32>>(), "{n} items");
            if n <= INLINE as u32 {
                assert_eq!(v.capacity(), v.len(), "{n} items: one exact allocation");
            }
        }
        assert!(member::<Vec<u32>>("[1,null]").is_err());
        assert_eq!(member::<Option<Vec<u32>>>("null").unwrap(), None);
        assert_eq!(member::<Option<Vec<u32>>>("[]").unwrap(), Some(vec![]));
        assert!(member::<BTreeMap<String, String>>("null").unwrap().is_empty());
        assert!(member::<String>("null").is_err());
        assert!(member::<u32>("-1").is_err());
        assert_eq!(member::<Value>("null").unwrap(), Value::Null);
    }

    #[test]
    fn duplicates_refused_at_every_depth() {
        assert!(member::<BTreeMap<String, String>>(r#"{"a":"1","a":"2"}"#).is_err());
        assert!(member::<BTreeMap<String, Value>>(r#"{"a":{"b":1,"b":1}}"#).is_err());
        assert!(member::<Value>(r#"[{"b":1,"c":[{"d":1,"d":2}]}]"#).is_err());
        assert!(member::<Vec<BTreeMap<String, u8>>>(r#"[{"b":1,"b":1}]"#).is_err());
        let v = member::<Value>(r#"{"a":[1,2.5,"s",null,true,{"b":{}}]}"#).unwrap();
        assert_eq!(v["a"][1], 2.5);
        assert!(serde_json::from_str::<StrictValue>(r#"{"a":1,"a":1}"#).is_err());
    }
}
