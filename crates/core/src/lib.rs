//! Domain types and rules of Enishi, free of I/O so that every other crate can share them.

pub mod actor;
pub mod audience;
pub mod content;
pub mod delivery;
pub mod instance;
pub mod media;
pub mod mention;
pub mod moderation;
pub mod rate;
pub mod render;
pub mod report;
pub mod scopes;
pub mod username;
pub mod visibility;

pub use actor::{Actor, ActorId, ActorKind, Member, unknown_account};
pub use audience::Audience;
pub use content::{
    Comment, FollowState, Introduction, IntroductionState, MemberSettings, NotificationKind, Post,
    PostId, PostKind, ProfileField, content_warning,
};
pub use instance::{ContentLimits, InstanceSettings, RegistrationMode, Scheme};
pub use username::Username;
pub use visibility::{
    Relation, Viewer, ViewerKind, may_see, may_see_introduction, may_see_reaction,
    may_see_reaction_author,
};

/// A rule of the domain was broken by some input; names the offending field so that
/// callers (CLI, API) can tell the person exactly what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The input field at fault, in the words the API uses (`username`, `audience`, …).
    pub field: &'static str,
    /// What is wrong with it, readable by a person.
    pub message: String,
}

impl ValidationError {
    /// A validation error on `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
