//! Statuses and timelines for Mastodon apps.
//!
//! A diary or voice post is a status whose id is its row id. A comment is a reply: a status
//! whose id is the comment's row id plus [`COMMENT_BASE`] (so the two never collide and both
//! stay numeric, as Ivory requires), `in_reply_to_id` its post. Posting a status makes a voice
//! post, or a diary when a `title` comes with it, or a comment when it replies.

use super::body::{OneOrMany, Params};
use super::entities::{self, audience_from};
use super::{Auth, MastoError, MastoResult, numeric_id};
use crate::AppState;
use crate::api::redact;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use enishi_core::{PostKind, Viewer};
use enishi_db::posts::{self, NewPost, PostView};
use enishi_db::reactions::{self, CommentView};
use serde::Deserialize;
use serde_json::{Value, json};

/// Comments' ids start here, above any post's row id.
pub const COMMENT_BASE: i64 = 1 << 60;

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/statuses", post(create))
        .route("/api/v1/statuses/{id}", get(show).put(edit).delete(remove))
        .route("/api/v1/statuses/{id}/context", get(context))
        .route("/api/v1/statuses/{id}/favourite", post(favourite))
        .route("/api/v1/statuses/{id}/unfavourite", post(unfavourite))
        .route("/api/v1/statuses/{id}/favourited_by", get(favourited_by))
}

/// What a status id names.
pub(super) enum Target {
    Post(PostKind, String),
    Comment(String),
}

pub(super) async fn locate(state: &AppState, id: &str) -> MastoResult<Target> {
    let mut n = numeric_id(id)?;
    // A reblog stands for the post it passes on.
    if n >= super::reblogs::REBLOG_BASE {
        n = enishi_db::boosts::post_of(&state.db, n - super::reblogs::REBLOG_BASE)
            .await?
            .ok_or_else(MastoError::not_found)?
            .0;
    }
    if n >= COMMENT_BASE {
        return reactions::locate_comment(&state.db, n - COMMENT_BASE)
            .await?
            .map(Target::Comment)
            .ok_or_else(MastoError::not_found);
    }
    posts::locate(&state.db, n)
        .await?
        .map(|(k, p)| Target::Post(k, p))
        .ok_or_else(MastoError::not_found)
}

/// The post a status id names (a comment's post for a comment), if the viewer may see it.
pub(super) async fn visible_post(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> MastoResult<PostView> {
    let mut view = match locate(state, id).await? {
        Target::Post(kind, public_id) => {
            posts::get_visible(&state.db, viewer, kind, &public_id).await?
        }
        Target::Comment(public_id) => {
            reactions::get_visible_comment(&state.db, viewer, &public_id)
                .await?
                .1
        }
    };
    redact(state, viewer, [&mut view.author]).await?;
    Ok(view)
}

/// A comment as a reply status.
fn comment_status(state: &AppState, c: &CommentView, parent: &PostView) -> Value {
    // A comment is seen by whoever sees its post.
    let mut out = entities::blank_status(
        (c.comment.id + COMMENT_BASE).to_string(),
        c.comment.ap_id.as_str(),
        c.comment.created_at,
        entities::account(state, &c.author),
        c.post_audience,
    );
    out["url"] = json!(c.comment.ap_id.as_str());
    out["content"] = json!(enishi_core::render::comment_html(&c.comment));
    out["in_reply_to_id"] = json!(parent.post.id.0.to_string());
    out["in_reply_to_account_id"] = json!(parent.author.id.0.to_string());
    out["enishi"] = json!({
        "audience": c.post_audience.as_str(),
        "kind": "comment",
        "title": null,
    });
    out
}

/// `POST /api/v1/statuses`'s parameters.
#[derive(Deserialize)]
pub struct StatusIn {
    status: Option<String>,
    /// Enishi's extension: a title makes the status a diary.
    title: Option<String>,
    visibility: Option<String>,
    in_reply_to_id: Option<String>,
    #[serde(default)]
    media_ids: OneOrMany,
    spoiler_text: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    sensitive: Option<String>,
    #[serde(default)]
    poll: Option<Value>,
    #[serde(default)]
    scheduled_at: Option<String>,
    /// Anything else: a poll sent as a form arrives as `poll[options]`, `poll[expires_in]`.
    #[serde(flatten)]
    rest: std::collections::BTreeMap<String, Value>,
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Params(input): Params<StatusIn>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:statuses")?.clone();
    let viewer = Viewer::member(me.actor.id);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    if let Some(key) = &key
        && let Some(id) = enishi_db::idempotency::find(&state.db, me.account_id, key).await?
    {
        let view = visible_post(&state, &viewer, &id.to_string()).await?;
        return Ok(Json(entities::status(&state, &viewer, view).await?));
    }
    if input.poll.is_some() || input.rest.keys().any(|k| k.starts_with("poll[")) {
        return Err(MastoError::unprocessable("poll: polls are not supported"));
    }
    if input.scheduled_at.is_some() {
        return Err(MastoError::unprocessable(
            "scheduled_at: scheduled posts are not supported",
        ));
    }
    let _ = (&input.language, &input.sensitive);
    let text = input.status.unwrap_or_default();
    let spoiler = input.spoiler_text.as_deref().map(str::trim);
    let audience = match input.visibility.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(audience_from(v).ok_or_else(|| {
            MastoError::unprocessable(format!("visibility: unknown visibility {v:?}"))
        })?),
    };
    let rate = crate::rate_limits::admit(&state.access.actions.posting, &me.actor.id, "posts");
    rate?;
    if let Some(parent) = input.in_reply_to_id.as_deref().filter(|s| !s.is_empty()) {
        let post = visible_post(&state, &viewer, parent).await?;
        // A comment has no content warning of its own: it leads the text.
        let text = match spoiler {
            Some(cw) if !cw.is_empty() => format!("{cw}\n\n{text}"),
            _ => text,
        };
        let known = crate::mentions::known_in(&state, &[&text]).await;
        let c = reactions::comment(
            &state.db,
            &state.settings,
            &viewer,
            post.post.kind,
            &post.post.public_id,
            &text,
            &known,
        )
        .await?;
        return Ok(Json(comment_status(&state, &c, &post)));
    }
    let title = input
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let kind = if title.is_some() {
        PostKind::Diary
    } else {
        PostKind::Voice
    };
    let known = crate::mentions::known_in(&state, &[&text]).await;
    let media_ids = input.media_ids.to_vec();
    let new = NewPost {
        kind,
        title,
        body: &text,
        content_warning: spoiler,
        audience,
        known: &known,
        media_ids: &media_ids,
    };
    let view = posts::create(&state.db, &state.settings, &me, new).await?;
    if let Some(key) = &key {
        enishi_db::idempotency::remember(&state.db, me.account_id, key, view.post.id.0).await?;
    }
    Ok(Json(entities::status(&state, &viewer, view).await?))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let viewer = auth.viewer("read:statuses")?;
    let n = numeric_id(&id)?;
    if n >= super::reblogs::REBLOG_BASE {
        return Ok(Json(super::reblogs::show(&state, &viewer, n).await?));
    }
    match locate(&state, &id).await? {
        Target::Comment(public_id) => {
            let (mut c, parent) =
                reactions::get_visible_comment(&state.db, &viewer, &public_id).await?;
            redact(&state, &viewer, [&mut c.author]).await?;
            Ok(Json(comment_status(&state, &c, &parent)))
        }
        Target::Post(..) => {
            let view = visible_post(&state, &viewer, &id).await?;
            Ok(Json(entities::status(&state, &viewer, view).await?))
        }
    }
}

async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:statuses")?;
    let viewer = Viewer::member(me.actor.id);
    let n = numeric_id(&id)?;
    if n >= super::reblogs::REBLOG_BASE {
        return Ok(Json(super::reblogs::remove(&state, &viewer, n).await?));
    }
    match locate(&state, &id).await? {
        Target::Comment(public_id) => {
            let (mut c, parent) =
                reactions::get_visible_comment(&state.db, &viewer, &public_id).await?;
            redact(&state, &viewer, [&mut c.author]).await?;
            reactions::delete_comment(&state.db, &viewer, &public_id).await?;
            Ok(Json(comment_status(&state, &c, &parent)))
        }
        Target::Post(kind, public_id) => {
            let view = visible_post(&state, &viewer, &id).await?;
            let shown = entities::status(&state, &viewer, view).await?;
            posts::delete(&state.db, &viewer, kind, &public_id).await?;
            Ok(Json(shown))
        }
    }
}

async fn context(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let viewer = auth.viewer("read:statuses")?;
    let target = locate(&state, &id).await?;
    let post = visible_post(&state, &viewer, &id).await?;
    let comments = reactions::comments_of(&state.db, &viewer, &post, None, 200).await?;
    let mut ancestors = Vec::new();
    let mut descendants = Vec::new();
    match target {
        Target::Post(..) => {
            for mut c in comments {
                redact(&state, &viewer, [&mut c.author]).await?;
                descendants.push(comment_status(&state, &c, &post));
            }
        }
        Target::Comment(public_id) => {
            ancestors.push(entities::status(&state, &viewer, post.clone()).await?);
            // The comments after this one follow it, as a flat thread.
            let mut after = false;
            for mut c in comments {
                if after {
                    redact(&state, &viewer, [&mut c.author]).await?;
                    descendants.push(comment_status(&state, &c, &post));
                }
                after |= c.comment.public_id == public_id;
            }
        }
    }
    Ok(Json(
        json!({"ancestors": ancestors, "descendants": descendants}),
    ))
}

async fn favourite(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:favourites")?;
    let viewer = Viewer::member(me.actor.id);
    let Target::Post(kind, public_id) = locate(&state, &id).await? else {
        return Err(MastoError::unprocessable("comments cannot be liked"));
    };
    reactions::like(&state.db, &state.settings, &viewer, kind, &public_id).await?;
    let view = visible_post(&state, &viewer, &id).await?;
    Ok(Json(entities::status(&state, &viewer, view).await?))
}

async fn unfavourite(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:favourites")?;
    let viewer = Viewer::member(me.actor.id);
    let Target::Post(kind, public_id) = locate(&state, &id).await? else {
        return Err(MastoError::not_found());
    };
    match reactions::unlike(&state.db, &viewer, kind, &public_id).await {
        // Withdrawing a like never given is no error in Mastodon.
        Ok(()) | Err(enishi_db::OpError::Conflict(..)) => {}
        Err(e) => return Err(e.into()),
    }
    let view = visible_post(&state, &viewer, &id).await?;
    Ok(Json(entities::status(&state, &viewer, view).await?))
}

async fn favourited_by(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Vec<Value>>> {
    let viewer = auth.viewer("read:statuses")?;
    let post = visible_post(&state, &viewer, &id).await?;
    let mut likers = reactions::likers_of(&state.db, &viewer, post.post.id).await?;
    redact(&state, &viewer, likers.iter_mut()).await?;
    Ok(Json(
        likers
            .iter()
            .map(|a| entities::account(&state, a))
            .collect(),
    ))
}

/// `PUT /api/v1/statuses/{id}`'s parameters: the new text (and title for a diary), photos.
#[derive(Deserialize)]
pub struct EditIn {
    status: Option<String>,
    title: Option<String>,
    spoiler_text: Option<String>,
    media_ids: Option<OneOrMany>,
    #[serde(default)]
    poll: Option<Value>,
}

/// Edits a post (its author only): text, a diary's title, photos. The audience is changed on
/// Enishi's pages or API, as Mastodon does not change visibility by editing.
async fn edit(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(input): Params<EditIn>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:statuses")?;
    let viewer = Viewer::member(me.actor.id);
    let Target::Post(kind, public_id) = locate(&state, &id).await? else {
        return Err(MastoError::unprocessable(
            "comments cannot be edited; delete it and write another",
        ));
    };
    if input.poll.is_some() {
        return Err(MastoError::unprocessable("poll: polls are not supported"));
    }
    let text = input.status;
    let title = input
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty() && kind == PostKind::Diary);
    let known = crate::mentions::known_in(&state, &[text.as_deref().unwrap_or("")]).await;
    let media_ids = input.media_ids.map(|m| m.to_vec());
    let change = posts::PostEdit {
        title,
        body: text.as_deref(),
        content_warning: input.spoiler_text.as_deref(),
        audience: None,
        known: &known,
        media_ids: media_ids.as_deref(),
    };
    let view = posts::edit(
        &state.db,
        &state.settings,
        &viewer,
        kind,
        &public_id,
        change,
    )
    .await?;
    Ok(Json(entities::status(&state, &viewer, view).await?))
}
