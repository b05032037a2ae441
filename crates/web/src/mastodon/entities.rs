//! Enishi's domain types in Mastodon's entity shapes (Account, Status, Notification,
//! Relationship): the one conversion of each, so that every endpoint shows them alike.
//!
//! The audience maps onto Mastodon's four visibilities — public→`public`, members→`unlisted`,
//! friends and friends of friends→`private`, only me→`direct` — and the exact audience rides
//! along in `enishi.audience`.

use super::MastoResult;
use crate::AppState;
use crate::pages::assets::DEFAULT_AVATAR_PATH;
use chrono::{DateTime, SecondsFormat, Utc};
use enishi_core::{Actor, Audience, PostKind, Viewer};
use enishi_db::notifications::Notification;
use enishi_db::posts::PostView;
use enishi_db::social::Relationship;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// Mastodon's time format: RFC 3339 in UTC with milliseconds.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The Mastodon visibility an audience shows as.
pub fn visibility(a: Audience) -> &'static str {
    match a {
        Audience::Public => "public",
        Audience::Members => "unlisted",
        Audience::FriendsOfFriends | Audience::Friends => "private",
        Audience::Private => "direct",
    }
}

/// The audience a Mastodon visibility (or one of Enishi's own names) asks for.
pub fn audience_from(v: &str) -> Option<Audience> {
    match v {
        "public" => Some(Audience::Public),
        "unlisted" => Some(Audience::Members),
        "private" => Some(Audience::Friends),
        "direct" => Some(Audience::Private),
        other => other.parse().ok(),
    }
}

/// `name` for members here, `name@domain` for others (Mastodon's `acct`).
pub fn acct(a: &Actor) -> String {
    if a.is_local {
        a.username.clone()
    } else {
        format!("{}@{}", a.username, a.domain)
    }
}

/// An account as lists show it to anyone: its name, no bio and the default picture. What the
/// profile's audiences may hide (bio, avatar, fields) only comes with [`account_full`].
pub fn account(state: &AppState, a: &Actor) -> Value {
    let avatar = state.settings.url(DEFAULT_AVATAR_PATH).to_string();
    let url = a.url.as_ref().unwrap_or(&a.ap_id).to_string();
    json!({
        "id": a.id.0.to_string(),
        "username": a.username,
        "acct": acct(a),
        // The caller redacts the nickname where its audience hides it.
        "display_name": a.display_name.clone().unwrap_or_default(),
        // Friendships are always approved, so every account is "locked".
        "locked": true,
        "bot": matches!(a.kind, enishi_core::ActorKind::Service | enishi_core::ActorKind::Application),
        "group": matches!(a.kind, enishi_core::ActorKind::Group),
        "discoverable": a.discoverable,
        "indexable": a.indexable,
        "created_at": time(a.created_at),
        "note": "",
        "url": url,
        "uri": a.ap_id.to_string(),
        "avatar": avatar,
        "avatar_static": avatar,
        "header": "",
        "header_static": "",
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": 0,
        "last_status_at": null,
        "emojis": [],
        "fields": [],
    })
}

/// An account as `viewer` may see its profile: the bio, avatar, header and fields their
/// audiences allow (404 when the profile is hidden from the viewer, as for a block).
pub async fn account_full(state: &AppState, viewer: &Viewer, a: &Actor) -> MastoResult<Value> {
    let view = enishi_db::profiles::view(&state.db, viewer, a).await?;
    let mut out = account(state, &view.actor);
    let base = state.settings.url("/");
    let image = |m: &Option<enishi_core::media::Media>| {
        m.as_ref()
            .map(|m| crate::api::dto::MediaOut::new(m, &base).url)
    };
    let avatar = image(&view.images.avatar)
        .or_else(|| view.actor.avatar_url.as_ref().map(|u| u.to_string()));
    if let Some(avatar) = avatar {
        out["avatar"] = avatar.clone().into();
        out["avatar_static"] = avatar.into();
    }
    if let Some(header) = image(&view.images.header) {
        out["header"] = header.clone().into();
        out["header_static"] = header.into();
    }
    out["note"] = view
        .actor
        .summary
        .as_deref()
        .map(enishi_core::render::sanitize_html)
        .unwrap_or_default()
        .into();
    out["fields"] = view
        .fields
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "value": enishi_core::render::escape(&f.value),
                "verified_at": null,
            })
        })
        .collect::<Vec<_>>()
        .into();
    introductions_and_counts(state, viewer, &view, &mut out).await?;
    Ok(out)
}

/// The most introductions an account shows as fields (apps show a handful).
const INTRODUCTION_FIELDS: usize = 10;

/// What Enishi's profile holds beyond Mastodon's: the introductions friends wrote, as fields
/// after the profile's own (and in full in `enishi.introductions`), and the counts, each only
/// as far as the viewer may see the section it comes from.
async fn introductions_and_counts(
    state: &AppState,
    viewer: &Viewer,
    view: &enishi_db::profiles::ProfileView,
    out: &mut Value,
) -> MastoResult<()> {
    use enishi_core::IntroductionState;
    let who = view.actor.id;
    let mut intros = if view.introductions_visible {
        enishi_db::introductions::list_for_subject(&state.db, viewer, who).await?
    } else {
        Vec::new()
    };
    // The subject and each writer also see pending and refused ones; the profile shows only
    // those on show.
    intros.retain(|i| i.introduction.state == IntroductionState::Shown);
    crate::api::redact(state, viewer, intros.iter_mut().map(|i| &mut i.writer)).await?;
    let mut listed = Vec::new();
    for i in &intros {
        let name = i
            .writer
            .display_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| acct(&i.writer));
        let value = enishi_core::render::escape(&i.introduction.body).replace('\n', "<br>");
        if listed.len() < INTRODUCTION_FIELDS
            && let Some(fields) = out["fields"].as_array_mut()
        {
            fields.push(json!({
                "name": format!("Introduction by {name}"),
                "value": value,
                "verified_at": null,
            }));
        }
        listed.push(json!({
            "id": i.introduction.public_id,
            "writer": account(state, &i.writer),
            "text": i.introduction.body,
            "created_at": time(i.introduction.created_at),
        }));
    }
    out["enishi"] = json!({ "introductions": listed });
    if view.friends_visible {
        let (friends, following) = enishi_db::social::counts(&state.db, who).await?;
        out["followers_count"] = json!(friends);
        out["following_count"] = json!(friends.max(following));
    }
    out["statuses_count"] = json!(enishi_db::posts::count_public(&state.db, who).await?);
    Ok(())
}

/// The member's own account, with `source` (verify_credentials, update_credentials).
pub async fn own_account(state: &AppState, m: &enishi_core::Member) -> MastoResult<Value> {
    let mut a = account_full(state, &Viewer::member(m.actor.id), &m.actor).await?;
    a["source"] = json!({
        "privacy": visibility(m.settings.default_audience),
        "sensitive": false,
        "language": m.language.clone().unwrap_or_default(),
        "note": "",
        "fields": [],
        "follow_requests_count": 0,
    });
    a["role"] = json!({
        "id": "0",
        "name": if m.is_admin { "Admin" } else if m.is_moderator { "Moderator" } else { "" },
        "color": "",
        "permissions": "0",
        "highlighted": false,
    });
    Ok(a)
}

/// A post as a status, as `viewer` sees it (their like, its counts, its author's profile).
pub async fn status(state: &AppState, viewer: &Viewer, v: PostView) -> MastoResult<Value> {
    let author = account_full_or_plain(state, viewer, &v.author).await?;
    let marks = Marks::of_page(state, viewer, &[v.post.id.0]).await?;
    Ok(status_with(state, v, author, &marks))
}

/// The author as the viewer may see their profile, or as lists show anyone if the profile is
/// hidden from them (the post itself is visible).
async fn account_full_or_plain(state: &AppState, viewer: &Viewer, a: &Actor) -> MastoResult<Value> {
    match account_full(state, viewer, a).await {
        Ok(v) => Ok(v),
        Err(e) if e.0.status == axum::http::StatusCode::NOT_FOUND => Ok(account(state, a)),
        Err(e) => Err(e),
    }
}

/// What the viewer did to a page of posts, and their counts: read in one query per kind.
pub struct Marks {
    likes: HashMap<i64, (u64, bool)>,
    boosts: HashMap<i64, (u64, bool)>,
    bookmarked: HashSet<i64>,
}

impl Marks {
    /// The marks of the posts `ids`.
    pub async fn of_page(state: &AppState, viewer: &Viewer, ids: &[i64]) -> MastoResult<Marks> {
        Ok(Marks {
            likes: enishi_db::reactions::like_summary(&state.db, viewer, ids).await?,
            boosts: enishi_db::boosts::summary(&state.db, viewer, ids).await?,
            bookmarked: enishi_db::bookmarks::marked(&state.db, viewer, ids).await?,
        })
    }
}

fn status_with(state: &AppState, v: PostView, author: Value, marks: &Marks) -> Value {
    let id = v.post.id.0;
    let (likes, favourited) = marks.likes.get(&id).copied().unwrap_or_default();
    let (boosts, reblogged) = marks.boosts.get(&id).copied().unwrap_or_default();
    let bookmarked = marks.bookmarked.contains(&id);
    let body = enishi_core::render::post_html(&v.post);
    let content = match (v.post.kind, &v.post.title) {
        (PostKind::Diary, Some(title)) => {
            format!("<h2>{}</h2>{body}", enishi_core::render::escape(title))
        }
        _ => body,
    };
    let base = state.settings.url("/");
    let media: Vec<Value> = crate::api::dto::MediaOut::of_post(&v, &base)
        .iter()
        .map(super::media::attachment)
        .collect();
    let edited = (v.post.updated_at > v.post.created_at).then(|| time(v.post.updated_at));
    let mut out = blank_status(
        id.to_string(),
        v.post.ap_id.as_str(),
        v.post.created_at,
        author,
        v.post.audience,
    );
    out["url"] = json!(v.post.ap_id.as_str());
    out["edited_at"] = json!(edited);
    out["content"] = json!(content);
    out["sensitive"] = json!(v.post.content_warning.is_some());
    out["spoiler_text"] = json!(v.post.content_warning.clone().unwrap_or_default());
    out["media_attachments"] = json!(media);
    out["reblogs_count"] = json!(boosts);
    out["favourites_count"] = json!(likes);
    out["favourited"] = json!(favourited);
    out["reblogged"] = json!(reblogged);
    out["bookmarked"] = json!(bookmarked);
    out["enishi"] = json!({
        "audience": v.post.audience.as_str(),
        "kind": v.post.kind.as_str(),
        "title": v.post.title,
    });
    out
}

/// A status with every field Mastodon's entity has, empty: posts, comments and reblogs fill
/// in what they hold.
pub fn blank_status(
    id: String,
    uri: &str,
    created_at: DateTime<Utc>,
    account: Value,
    audience: Audience,
) -> Value {
    json!({
        "id": id,
        "uri": uri,
        "url": null,
        "created_at": time(created_at),
        "edited_at": null,
        "account": account,
        "content": "",
        "text": null,
        "visibility": visibility(audience),
        "sensitive": false,
        "spoiler_text": "",
        "media_attachments": [],
        "application": null,
        "mentions": [],
        "tags": [],
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "favourited": false,
        "reblogged": false,
        "muted": false,
        "bookmarked": false,
        "pinned": false,
        "in_reply_to_id": null,
        "in_reply_to_account_id": null,
        "reblog": null,
        "poll": null,
        "card": null,
        "language": null,
        "filtered": [],
    })
}

/// Statuses of `list`, in order.
pub async fn statuses(
    state: &AppState,
    viewer: &Viewer,
    list: Vec<PostView>,
) -> MastoResult<Vec<Value>> {
    // One query per kind of mark for the whole page; authors as lists show accounts (their
    // nicknames redacted by the caller), their full profiles being one request away.
    let ids: Vec<i64> = list.iter().map(|v| v.post.id.0).collect();
    let marks = Marks::of_page(state, viewer, &ids).await?;
    Ok(list
        .into_iter()
        .map(|v| {
            let author = account(state, &v.author);
            status_with(state, v, author, &marks)
        })
        .collect())
}

/// A relationship with account `id`.
pub fn relationship(id: i64, r: &Relationship) -> Value {
    json!({
        "id": id.to_string(),
        "following": r.friend || r.following,
        "showing_reblogs": true,
        "notifying": false,
        "languages": null,
        "followed_by": r.friend || r.followed_by,
        "blocking": r.blocking,
        "blocked_by": false,
        "muting": false,
        "muting_notifications": false,
        "requested": r.requested,
        "requested_by": r.requested_by,
        "domain_blocking": false,
        "endorsed": false,
        "note": "",
        "enishi": {"friend": r.friend},
    })
}

/// A notification, unless it has no Mastodon equivalent or its post is out of the viewer's
/// sight now.
pub async fn notification(
    state: &AppState,
    viewer: &Viewer,
    mut n: Notification,
) -> MastoResult<Option<Value>> {
    // Whoever calls, the nickname shows only as its audience allows.
    crate::api::redact(state, viewer, [&mut n.actor]).await?;
    use enishi_core::NotificationKind as K;
    let kind = match n.kind {
        K::FriendRequest => "follow_request",
        K::FriendAccepted => "follow",
        K::Comment | K::Mention => "mention",
        K::Like => "favourite",
        K::Introduction => "enishi_introduction",
        K::ServerBlocked => "severed_relationships",
        K::Boost => "reblog",
    };
    let status = match &n.post {
        Some((public_id, post_kind)) => {
            match enishi_db::posts::get_visible(&state.db, viewer, *post_kind, public_id).await {
                Ok(v) => Some(status(state, viewer, v).await?),
                Err(enishi_db::OpError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
        None => None,
    };
    Ok(Some(json!({
        "id": n.id.to_string(),
        "type": kind,
        "created_at": time(n.created_at),
        "account": account(state, &n.actor),
        "status": status,
        "enishi": {"kind": n.kind.as_str(), "read": n.read},
    })))
}
