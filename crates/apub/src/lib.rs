//! Enishi's ActivityPub layer: ActivityStreams wire types, the conversions between them and
//! domain types (one place per pair), actor keys, and the federation crate's trait impls.

pub mod attachments;
pub mod context;
pub mod convert;
pub mod data;
pub mod egress;
pub mod federate;
pub mod fetch;
pub mod friend_proof;
pub mod herald;
pub mod inbox;
pub mod key_cache;
pub mod keys;
pub mod objects;
pub mod outbox;
pub mod signatures;
pub mod sync;
pub mod wire;

pub use data::FederationData;

/// The media type of ActivityStreams documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// Why a remote document was refused or a federation step failed.
#[derive(Debug, thiserror::Error)]
pub enum ApubError {
    /// The remote document is malformed or breaks a rule; the reason is logged, not shown.
    #[error("invalid remote document: {0}")]
    Invalid(String),
    /// The federation crate failed (fetch, signature, …).
    #[error(transparent)]
    Federation(#[from] activitypub_federation::error::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] enishi_db::DbErr),
}
