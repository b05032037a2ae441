//! JSON shapes of the API, and the one conversion from each domain type into its shape.

use chrono::{DateTime, Utc};
use enishi_core::{Actor, Audience, MemberSettings, PostKind, ProfileField};
use enishi_db::footprints::{Footprint, Target};
use enishi_db::introductions::IntroductionView;
use enishi_db::notifications::Notification;
use enishi_db::posts::PostView;
use enishi_db::profiles::ProfileView;
use enishi_db::reactions::CommentView;
use enishi_db::social::{FriendRequest, Relationship};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A page of a list: `next` is the cursor of the following page, if any.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next: Option<String>,
}

/// An actor as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorRef {
    /// `name` for local members, `name@domain` for remote actors.
    pub handle: String,
    /// ActivityPub id.
    pub ap_id: String,
    /// Nickname, if set (and visible).
    pub nickname: Option<String>,
    /// Whether the actor is a member of this instance.
    pub local: bool,
}

impl From<&Actor> for ActorRef {
    fn from(a: &Actor) -> Self {
        ActorRef {
            handle: a.api_handle(),
            ap_id: a.ap_id.to_string(),
            nickname: a.display_name.clone(),
            local: a.is_local,
        }
    }
}

/// Who may see a post, as far as its reader can know. A post written here shows its audience;
/// one from another server shows `friends` when it went to its author's followers (Mastodon's
/// followers-only), `public` when public, and `direct` when it was sent to the people it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShownAudience {
    /// Everyone.
    Public,
    /// Every logged-in member of this instance.
    Members,
    /// Friends and friends of friends.
    FriendsOfFriends,
    /// Friends (for a post from another server: its author's followers).
    Friends,
    /// The author alone.
    Private,
    /// From another server: the author and the people it was sent to by name.
    Direct,
}

impl ShownAudience {
    /// What a reader of `v` is told about its audience.
    pub fn of(v: &PostView) -> ShownAudience {
        match v.post.audience {
            Audience::Public => ShownAudience::Public,
            Audience::Members => ShownAudience::Members,
            Audience::FriendsOfFriends => ShownAudience::FriendsOfFriends,
            Audience::Friends => ShownAudience::Friends,
            Audience::Private if !v.author.is_local => ShownAudience::Direct,
            Audience::Private => ShownAudience::Private,
        }
    }
}

/// A diary entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiaryOut {
    /// Public id (use it in URLs).
    pub id: String,
    /// ActivityPub id.
    pub ap_id: String,
    /// Always `diary`.
    pub kind: PostKind,
    /// Who may see it.
    pub audience: ShownAudience,
    /// The author's handle.
    pub author_handle: String,
    /// The author.
    pub author: ActorRef,
    /// Title.
    pub title: String,
    /// Body as written (Markdown; for a diary from another server, the text of its HTML).
    pub body: String,
    /// Body as sanitised HTML, as the diary's page shows it.
    pub body_html: String,
    /// A warning to show before the body, which stays folded until opened.
    pub content_warning: Option<String>,
    /// Its photos, in order. Their URLs are capabilities: shown only to those who may see the
    /// post, and dead once the post is deleted or its audience narrows.
    pub media: Vec<MediaOut>,
    /// Written at.
    pub created_at: DateTime<Utc>,
    /// Last edited at.
    pub updated_at: DateTime<Utc>,
    /// On the timeline only: the followed account whose boost (or group announce) put it
    /// there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boosted_by: Option<ActorRef>,
}

/// A photo.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaOut {
    /// Its id (for `media_ids`).
    pub id: String,
    /// `image`: served by this instance; `unknown`: another server's file this instance does
    /// not serve (a video, a sound, a type it does not read), and both URLs are where it is,
    /// to be followed as a link, not embedded.
    #[serde(rename = "type")]
    #[schema(value_type = String, pattern = "^(image|unknown)$")]
    pub kind: &'static str,
    /// The image (at most 2,560 pixels on its long side).
    pub url: String,
    /// Its thumbnail (at most 480 pixels on its long side).
    pub preview_url: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Alt text.
    pub description: Option<String>,
    /// A BlurHash to show while it loads.
    pub blurhash: String,
}

impl MediaOut {
    /// `media` with URLs on `base` (this instance).
    pub fn new(media: &enishi_core::media::Media, base: &url::Url) -> Self {
        use enishi_core::media::Variant;
        let at = |v: Variant| {
            base.join(&media.path(v))
                .map_or_else(|_| media.path(v), |u| u.to_string())
        };
        if let Some(link) = &media.link {
            return MediaOut {
                id: media.public_id.clone(),
                kind: "unknown",
                url: link.clone(),
                preview_url: link.clone(),
                width: media.width,
                height: media.height,
                description: media.description.clone(),
                blurhash: media.blurhash.clone(),
            };
        }
        MediaOut {
            id: media.public_id.clone(),
            kind: "image",
            url: at(Variant::Original),
            preview_url: at(Variant::Preview),
            width: media.width,
            height: media.height,
            description: media.description.clone(),
            blurhash: media.blurhash.clone(),
        }
    }

    /// The photos of `v`, served by this instance (`base`) whoever wrote the post: another
    /// server's are served from the cache here.
    pub(crate) fn of_post(v: &PostView, base: &url::Url) -> Vec<MediaOut> {
        v.post
            .media
            .iter()
            .map(|m| MediaOut::new(m, base))
            .collect()
    }
}

/// A voice post.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoiceOut {
    /// Public id.
    pub id: String,
    /// ActivityPub id.
    pub ap_id: String,
    /// Always `voice`.
    pub kind: PostKind,
    /// Who may see it.
    pub audience: ShownAudience,
    /// The author's handle.
    pub author_handle: String,
    /// The author.
    pub author: ActorRef,
    /// Text as written.
    pub text: String,
    /// Text as sanitised HTML, its links clickable.
    pub text_html: String,
    /// A warning to show before the text, which stays folded until opened.
    pub content_warning: Option<String>,
    /// Its photos, in order. Their URLs are capabilities: shown only to those who may see the
    /// post, and dead once the post is deleted or its audience narrows.
    pub media: Vec<MediaOut>,
    /// Written at.
    pub created_at: DateTime<Utc>,
    /// Last edited at.
    pub updated_at: DateTime<Utc>,
    /// On the timeline only: the followed account whose boost (or group announce) put it
    /// there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boosted_by: Option<ActorRef>,
}

/// A diary or voice post in a mixed list (the timeline).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum PostOut {
    /// A diary.
    Diary(DiaryOut),
    /// A voice post.
    Voice(VoiceOut),
}

impl DiaryOut {
    /// `v` as the API shows it, its photos' URLs on `base` (this instance).
    pub fn of(v: PostView, base: &url::Url) -> Self {
        let audience = ShownAudience::of(&v);
        let body_html = enishi_core::render::post_html(&v.post);
        let media = MediaOut::of_post(&v, base);
        DiaryOut {
            id: v.post.public_id,
            ap_id: v.post.ap_id.to_string(),
            kind: PostKind::Diary,
            audience,
            author_handle: v.author.api_handle(),
            author: (&v.author).into(),
            title: v.post.title.unwrap_or_default(),
            body: v.post.body,
            body_html,
            content_warning: v.post.content_warning,
            media,
            created_at: v.post.created_at,
            updated_at: v.post.updated_at,
            boosted_by: None,
        }
    }
}

impl VoiceOut {
    /// `v` as the API shows it, its photos' URLs on `base` (this instance).
    pub fn of(v: PostView, base: &url::Url) -> Self {
        let audience = ShownAudience::of(&v);
        let text_html = enishi_core::render::post_html(&v.post);
        let media = MediaOut::of_post(&v, base);
        VoiceOut {
            id: v.post.public_id,
            ap_id: v.post.ap_id.to_string(),
            kind: PostKind::Voice,
            audience,
            author_handle: v.author.api_handle(),
            author: (&v.author).into(),
            text: v.post.body,
            text_html,
            content_warning: v.post.content_warning,
            media,
            created_at: v.post.created_at,
            updated_at: v.post.updated_at,
            boosted_by: None,
        }
    }
}

impl PostOut {
    /// The same post, shown as boosted by `booster`.
    pub fn boosted_by(mut self, booster: Option<&enishi_core::Actor>) -> Self {
        let by = booster.map(ActorRef::from);
        match &mut self {
            PostOut::Diary(d) => d.boosted_by = by,
            PostOut::Voice(v) => v.boosted_by = by,
        }
        self
    }
}

impl PostOut {
    /// `v` as the API shows it, its photos' URLs on `base` (this instance).
    pub fn of(v: PostView, base: &url::Url) -> Self {
        match v.post.kind {
            PostKind::Diary => PostOut::Diary(DiaryOut::of(v, base)),
            PostKind::Voice => PostOut::Voice(VoiceOut::of(v, base)),
        }
    }
}

/// A comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentOut {
    /// Public id.
    pub id: String,
    /// ActivityPub id.
    pub ap_id: String,
    /// The audience it inherits from its post.
    pub audience: Audience,
    /// The author's handle.
    pub author_handle: String,
    /// The author.
    pub author: ActorRef,
    /// Text as written.
    pub text: String,
    /// Text as sanitised HTML, its links clickable.
    pub text_html: String,
    /// Kind of the post commented on.
    pub post_kind: PostKind,
    /// Public id of the post commented on.
    pub post_id: String,
    /// Written at.
    pub created_at: DateTime<Utc>,
}

impl From<CommentView> for CommentOut {
    fn from(v: CommentView) -> Self {
        let text_html = enishi_core::render::comment_html(&v.comment);
        CommentOut {
            text_html,
            id: v.comment.public_id,
            ap_id: v.comment.ap_id.to_string(),
            audience: v.post_audience,
            author_handle: v.author.api_handle(),
            author: (&v.author).into(),
            text: v.comment.body,
            post_kind: v.post_kind,
            post_id: v.post_public_id,
            created_at: v.comment.created_at,
        }
    }
}

/// An introduction.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntroductionOut {
    /// Public id.
    pub id: String,
    /// ActivityPub id.
    pub ap_id: String,
    /// The audience of the subject's introductions section.
    pub audience: Audience,
    /// The writer's handle.
    pub author_handle: String,
    /// The writer.
    pub author: ActorRef,
    /// The subject's handle.
    pub subject_handle: String,
    /// Text as written.
    pub text: String,
    /// Text as sanitised HTML, its links clickable.
    pub text_html: String,
    /// Hidden by the subject (then only writer and subject see it).
    pub hidden: bool,
    /// Written at.
    pub created_at: DateTime<Utc>,
    /// Last edited at.
    pub updated_at: DateTime<Utc>,
}

impl IntroductionOut {
    /// The shape of an introduction in a section with `audience`.
    pub fn new(v: IntroductionView, audience: Audience) -> Self {
        IntroductionOut {
            id: v.introduction.public_id,
            ap_id: v.introduction.ap_id.to_string(),
            audience,
            author_handle: v.writer.api_handle(),
            author: (&v.writer).into(),
            subject_handle: v.subject.api_handle(),
            text_html: enishi_core::render::plain_html(&v.introduction.body),
            text: v.introduction.body,
            hidden: v.introduction.state == enishi_core::IntroductionState::Hidden,
            created_at: v.introduction.created_at,
            updated_at: v.introduction.updated_at,
        }
    }
}

/// A pending friend request.
#[derive(Debug, Serialize, ToSchema)]
pub struct FriendRequestOut {
    /// Id, for accept and reject.
    pub id: i64,
    /// Who asked.
    pub from: ActorRef,
    /// Who was asked.
    pub to: ActorRef,
    /// The requester's message.
    pub message: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<FriendRequest> for FriendRequestOut {
    fn from(r: FriendRequest) -> Self {
        FriendRequestOut {
            id: r.id,
            from: (&r.from).into(),
            to: (&r.to).into(),
            message: r.message,
            created_at: r.created_at,
        }
    }
}

/// How the caller stands with someone.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipOut {
    /// Friends.
    pub friend: bool,
    /// The caller follows them.
    pub following: bool,
    /// They follow the caller.
    pub followed_by: bool,
    /// The caller's request is pending.
    pub requested: bool,
    /// Their request is pending.
    pub requested_by: bool,
    /// The caller blocks them.
    pub blocking: bool,
}

impl From<Relationship> for RelationshipOut {
    fn from(r: Relationship) -> Self {
        RelationshipOut {
            friend: r.friend,
            following: r.following,
            followed_by: r.followed_by,
            requested: r.requested,
            requested_by: r.requested_by,
            blocking: r.blocking,
        }
    }
}

/// A profile field.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FieldDto {
    /// Label.
    pub name: String,
    /// Value.
    pub value: String,
    /// Who may see it.
    pub audience: Audience,
}

impl From<ProfileField> for FieldDto {
    fn from(f: ProfileField) -> Self {
        FieldDto {
            name: f.name,
            value: f.value,
            audience: f.audience,
        }
    }
}

impl From<FieldDto> for ProfileField {
    fn from(f: FieldDto) -> Self {
        ProfileField {
            name: f.name,
            value: f.value,
            audience: f.audience,
        }
    }
}

/// A profile as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileOut {
    /// Handle.
    pub handle: String,
    /// ActivityPub id.
    pub ap_id: String,
    /// A member of this instance.
    pub local: bool,
    /// Nickname, if visible.
    pub nickname: Option<String>,
    /// Bio (HTML), if visible.
    pub bio: Option<String>,
    /// Avatar URL, if visible.
    pub avatar_url: Option<String>,
    /// The uploaded avatar, if visible (under the avatar audience).
    pub avatar: Option<MediaOut>,
    /// The header image, if visible (under the avatar audience).
    pub header: Option<MediaOut>,
    /// Fields the caller may see.
    pub fields: Vec<FieldDto>,
    /// Whether the caller may see the friends list.
    pub friends_visible: bool,
    /// Whether the caller may see the introductions section.
    pub introductions_visible: bool,
    /// The caller's relationship (logged-in callers, not themself).
    pub relationship: Option<RelationshipOut>,
}

impl ProfileOut {
    /// The shape of a profile view, its images' URLs on `base` (this instance: a remote
    /// actor's avatar is served from the cache here).
    pub fn new(v: ProfileView, relationship: Option<Relationship>, base: &url::Url) -> Self {
        let image =
            |m: &Option<enishi_core::media::Media>| m.as_ref().map(|m| MediaOut::new(m, base));
        let (avatar, header) = (image(&v.images.avatar), image(&v.images.header));
        ProfileOut {
            handle: v.actor.api_handle(),
            ap_id: v.actor.ap_id.to_string(),
            local: v.actor.is_local,
            nickname: v.actor.display_name,
            bio: v.actor.summary,
            avatar_url: v.actor.avatar_url.map(String::from),
            avatar,
            header,
            fields: v.fields.into_iter().map(Into::into).collect(),
            friends_visible: v.friends_visible,
            introductions_visible: v.introductions_visible,
            relationship: relationship.map(Into::into),
        }
    }
}

/// The caller's own account.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    /// Handle.
    pub handle: String,
    /// ActivityPub id.
    pub ap_id: String,
    /// Administrator.
    pub is_admin: bool,
    /// Settings.
    pub settings: SettingsOut,
    /// The full profile.
    pub profile: ProfileOut,
}

/// A member's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsOut {
    /// Audience of new content when none is given.
    pub default_audience: Audience,
    /// Leave and record footprints.
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

impl From<MemberSettings> for SettingsOut {
    fn from(s: MemberSettings) -> Self {
        SettingsOut {
            default_audience: s.default_audience,
            footprints_enabled: s.footprints_enabled,
            nickname_audience: s.nickname_audience,
            bio_audience: s.bio_audience,
            avatar_audience: s.avatar_audience,
            friends_audience: s.friends_audience,
            introductions_audience: s.introductions_audience,
        }
    }
}

/// One footprint.
#[derive(Debug, Serialize, ToSchema)]
pub struct FootprintOut {
    /// Who visited.
    pub visitor: ActorRef,
    /// `profile` or `diary`.
    pub target: String,
    /// The diary visited, for `diary`.
    pub diary_id: Option<String>,
    /// Latest visit.
    pub visited_at: DateTime<Utc>,
}

impl From<Footprint> for FootprintOut {
    fn from(f: Footprint) -> Self {
        let (target, diary_id) = match f.target {
            Target::Profile => ("profile".to_owned(), None),
            Target::Diary(_, id) => ("diary".to_owned(), Some(id)),
        };
        FootprintOut {
            visitor: (&f.visitor).into(),
            target,
            diary_id,
            visited_at: f.visited_at,
        }
    }
}

/// One notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationOut {
    /// Id.
    pub id: i64,
    /// `friend_request`, `friend_accepted`, `comment`, `like`, `introduction`, `mention` or
    /// `server_blocked` (a friendship ended because an admin blocked the friend's server).
    pub kind: enishi_core::NotificationKind,
    /// Who did it.
    pub actor: ActorRef,
    /// Kind of the post concerned.
    pub post_kind: Option<PostKind>,
    /// Public id of the post concerned.
    pub post_id: Option<String>,
    /// Public id of the comment concerned.
    pub comment_id: Option<String>,
    /// Public id of the introduction concerned.
    pub introduction_id: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Read.
    pub read: bool,
}

impl From<Notification> for NotificationOut {
    fn from(n: Notification) -> Self {
        let (post_id, post_kind) = n
            .post
            .map(|(id, k)| (Some(id), Some(k)))
            .unwrap_or_default();
        NotificationOut {
            id: n.id,
            kind: n.kind,
            actor: (&n.actor).into(),
            post_kind,
            post_id,
            comment_id: n.comment,
            introduction_id: n.introduction,
            created_at: n.created_at,
            read: n.read,
        }
    }
}
