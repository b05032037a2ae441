//! Reblogs (boosts) for Mastodon apps: a member passes a public post on. A reblog is a status
//! of its own whose id is the boost's row id plus [`REBLOG_BASE`] (above comments' ids), with
//! the post inside it as `reblog`. Anything narrower than public is refused with 422, as
//! Mastodon refuses boosting a private status.

use super::entities::{self, account};
use super::statuses::{COMMENT_BASE, Target, locate, visible_post};
use super::{Auth, MastoError, MastoResult, numeric_id};
use crate::AppState;
use crate::api::redact;
use axum::Json;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use enishi_core::{PostId, Viewer};
use enishi_db::boosts::{self, Boost, Booster};
use serde_json::Value;

/// Reblogs' ids start here, above any comment's id.
pub const REBLOG_BASE: i64 = 1 << 61;

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/statuses/{id}/reblog", post(reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(unreblog))
        .route("/api/v1/statuses/{id}/reblogged_by", get(reblogged_by))
}

/// A reblog status wrapping `inner`, the post as the viewer sees it.
pub fn wrapper(state: &AppState, b: &Booster, inner: Value) -> Value {
    let mut out = entities::blank_status(
        (REBLOG_BASE + b.boost_id).to_string(),
        &b.ap_id,
        b.created_at,
        account(state, &b.actor),
        enishi_core::Audience::Public,
    );
    for mark in ["favourited", "reblogged", "bookmarked"] {
        out[mark] = inner[mark].clone();
    }
    out["reblog"] = inner;
    out
}

fn booster_of(b: &Boost) -> Booster {
    Booster {
        boost_id: b.id,
        ap_id: b.ap_id.clone(),
        created_at: b.created_at,
        actor: b.booster.clone(),
    }
}

/// A paging cursor that names a reblog stands for its post's place on the timeline.
pub async fn cursor(state: &AppState, c: Option<i64>) -> MastoResult<Option<i64>> {
    match c {
        Some(n) if n >= REBLOG_BASE => Ok(Some(
            boosts::post_of(&state.db, n - REBLOG_BASE)
                .await?
                .map_or(n, |p| p.0),
        )),
        other => Ok(other),
    }
}

/// The post a status id's boost applies to: the post itself, or a reblog's post.
async fn post_id(state: &AppState, id: &str) -> MastoResult<PostId> {
    let n = numeric_id(id)?;
    if n >= REBLOG_BASE {
        return boosts::post_of(&state.db, n - REBLOG_BASE)
            .await?
            .ok_or_else(MastoError::not_found);
    }
    if n >= COMMENT_BASE {
        return Err(MastoError::unprocessable(
            "comments cannot be reblogged: reblog the post they answer",
        ));
    }
    Ok(PostId(n))
}

/// `GET /api/v1/statuses/{id}` for a reblog: the boost, if the viewer may see its post and
/// its booster.
pub(super) async fn show(state: &AppState, viewer: &Viewer, n: i64) -> MastoResult<Value> {
    let mut b = boosts::get_visible(&state.db, viewer, n - REBLOG_BASE).await?;
    redact(state, viewer, [&mut b.booster, &mut b.post.author]).await?;
    let booster = booster_of(&b);
    let inner = entities::status(state, viewer, b.post).await?;
    Ok(wrapper(state, &booster, inner))
}

/// `DELETE /api/v1/statuses/{id}` for a reblog: the member takes their own boost back.
pub(super) async fn remove(state: &AppState, viewer: &Viewer, n: i64) -> MastoResult<Value> {
    let shown = show(state, viewer, n).await?;
    let mine = shown["account"]["id"].as_str() == viewer.actor.map(|a| a.0.to_string()).as_deref();
    if !mine {
        return Err(MastoError::not_found());
    }
    let post = post_id(state, &n.to_string()).await?;
    boosts::unboost(&state.db, viewer, post).await?;
    Ok(shown)
}

async fn reblog(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:statuses")?;
    let viewer = Viewer::member(me.actor.id);
    let post = post_id(&state, &id).await?;
    let Target::Post(kind, public_id) = locate(&state, &post.0.to_string()).await? else {
        return Err(MastoError::not_found());
    };
    let mut b = boosts::boost(&state.db, &state.settings, &viewer, kind, &public_id).await?;
    redact(&state, &viewer, [&mut b.post.author]).await?;
    let booster = booster_of(&b);
    let inner = entities::status(&state, &viewer, b.post).await?;
    Ok(Json(wrapper(&state, &booster, inner)))
}

async fn unreblog(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:statuses")?;
    let viewer = Viewer::member(me.actor.id);
    let post = post_id(&state, &id).await?;
    boosts::unboost(&state.db, &viewer, post).await?;
    let view = visible_post(&state, &viewer, &post.0.to_string()).await?;
    Ok(Json(entities::status(&state, &viewer, view).await?))
}

async fn reblogged_by(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Vec<Value>>> {
    let viewer = auth.viewer("read:statuses")?;
    let post = visible_post(&state, &viewer, &id).await?;
    let mut boosters = boosts::boosters_of(&state.db, &viewer, post.post.id).await?;
    redact(&state, &viewer, boosters.iter_mut()).await?;
    Ok(Json(boosters.iter().map(|a| account(&state, a)).collect()))
}
