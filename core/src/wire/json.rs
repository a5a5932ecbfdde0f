//! JSON helpers shared by the JSON wire formats (Accord, Chatalot): strict objects, precise number checks.

use core::fmt;
use core::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Number;

use crate::error::{Error, PeerMisbehaved, Result};

/// Serialises a raw struct as compact JSON.
pub(crate) fn to_json<T: Serialize>(raw: &T) -> Vec<u8> {
    // The raw structs hold only strings, numbers, booleans, byte vectors and nested raw structs, with string
    // keys: serde_json cannot fail on them.
    serde_json::to_vec(raw).expect("serialising a raw wire struct to JSON cannot fail")
}

/// Parses a JSON object (never an array) into a raw struct; serde_json's message, with its line and
/// column, becomes the detail of [`PeerMisbehaved::Malformed`].
pub(crate) fn parse_object<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice::<Object<T>>(bytes)
        .map(|object| object.0)
        .map_err(|e| Error::malformed(what, e.to_string()))
}

/// A JSON number as a `u32`, or an error naming the field and the value found.
pub(crate) fn u32_field(what: &'static str, field: &str, number: &Number) -> Result<u32> {
    number
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            Error::malformed(
                what,
                format!(
                    "field `{field}` is not an integer in 0..={}, got {number}",
                    u32::MAX
                ),
            )
        })
}

/// Checks the version field `v`: a `u32`, equal to `supported`.
pub(crate) fn check_version(what: &'static str, v: &Number, supported: u32) -> Result<()> {
    let version = u32_field(what, "v", v)?;
    if version != supported {
        return Err(PeerMisbehaved::UnsupportedVersion {
            what,
            version,
            supported,
        }
        .into());
    }
    Ok(())
}

/// For `#[serde(default, deserialize_with = "present")]`: absent is `None`, present is `Some` (so `null`
/// is an error rather than `None`).
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// For `#[serde(deserialize_with = "object")]`: the value must be a JSON object, not an array.
pub(crate) fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<T, D::Error> {
    Object::<T>::deserialize(deserializer).map(|object| object.0)
}

/// A struct that only deserialises from a JSON object. serde's derived structs also accept a JSON array,
/// reading the fields by position; no wire format here allows that.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

/// Hands the entries of a JSON object to `T`'s derived deserialiser.
struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}
