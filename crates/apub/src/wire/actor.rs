//! Actor documents (`Person`, `Application`, `Service`, …).

use super::helpers::{one_or_many_strings, serialize_one_or_many};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An actor document, ours or a remote one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorJson {
    /// JSON-LD context; ignored on input (peers' contexts are not fetched).
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub context: Value,
    /// Actor id.
    pub id: Url,
    /// ActivityStreams types, first the actor type.
    #[serde(
        rename = "type",
        deserialize_with = "one_or_many_strings",
        serialize_with = "serialize_one_or_many"
    )]
    pub kind: Vec<String>,
    /// Handle name. Some servers publish none (fediverse-pasture's conformance data has such
    /// actors); the reader then falls back to the id's last path segment.
    #[serde(default)]
    pub preferred_username: String,
    /// Display name (nickname).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Bio, HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Profile page: a URL, a Link, or an array of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Value>,
    /// Avatar: an Image, a URL, or an array of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Value>,
    /// Header image: an Image, a URL, or an array of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Value>,
    /// Personal inbox.
    pub inbox: Url,
    /// Outbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    /// Followers collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    /// Following collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    /// Enishi's introductions collection (`enishi:introductions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introductions: Option<Url>,
    /// Who may see the member's friends list (`enishi:friendsAudience`): an Enishi audience
    /// name, judged by the reader's server against what it knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friends_audience: Option<String>,
    /// Who may see the member's introductions (`enishi:introductionsAudience`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introductions_audience: Option<String>,
    /// Shared inbox and friends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    /// The key that signs the actor's requests.
    pub public_key: PublicKeyJson,
    /// Whether follows need approval.
    #[serde(default)]
    pub manually_approves_followers: bool,
    /// Listed in directories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    /// Posts may be indexed for search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexable: Option<bool>,
    /// Profile fields as Mastodon's `PropertyValue`s (`name`, HTML `value`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "lenient_list"
    )]
    pub attachment: Vec<Value>,
    /// Pinned posts (Mastodon's `toot:featured`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featured: Option<Value>,
    /// When the account was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The actor's other ids (moves, FEP-7628): a new account lists the old one here.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "lenient_list"
    )]
    pub also_known_as: Vec<Value>,
    /// Where the actor moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<Url>,
    /// Further keys as FEP-521a Multikeys (Fedify publishes its Ed25519 key here); read
    /// leniently, one at a time, by `convert::other_keys_from_wire`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_method: Option<serde_json::Value>,
}

/// A list that may be given as one item, or be absent or null.
fn lenient_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Value>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        one => vec![one],
    })
}

/// `endpoints` of an actor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// Shared inbox of the actor's server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
}

/// An actor's `publicKey`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyJson {
    /// Key id (`…#main-key`, `…/main-key`, or the actor URL itself).
    pub id: Url,
    /// The actor owning the key.
    pub owner: Url,
    /// SubjectPublicKeyInfo (or PKCS#1) PEM.
    pub public_key_pem: String,
}
