//! Reading other servers' attachments (`attachment` of a post, `icon` and `image` of an actor)
//! into what the media cache keeps of them. Only http(s) URLs are kept; the declared type
//! decides whether the file is fetched at all (an image this instance reads) or only linked to
//! (video, sound, anything else). The bytes decide in the end: a file that claims to be an
//! image and is not is refused when fetched.

use crate::inbox::type_of;
use crate::wire::helpers::first_url;
use enishi_core::media::DESCRIPTION_MAX;
use enishi_db::remote_media::{MAX_PER_REMOTE_POST, RemoteAttachment};
use serde_json::Value;

/// Image types re-encoded here.
const READABLE: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/gif"];

/// The items of a field that may be one object or a list of them.
fn items(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(a)) => a,
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        _ => &[],
    }
}

fn dimension(item: &Value, field: &str) -> u32 {
    item.get(field)
        .and_then(Value::as_u64)
        .map_or(0, |n| n.min(100_000) as u32)
}

/// One attachment, if it has a URL.
pub fn read_one(item: &Value) -> Option<RemoteAttachment> {
    let url = match item {
        Value::String(_) => first_url(item)?,
        _ => item.get("url").and_then(first_url)?,
    };
    // A `Link` in `url` may carry the type (PeerTube lists its files so).
    let media_type = item
        .get("mediaType")
        .or_else(|| item.get("url").and_then(|u| u.get("mediaType")))
        .and_then(Value::as_str)
        .map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty());
    let fetchable = match media_type.as_deref() {
        Some(t) => READABLE.contains(&t),
        // GoToSocial and older servers may leave the type out of an `Image`.
        None => matches!(type_of(item), Some("Image") | None),
    };
    let description = item
        .get("name")
        .or_else(|| item.get("summary"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| crate::convert::cut_chars(d, DESCRIPTION_MAX));
    Some(RemoteAttachment {
        url: url.to_string(),
        media_type,
        description,
        width: dimension(item, "width"),
        height: dimension(item, "height"),
        fetchable,
    })
}

/// The attachments of a post, in order, at most [`MAX_PER_REMOTE_POST`].
pub fn of_post(object: &Value) -> Vec<RemoteAttachment> {
    items(object.get("attachment"))
        .iter()
        // `PropertyValue`s are an actor's profile fields, never files.
        .filter(|i| type_of(i) != Some("PropertyValue"))
        .filter_map(read_one)
        .take(MAX_PER_REMOTE_POST)
        .collect()
}

/// An actor's `icon` or `image`: the first usable image of the field.
pub fn of_actor_field(value: Option<&Value>) -> Option<RemoteAttachment> {
    let found = match value? {
        Value::Array(a) => a.iter().find_map(read_one),
        other => read_one(other),
    }?;
    found.fetchable.then_some(found)
}
