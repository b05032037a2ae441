//! ActivityStreams JSON as it travels. These structs accept what real servers send (single
//! values where arrays are usual, `type` arrays, nulls) and serialise what Mastodon expects.

pub mod actor;
pub(crate) mod helpers;
pub mod webfinger;

pub use actor::{ActorJson, Endpoints, PublicKeyJson};
pub use webfinger::{Jrd, JrdLink};
