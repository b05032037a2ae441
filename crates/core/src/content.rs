//! Diaries, voice posts, comments, likes, introductions and the other social records, with the
//! length rules they must satisfy.

use crate::{ActorId, Audience, ContentLimits, ValidationError};
use chrono::{DateTime, Utc};
use std::str::FromStr;
use url::Url;

/// Database id of a diary or voice post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostId(pub i64);

/// Which kind of post.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PostKind {
    /// A diary entry (日記): title and long body.
    Diary,
    /// A voice post (ボイス): short text.
    Voice,
}

impl PostKind {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Diary => "diary",
            PostKind::Voice => "voice",
        }
    }

    /// The path segment of this kind's URLs (`diaries`, `voices`).
    pub fn path(self) -> &'static str {
        match self {
            PostKind::Diary => "diaries",
            PostKind::Voice => "voices",
        }
    }
}

impl FromStr for PostKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "diary" => Ok(PostKind::Diary),
            "voice" => Ok(PostKind::Voice),
            other => Err(format!("unknown post kind {other:?}")),
        }
    }
}

/// A diary entry or a voice post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// Database id.
    pub id: PostId,
    /// Unguessable public id (UUIDv7), used in URLs and the API.
    pub public_id: String,
    /// ActivityPub id.
    pub ap_id: Url,
    /// Diary or voice.
    pub kind: PostKind,
    /// Author.
    pub author: ActorId,
    /// Title (diaries only).
    pub title: Option<String>,
    /// Body (Markdown for diaries, plain text for voice posts; for posts from other servers,
    /// the text of their HTML).
    pub body: String,
    /// Sanitised HTML: of a post from another server as it came, of a local post as rendered
    /// when it was written (its mentions resolved then). None for local posts written before
    /// mentions existed, which are rendered from `body`.
    pub content_html: Option<String>,
    /// Mentions and hashtags, as they federate.
    pub tags: Vec<crate::mention::Tag>,
    /// A warning shown before the text, which stays folded until the reader opens it
    /// (Mastodon's `spoiler_text`, ActivityPub's `summary` on a `Note`).
    pub content_warning: Option<String>,
    /// Who may see it.
    pub audience: Audience,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited (equal to `created_at` if never).
    pub updated_at: DateTime<Utc>,
    /// Its photos, in order (loaded with the post where it is shown or sent).
    pub media: Vec<crate::media::Media>,
}

/// A comment on a diary or voice post; it inherits the post's audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Database id.
    pub id: i64,
    /// Unguessable public id.
    pub public_id: String,
    /// ActivityPub id.
    pub ap_id: Url,
    /// The post commented on.
    pub post: PostId,
    /// Author of the comment.
    pub author: ActorId,
    /// Text.
    pub body: String,
    /// Sanitised HTML: of a comment from another server as it came, of a local comment as
    /// rendered when it was written (None for older local comments).
    pub content_html: Option<String>,
    /// Mentions and hashtags, as they federate.
    pub tags: Vec<crate::mention::Tag>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// State of an introduction.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IntroductionState {
    /// Shown on the subject's profile.
    Shown,
    /// Hidden by the subject: only writer and subject see it.
    Hidden,
}

impl IntroductionState {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            IntroductionState::Shown => "shown",
            IntroductionState::Hidden => "hidden",
        }
    }
}

impl FromStr for IntroductionState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "shown" => Ok(IntroductionState::Shown),
            "hidden" => Ok(IntroductionState::Hidden),
            other => Err(format!("unknown introduction state {other:?}")),
        }
    }
}

/// An introduction (紹介文): what a friend wrote about a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introduction {
    /// Database id.
    pub id: i64,
    /// Unguessable public id.
    pub public_id: String,
    /// ActivityPub id.
    pub ap_id: Url,
    /// Who wrote it.
    pub writer: ActorId,
    /// Whom it is about.
    pub subject: ActorId,
    /// Text.
    pub body: String,
    /// Shown or hidden.
    pub state: IntroductionState,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub updated_at: DateTime<Utc>,
}

/// State of a follow (a friend request is a follow that awaits approval).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FollowState {
    /// Awaiting approval.
    Pending,
    /// Approved.
    Accepted,
    /// Declined (silently, as on mixi).
    Rejected,
}

impl FollowState {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowState::Pending => "pending",
            FollowState::Accepted => "accepted",
            FollowState::Rejected => "rejected",
        }
    }
}

impl FromStr for FollowState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(FollowState::Pending),
            "accepted" => Ok(FollowState::Accepted),
            "rejected" => Ok(FollowState::Rejected),
            other => Err(format!("unknown follow state {other:?}")),
        }
    }
}

/// What a notification is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone asked to be friends.
    FriendRequest,
    /// A friend request was accepted: now friends.
    FriendAccepted,
    /// Someone commented on the recipient's post.
    Comment,
    /// Someone liked the recipient's post.
    Like,
    /// A friend wrote an introduction of the recipient.
    Introduction,
    /// Someone mentioned the recipient in a post or comment the recipient may see.
    Mention,
    /// A friendship ended because an admin blocked the friend's server.
    ServerBlocked,
    /// Someone passed the recipient's public post on to their own friends and followers.
    Boost,
}

impl NotificationKind {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::FriendRequest => "friend_request",
            NotificationKind::FriendAccepted => "friend_accepted",
            NotificationKind::Comment => "comment",
            NotificationKind::Like => "like",
            NotificationKind::Introduction => "introduction",
            NotificationKind::Mention => "mention",
            NotificationKind::ServerBlocked => "server_blocked",
            NotificationKind::Boost => "boost",
        }
    }
}

impl FromStr for NotificationKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            NotificationKind::FriendRequest,
            NotificationKind::FriendAccepted,
            NotificationKind::Comment,
            NotificationKind::Like,
            NotificationKind::Introduction,
            NotificationKind::Mention,
            NotificationKind::ServerBlocked,
            NotificationKind::Boost,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("unknown notification kind {s:?}"))
    }
}

/// A member's own settings and the audiences of their profile parts (DESIGN §3 defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemberSettings {
    /// Audience given to new content when none is named.
    pub default_audience: Audience,
    /// Whether visits are recorded and left (足あと).
    pub footprints_enabled: bool,
    /// Who sees the nickname.
    pub nickname_audience: Audience,
    /// Who sees the bio.
    pub bio_audience: Audience,
    /// Who sees the avatar.
    pub avatar_audience: Audience,
    /// Who sees the friends list.
    pub friends_audience: Audience,
    /// Who sees the introductions section.
    pub introductions_audience: Audience,
}

impl Default for MemberSettings {
    fn default() -> Self {
        Self {
            default_audience: Audience::Friends,
            footprints_enabled: true,
            nickname_audience: Audience::Public,
            bio_audience: Audience::Public,
            avatar_audience: Audience::Public,
            friends_audience: Audience::Friends,
            introductions_audience: Audience::FriendsOfFriends,
        }
    }
}

/// One extra profile field ("hometown", "birthday", …) with its own audience.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProfileField {
    /// Label.
    pub name: String,
    /// Value.
    pub value: String,
    /// Who may see it.
    pub audience: Audience,
}

/// Refuses a NUL character, which no text needs and PostgreSQL cannot store.
pub fn refuse_nul(field: &'static str, text: &str) -> Result<(), ValidationError> {
    if text.contains('\0') {
        return Err(ValidationError::new(
            field,
            "must not contain a NUL character (U+0000)",
        ));
    }
    Ok(())
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), ValidationError> {
    refuse_nul(field, text)?;
    if text.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    let n = text.chars().count();
    if n > max {
        return Err(ValidationError::new(
            field,
            format!("is {n} characters long; the limit is {max}"),
        ));
    }
    Ok(())
}

/// The longest content warning, in characters (as Mastodon's web form allows a short line).
pub const CONTENT_WARNING_MAX: usize = 200;

/// A content warning as given: trimmed, `None` when blank, refused when too long or holding a
/// NUL character.
pub fn content_warning(text: Option<&str>) -> Result<Option<String>, ValidationError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    check_text("content_warning", text, CONTENT_WARNING_MAX)?;
    Ok(Some(text.to_owned()))
}

impl ContentLimits {
    /// Checks a diary's title and body.
    pub fn check_diary(&self, title: &str, body: &str) -> Result<(), ValidationError> {
        check_text("title", title, self.diary_title)?;
        check_text("body", body, self.diary_body)
    }

    /// Checks a voice post's text.
    pub fn check_voice(&self, text: &str) -> Result<(), ValidationError> {
        check_text("text", text, self.voice)
    }

    /// Checks a comment's text.
    pub fn check_comment(&self, text: &str) -> Result<(), ValidationError> {
        check_text("text", text, self.comment)
    }

    /// Checks an introduction's text.
    pub fn check_introduction(&self, text: &str) -> Result<(), ValidationError> {
        check_text("text", text, self.introduction)
    }
}

/// Profile limits that are not configurable.
pub mod profile_limits {
    /// Longest nickname.
    pub const NICKNAME: usize = 50;
    /// Longest bio.
    pub const BIO: usize = 2_000;
    /// Most extra fields.
    pub const FIELDS: usize = 10;
    /// Longest field label.
    pub const FIELD_NAME: usize = 50;
    /// Longest field value.
    pub const FIELD_VALUE: usize = 500;
    /// Longest friend-request message.
    pub const REQUEST_MESSAGE: usize = 500;
    /// What an avatar URL must look like (ECMA 262, Python and Rust regular expressions read
    /// it alike): `http` or `https`, a host name whose labels are letters, digits and single
    /// hyphens and whose last label starts with a letter (so that it is never read as an IPv4
    /// address, nor as an internationalised name), an optional port of up to four digits,
    /// then anything without white space or NUL. Every string it matches is a valid URL.
    pub const AVATAR_URL_PATTERN: &str = r"^https?://([A-Za-z0-9]+(-[A-Za-z0-9]+)*\.)*[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*(:[0-9]{1,4})?([/?#][^\u0000\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_the_field() {
        let l = ContentLimits::default();
        assert!(l.check_diary(&"t".repeat(100), &"b".repeat(10_000)).is_ok());
        assert_eq!(
            l.check_diary(&"t".repeat(101), "b").unwrap_err().field,
            "title"
        );
        assert_eq!(
            l.check_diary("t", &"b".repeat(10_001)).unwrap_err().field,
            "body"
        );
        assert_eq!(l.check_diary("  ", "b").unwrap_err().field, "title");
        // Characters, not bytes: 150 kana are fine.
        assert!(l.check_voice(&"あ".repeat(150)).is_ok());
        assert_eq!(l.check_voice(&"あ".repeat(151)).unwrap_err().field, "text");
        assert!(l.check_introduction(&"x".repeat(1_001)).is_err());
    }
}

/// Plain text as safe HTML: escaped, blank-line-separated paragraphs, line breaks kept.
pub fn text_to_html(text: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    };
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

/// The plain text [`text_to_html`] was given, back from its output (to edit a bio in a form):
/// paragraphs become blank lines, `<br>` line breaks, entities characters again.
pub fn html_to_text(html: &str) -> String {
    html.split("</p>")
        .map(|p| p.trim_start_matches("<p>").replace("<br>", "\n"))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod html_tests {
    #[test]
    fn text_becomes_escaped_paragraphs() {
        assert_eq!(
            super::text_to_html("Hi <b>&\nthere\n\nbye"),
            "<p>Hi &lt;b&gt;&amp;<br>there</p><p>bye</p>"
        );
        assert_eq!(super::text_to_html("  \n\n "), "");
    }

    #[test]
    fn html_goes_back_to_the_text() {
        for text in ["Hi <b>&amp;\nthere\n\nbye", "a & b", "", "x'\"y"] {
            let html = super::text_to_html(text);
            assert_eq!(super::html_to_text(&html), text, "{html}");
        }
    }
}
