//! Actors: local members, remote people and instance actors, all in one shape.

use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;
use url::Url;

/// Database id of an actor (local or remote).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ActorId(pub i64);

/// What kind of ActivityPub actor this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A person: a member here or an account elsewhere.
    Person,
    /// A server's own actor (our `/actor`, or another server's).
    Application,
    /// A bot account.
    Service,
    /// A group account.
    Group,
    /// An organization account.
    Organization,
}

impl ActorKind {
    /// Storage and ActivityStreams name (lower-case for storage).
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Person => "person",
            ActorKind::Application => "application",
            ActorKind::Service => "service",
            ActorKind::Group => "group",
            ActorKind::Organization => "organization",
        }
    }
}

impl FromStr for ActorKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "person" => Ok(ActorKind::Person),
            "application" => Ok(ActorKind::Application),
            "service" => Ok(ActorKind::Service),
            "group" => Ok(ActorKind::Group),
            "organization" => Ok(ActorKind::Organization),
            other => Err(format!("unknown actor type {other:?}")),
        }
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An actor as the rest of Enishi sees it. The private key is deliberately absent: it is read
/// only where a request is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Database id.
    pub id: ActorId,
    /// ActivityPub id (URL).
    pub ap_id: Url,
    /// Kind of actor.
    pub kind: ActorKind,
    /// `preferredUsername` as published.
    pub username: String,
    /// `host[:port]` of the actor's server.
    pub domain: String,
    /// Whether the actor lives on this instance.
    pub is_local: bool,
    /// Nickname (mixi ニックネーム); not unique.
    pub display_name: Option<String>,
    /// Bio, as sanitised HTML.
    pub summary: Option<String>,
    /// Profile page for people.
    pub url: Option<Url>,
    /// Avatar image.
    pub avatar_url: Option<Url>,
    /// Personal inbox.
    pub inbox: Url,
    /// Shared inbox of the actor's server, when it has one.
    pub shared_inbox: Option<Url>,
    /// Outbox collection.
    pub outbox: Option<Url>,
    /// Followers collection (for Enishi members: exactly the friends).
    pub followers: Option<Url>,
    /// Following collection.
    pub following: Option<Url>,
    /// Id of the public key (`…#main-key`).
    pub public_key_id: String,
    /// SubjectPublicKeyInfo PEM.
    pub public_key_pem: String,
    /// Whether follows need approval (always true for Enishi members).
    pub manually_approves_followers: bool,
    /// Whether the actor wants to be listed in directories.
    pub discoverable: bool,
    /// Whether the actor's posts may be indexed for search.
    pub indexable: bool,
    /// When we first stored this actor.
    pub created_at: DateTime<Utc>,
    /// When the remote document was last fetched (None for local actors).
    pub fetched_at: Option<DateTime<Utc>>,
    /// Who may see the friends list, as the actor's own server publishes it (remote Enishi
    /// members). `None` for local members (their account holds it) and for servers that do
    /// not say, which this instance then treats as private (fail closed).
    pub friends_audience: Option<crate::Audience>,
    /// Who may see the introductions section, published likewise.
    pub introductions_audience: Option<crate::Audience>,
}

impl Actor {
    /// `name@domain`, the fediverse handle.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.username, self.domain)
    }

    /// How the API names this actor: bare `name` for local members, `name@domain` otherwise.
    pub fn api_handle(&self) -> String {
        if self.is_local {
            self.username.clone()
        } else {
            self.handle()
        }
    }
}

/// The 404 message for an account that does not exist *or* that the caller may not see (a
/// blocker): the same words either way, so that a block is never revealed.
pub fn unknown_account(handle: &str) -> String {
    format!(
        "no member or known account {:?}",
        handle.trim().trim_start_matches('@').to_lowercase()
    )
}

/// A local member: an account with a password and a Person actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Database id of the account.
    pub account_id: i64,
    /// The member's actor.
    pub actor: Actor,
    /// Whether the member administers the instance.
    pub is_admin: bool,
    /// Whether the member moderates: handles reports and acts on accounts and content (admins
    /// may do all of that too).
    pub is_moderator: bool,
    /// When the member was suspended, if they are.
    pub suspended_at: Option<DateTime<Utc>>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// The member's settings and profile audiences.
    pub settings: crate::MemberSettings,
    /// The language the member chose for the pages (a BCP 47 tag), if any.
    pub language: Option<String>,
}

impl Member {
    /// Whether the member may handle reports and act on accounts and content.
    pub fn moderates(&self) -> bool {
        self.is_admin || self.is_moderator
    }
}
