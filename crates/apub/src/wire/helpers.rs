//! Lenient deserialisers for shapes real servers disagree on.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

/// `"type": "Person"` or `"type": ["Person", "vcard:Individual"]` → every name given.
pub fn one_or_many_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// The first URL in a value that may be a URL string, a `Link`/`Image` object with `href` or
/// `url`, or an array of those. Anything unusable counts as absent rather than failing the
/// whole document: these fields are decoration.
pub fn first_url(value: &Value) -> Option<Url> {
    match value {
        Value::String(s) => Url::parse(s)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http")),
        Value::Array(items) => items.iter().find_map(first_url),
        Value::Object(map) => map
            .get("href")
            .or_else(|| map.get("url"))
            .and_then(first_url),
        _ => None,
    }
}

/// Serialises a one-element list as a bare string (as Mastodon writes `type`), a longer one
/// as an array.
pub fn serialize_one_or_many<S: serde::Serializer>(
    items: &[String],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    match items {
        [one] => one.serialize(s),
        many => many.serialize(s),
    }
}
