//! The one place where actor wire documents and domain actors turn into each other.

use crate::ApubError;
use crate::context::default_context;
use crate::wire::helpers::first_url;
use crate::wire::{ActorJson, Endpoints, PublicKeyJson};
use chrono::Utc;
use enishi_core::media::{Media, ProfileImages, Variant};
use enishi_core::{Actor, ActorId, ActorKind, Audience, InstanceSettings, ProfileField};
use url::Url;

/// Longest display name kept from a remote actor (longer ones are cut).
const MAX_NAME_CHARS: usize = 200;
/// Longest bio kept from a remote actor, in bytes of sanitised HTML.
const MAX_SUMMARY_BYTES: usize = 20_000;
/// Longest remote `preferredUsername` accepted.
const MAX_REMOTE_USERNAME_CHARS: usize = 200;

/// `host[:port]` of a URL, the form actor domains are stored in.
pub fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Whether two URLs share scheme, host and port. The federation crate's own check compares
/// host names only, which would let `localhost:8081` speak for `localhost:8080`.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// The first `max` characters of remote text, without NUL characters (which no text needs and
/// PostgreSQL cannot store).
pub fn cut_chars(s: &str, max: usize) -> String {
    s.chars().filter(|c| *c != '\0').take(max).collect()
}

pub use enishi_core::render::sanitize_html;

/// An uploaded image as an ActivityStreams `Image` with the absolute URL of its file here.
fn image_to_wire(media: &Media, settings: &InstanceSettings) -> serde_json::Value {
    serde_json::json!({
        "type": "Image",
        "mediaType": media.content_type,
        "url": settings.url(&media.path(Variant::Original)).as_str(),
    })
}

/// Serialises a local actor as ActivityStreams JSON, with the profile `fields` and `images`
/// everyone may see as `PropertyValue` attachments, `icon` and `image` (the caller passes only
/// those). An uploaded avatar is preferred over an avatar URL.
pub fn actor_to_wire(
    actor: &Actor,
    fields: &[ProfileField],
    images: &ProfileImages,
    settings: &InstanceSettings,
) -> ActorJson {
    let kind = match actor.kind {
        ActorKind::Application => "Application",
        ActorKind::Service => "Service",
        ActorKind::Group => "Group",
        ActorKind::Organization => "Organization",
        ActorKind::Person => "Person",
    };
    let is_person = actor.kind == ActorKind::Person;
    ActorJson {
        context: default_context(),
        id: actor.ap_id.clone(),
        kind: vec![kind.to_owned()],
        preferred_username: actor.username.clone(),
        name: actor
            .display_name
            .clone()
            .or_else(|| is_person.then(|| actor.username.clone())),
        summary: actor.summary.clone(),
        url: actor
            .url
            .as_ref()
            .map(|u| serde_json::Value::String(u.to_string())),
        icon: images
            .avatar
            .as_ref()
            .map(|m| image_to_wire(m, settings))
            .or_else(|| {
                actor
                    .avatar_url
                    .as_ref()
                    .map(|u| serde_json::json!({ "type": "Image", "url": u.as_str() }))
            }),
        image: images.header.as_ref().map(|m| image_to_wire(m, settings)),
        inbox: actor.inbox.clone(),
        outbox: actor.outbox.clone(),
        followers: actor.followers.clone(),
        following: actor.following.clone(),
        introductions: is_person
            .then(|| settings.url(&format!("/users/{}/introductions", actor.username))),
        friends_audience: actor.friends_audience.map(|a| a.as_str().to_owned()),
        introductions_audience: actor.introductions_audience.map(|a| a.as_str().to_owned()),
        endpoints: actor.shared_inbox.clone().map(|shared_inbox| Endpoints {
            shared_inbox: Some(shared_inbox),
        }),
        public_key: PublicKeyJson {
            id: Url::parse(&actor.public_key_id).unwrap_or_else(|_| actor.ap_id.clone()),
            owner: actor.ap_id.clone(),
            public_key_pem: actor.public_key_pem.clone(),
        },
        manually_approves_followers: actor.manually_approves_followers,
        discoverable: Some(actor.discoverable),
        indexable: Some(actor.indexable),
        attachment: fields
            .iter()
            .map(|f| {
                serde_json::json!({
                    "type": "PropertyValue",
                    "name": f.name,
                    "value": enishi_core::render::inline_html(&f.value),
                })
            })
            .collect(),
        featured: is_person.then(|| {
            serde_json::Value::String(
                settings
                    .url(&format!("/users/{}/featured", actor.username))
                    .to_string(),
            )
        }),
        published: Some(
            actor
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        assertion_method: None,
        also_known_as: Vec::new(),
        moved_to: None,
    }
}

/// The further keys of an actor document (`assertionMethod` Multikeys, FEP-521a) as
/// `(key id, PEM)` pairs. Only keys controlled by the actor, with an id on its origin and a
/// key we can read, are kept; anything else is skipped, not an error: an actor is usable
/// without them.
pub fn other_keys_from_wire(json: &ActorJson) -> Vec<(String, String)> {
    let Some(methods) = &json.assertion_method else {
        return Vec::new();
    };
    let list: Vec<&serde_json::Value> = match methods {
        serde_json::Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    list.into_iter()
        .filter_map(|m| {
            let id = Url::parse(m.get("id")?.as_str()?).ok()?;
            let controller = m.get("controller")?.as_str()?;
            let multibase = m.get("publicKeyMultibase")?.as_str()?;
            let is_multikey = m.get("type").and_then(|t| t.as_str()) == Some("Multikey");
            if !is_multikey || controller != json.id.as_str() || !same_origin(&id, &json.id) {
                return None;
            }
            let pem = crate::signatures::multikey_public_pem(multibase).ok()?;
            Some((id.to_string(), pem))
        })
        .take(8)
        .collect()
}

/// Turns a remote actor document into a domain actor, refusing anything inconsistent: the
/// document must come from the origin of its id, and its key and inbox must belong to it.
pub fn actor_from_wire(json: ActorJson, fetched_from: &Url) -> Result<Actor, ApubError> {
    let id = json.id.clone();
    let invalid_err = move |m: String| ApubError::Invalid(format!("actor {id}: {m}"));
    let invalid = |m: String| Err(invalid_err(m));
    if !matches!(json.id.scheme(), "https" | "http") {
        return invalid("id is not an http(s) URL".into());
    }
    if !same_origin(&json.id, fetched_from) {
        return invalid(format!("served from another origin ({fetched_from})"));
    }
    if json.public_key.owner != json.id {
        return invalid(format!("publicKey belongs to {}", json.public_key.owner));
    }
    if !same_origin(&json.public_key.id, &json.id) {
        return invalid(format!(
            "publicKey id {} is on another origin",
            json.public_key.id
        ));
    }
    if !json.public_key.public_key_pem.contains("-----BEGIN")
        || json.public_key.public_key_pem.contains('\0')
    {
        return invalid("publicKeyPem is not PEM".into());
    }
    for (what, url) in [
        ("inbox", Some(&json.inbox)),
        ("outbox", json.outbox.as_ref()),
    ] {
        if let Some(url) = url
            && !same_origin(url, &json.id)
        {
            return invalid(format!("{what} {url} is on another origin"));
        }
    }
    let kind = json
        .kind
        .iter()
        .find_map(|t| t.parse::<ActorKind>().ok())
        .ok_or_else(|| invalid_err(format!("type {:?} is not an actor type", json.kind)))?;
    // Without a preferredUsername: the id's last path segment, or its host for an id that has
    // no path (Lemmy's instance actor is `https://host/`).
    let fallback = json
        .id
        .path_segments()
        .and_then(|mut s| s.rfind(|seg| !seg.is_empty()))
        .or(json.id.host_str())
        .unwrap_or_default()
        .to_owned();
    let username = match json.preferred_username.trim() {
        "" => fallback.as_str(),
        given => given,
    };
    if username.is_empty()
        || username.chars().count() > MAX_REMOTE_USERNAME_CHARS
        || username.contains(['@', '/', ' ', '\0'])
    {
        return invalid(format!("unusable preferredUsername {username:?}"));
    }
    let domain = authority(&json.id).ok_or_else(|| invalid_err("id has no host".into()))?;
    let shared_inbox = json
        .endpoints
        .as_ref()
        .and_then(|e| e.shared_inbox.clone())
        .filter(|u| same_origin(u, &json.id));
    let summary = json
        .summary
        .as_deref()
        .map(sanitize_html)
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            if s.len() > MAX_SUMMARY_BYTES {
                sanitize_html(&cut_chars(&s, MAX_SUMMARY_BYTES / 4))
            } else {
                s
            }
        });
    let now = Utc::now();
    Ok(Actor {
        id: ActorId(0),
        kind,
        username: username.to_owned(),
        domain,
        is_local: false,
        display_name: json
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| cut_chars(n, MAX_NAME_CHARS)),
        summary,
        url: json.url.as_ref().and_then(first_url),
        avatar_url: json.icon.as_ref().and_then(first_url),
        inbox: json.inbox,
        shared_inbox,
        outbox: json.outbox,
        followers: json.followers,
        following: json.following,
        public_key_id: json.public_key.id.to_string(),
        public_key_pem: json.public_key.public_key_pem,
        manually_approves_followers: json.manually_approves_followers,
        discoverable: json.discoverable.unwrap_or(false),
        indexable: json.indexable.unwrap_or(false),
        created_at: now,
        fetched_at: Some(now),
        friends_audience: section_audience(json.friends_audience.as_deref()),
        introductions_audience: section_audience(json.introductions_audience.as_deref()),
        ap_id: json.id,
    })
}

/// A section audience another server published, as this instance can apply it. `members`
/// means that server's members, of whom nobody here is one: private, here.
fn section_audience(published: Option<&str>) -> Option<Audience> {
    match published?.parse().ok()? {
        Audience::Members => Some(Audience::Private),
        a => Some(a),
    }
}
