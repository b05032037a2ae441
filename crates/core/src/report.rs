//! Reports (issue 17): what a member (or another server) says is wrong with an account, a post
//! or a comment, and where the report stands.

use std::fmt;

/// Why something is reported: Mastodon's categories, so that `Flag`s read the same both ways.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    /// Unwanted advertising, repeated unsolicited messages.
    Spam,
    /// Content that is illegal where the instance is.
    Legal,
    /// Against the community's rules (harassment, abuse).
    Violation,
    /// Anything else (the comment says what).
    Other,
}

impl ReportReason {
    /// Every reason, in the order forms list them.
    pub const ALL: [ReportReason; 4] = [
        ReportReason::Spam,
        ReportReason::Violation,
        ReportReason::Legal,
        ReportReason::Other,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportReason::Spam => "spam",
            ReportReason::Legal => "legal",
            ReportReason::Violation => "violation",
            ReportReason::Other => "other",
        }
    }

    /// Reads a stored or sent name; anything unknown is `other`, as Mastodon reads it.
    pub fn parse_lenient(s: &str) -> ReportReason {
        match s.trim().to_ascii_lowercase().as_str() {
            "spam" => ReportReason::Spam,
            "legal" => ReportReason::Legal,
            "violation" => ReportReason::Violation,
            _ => ReportReason::Other,
        }
    }
}

impl fmt::Display for ReportReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a report stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    /// Waiting for a moderator.
    Open,
    /// A moderator acted on it.
    Resolved,
    /// A moderator found nothing to act on.
    Dismissed,
}

impl ReportState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::Open => "open",
            ReportState::Resolved => "resolved",
            ReportState::Dismissed => "dismissed",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<ReportState> {
        match s {
            "open" => Some(ReportState::Open),
            "resolved" => Some(ReportState::Resolved),
            "dismissed" => Some(ReportState::Dismissed),
            _ => None,
        }
    }
}

/// An action a moderator takes from a report.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReportAction {
    /// Remove the reported posts and comments (here, and from servers they went to when they
    /// were written here).
    DeleteContent,
    /// Suspend the reported account: a member here is suspended as a member; an account
    /// elsewhere is refused, cleared away and unfriended here (as a `reject` server block does
    /// for a whole server).
    SuspendAccount,
    /// Limit the reported account of another server: it reaches only members who are already
    /// its friends.
    LimitAccount,
    /// Block the reported account's server (`reject`; admins only).
    BlockServer,
}

impl ReportAction {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportAction::DeleteContent => "delete_content",
            ReportAction::SuspendAccount => "suspend_account",
            ReportAction::LimitAccount => "limit_account",
            ReportAction::BlockServer => "block_server",
        }
    }
}

/// Longest comment a report may carry (Mastodon's limit).
pub const MAX_COMMENT_CHARS: usize = 1000;

/// Most posts and comments one report may name.
pub const MAX_OBJECTS: usize = 20;
