//! Spec objects: known members by name, unknown ones kept, every key once.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::{Extra, MemberSeed};

/// An object key, borrowed from the input where possible.
#[derive(Debug)]
pub enum Key<'de> {
    /// Borrowed from the input.
    Borrowed(&'de str),
    /// Unescaped, so copied.
    Owned(String),
}

impl Key<'_> {
    /// The key.
    pub fn as_str(&self) -> &str {
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

/// Reads the value of the unknown member `key` into `extra`, refusing a repeated key
/// and duplicate keys anywhere inside the value.
///
/// # Errors
/// The deserialiser's error.
pub fn insert_extra<'de, A: MapAccess<'de>>(
    extra: &mut Extra,
    key: &str,
    map: &mut A,
) -> Result<(), A::Error> {
    if extra.contains_key(key) {
        return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
    }
    let value = map.next_value_seed(MemberSeed::<serde_json::Value>::new())?;
    extra.insert(key.to_owned(), value);
    Ok(())
}

/// Implements `Deserialize` (and [`Member`](crate::Member)) for a spec object: each known
/// member by its JSON name, read as a [`Member`](crate::Member) of the field's type; every
/// other member into the struct's `extra: Extra` field; a repeated key, known or not, is
/// an error.
///
/// A member marked `required` must be present (its value may still be `null` where the
/// field's type reads `null`); any other absent member gets the field type's `Default`.
/// A member marked `null_as_default` reads `null` as its type's `Default` even where the
/// type itself refuses `null` (a spec object that Go tools write as `null` when empty).
/// The struct must have every listed field plus `extra`, and nothing else.
///
/// This is a hand-written visitor rather than `#[serde(flatten)]`, which buffers every
/// member and costs about a third of the parse time of a large document.
///
/// ```
/// #[derive(Debug, serde::Serialize)]
/// struct Root {
///     path: String,
///     #[serde(skip_serializing_if = "Option::is_none")]
///     readonly: Option<bool>,
///     #[serde(flatten)]
///     extra: oci_json::Extra,
/// }
/// oci_json::deserialize_object!(Root, "a root", {
///     path: "path" required;
///     readonly: "readonly";
/// });
/// let root: Root = oci_json::from_slice(br#"{"path":"rootfs","x":1}"#).unwrap();
/// assert_eq!((root.path.as_str(), root.readonly, &root.extra["x"]), ("rootfs", None, &1.into()));
/// assert!(oci_json::from_slice::<Root>(br#"{"readonly":true}"#).is_err());
/// assert!(oci_json::from_slice::<Root>(br#"{"path":"a","path":"b"}"#).is_err());
/// ```
#[macro_export]
macro_rules! deserialize_object {
    ($ty:ident, $expecting:literal, { $($field:ident: $json:literal $($required:ident)?;)* }) => {
        impl<'de> $crate::__private::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> Result<Self, D::Error> {
                struct ObjectVisitor;
                impl<'de> $crate::__private::serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str($expecting)
                    }
                    #[allow(unused_mut)]
                    fn visit_map<A: $crate::__private::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$ty, A::Error> {
                        // Each member: whether it was seen, and its value (optional
                        // members start as their default, so no second move is needed).
                        $(let mut $field = $crate::deserialize_object!(@init $($required)?);)*
                        let mut extra = $crate::Extra::new();
                        while let Some(key) = map.next_key::<$crate::Key<'de>>()? {
                            match key.as_str() {
                                $($json => {
                                    if $field.0 {
                                        return Err(
                                            <A::Error as $crate::__private::serde::de::Error>::duplicate_field($json),
                                        );
                                    }
                                    $field.0 = true;
                                    $field.1 = $crate::deserialize_object!(@read map $(, $required)?);
                                })*
                                other => $crate::insert_extra(&mut extra, other, &mut map)?,
                            }
                        }
                        Ok($ty {
                            $($field: $crate::deserialize_object!(@finish $field, $json $(, $required)?),)*
                            extra,
                        })
                    }
                }
                d.deserialize_map(ObjectVisitor)
            }
        }

        impl<'de> $crate::Member<'de> for $ty {
            #[inline]
            fn deserialize_member<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> Result<Self, D::Error> {
                <$ty as $crate::__private::serde::Deserialize<'de>>::deserialize(d)
            }
        }
    };
    (@init) => {
        (false, ::std::default::Default::default())
    };
    (@init required) => {
        (false, None)
    };
    (@init null_as_default) => {
        (false, ::std::default::Default::default())
    };
    (@read $map:ident) => {
        $map.next_value_seed($crate::MemberSeed::new())?
    };
    (@read $map:ident, required) => {
        Some($map.next_value_seed($crate::MemberSeed::new())?)
    };
    (@read $map:ident, null_as_default) => {
        $map.next_value_seed($crate::MemberSeed::<Option<_>>::new())?.unwrap_or_default()
    };
    (@finish $field:ident, $json:literal $(, null_as_default)?) => {
        $field.1
    };
    (@finish $field:ident, $json:literal, required) => {
        match $field.1 {
            Some(value) => value,
            None => {
                return Err(<A::Error as $crate::__private::serde::de::Error>::missing_field($json));
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use crate::Extra;

    #[derive(Debug, Default, PartialEq, serde::Serialize)]
    struct Inner {
        #[serde(skip_serializing_if = "Option::is_none")]
        n: Option<u32>,
        #[serde(flatten)]
        extra: Extra,
    }

    crate::deserialize_object!(Inner, "an inner object", { n: "n"; });

    #[derive(Debug, serde::Serialize)]
    struct Outer {
        id: String,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        m: BTreeMap<String, String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        list: Vec<Inner>,
        #[serde(skip_serializing_if = "Option::is_none")]
        one: Option<Inner>,
        #[serde(skip_serializing_if = "is_default")]
        inner: Inner,
        #[serde(flatten)]
        extra: Extra,
    }

    crate::deserialize_object!(Outer, "an outer object", {
        id: "id" required;
        m: "m";
        list: "list";
        one: "one";
        inner: "inner" null_as_default;
    });

    fn is_default(inner: &Inner) -> bool {
        *inner == Inner::default()
    }

    fn parse(json: &str) -> Result<Outer, serde_json::Error> {
        crate::from_slice(json.as_bytes())
    }

    #[test]
    fn duplicates_rejected_everywhere() {
        for bad in [
            r#"{"id":"a","m":{"a":"1","a":"2"}}"#,
            r#"{"id":"a","x":1,"x":2}"#,
            r#"{"id":"a","x":{"y":1,"y":1}}"#,
            r#"{"id":"a","x":[{"y":1,"y":1}]}"#,
            r#"{"id":"a","m":{},"m":{}}"#,
            r#"{"id":"a","id":"a"}"#,
            r#"{"id":"a","list":[{"n":1,"n":1}]}"#,
            r#"{"id":"a","one":{"z":1,"z":1}}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shapes() {
        assert!(parse(r#"{"id":"a","m":[]}"#).is_err());
        assert!(parse(r#"{"m":{}}"#).unwrap_err().to_string().contains("missing field `id`"));
        assert!(parse(r#"{"id":null}"#).is_err());
        let o = parse(r#"{"id":"a","m":null,"list":null,"one":null,"x":{"y":[1,2.5,"s",null]}}"#)
            .unwrap();
        assert!(o.m.is_empty() && o.list.is_empty() && o.one.is_none());
        assert!(parse(r#"{"id":"a","one":null,"inner":null}"#).unwrap().inner == Inner::default());
        assert!(parse(r#"{"id":"a","list":[null]}"#).is_err());
        assert_eq!(parse(r#"{"id":"a","inner":{"n":3}}"#).unwrap().inner.n, Some(3));
        assert_eq!(o.extra["x"]["y"][1], 2.5);
    }

    #[test]
    fn unknown_members_survive_at_every_level() {
        let json = r#"{"id":"a","list":[{"n":1,"u":{"v":[]}}],"one":{"w":null},"z":"s"}"#;
        let o = parse(json).unwrap();
        let back: Value = serde_json::from_slice(&crate::to_vec(&o).unwrap()).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(json).unwrap());
    }
}
