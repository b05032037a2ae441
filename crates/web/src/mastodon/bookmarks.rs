//! Bookmarks for Mastodon apps: a member's private list of posts to come back to, holding only
//! what they may still see.

use super::accounts::PagingIn;
use super::body::Params;
use super::statuses::{Target, locate};
use super::{Auth, MastoError, MastoResult, entities, paged};
use crate::AppState;
use crate::api::redact;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use enishi_core::Viewer;
use enishi_db::bookmarks;
use serde_json::Value;

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/bookmarks", get(list))
        .route("/api/v1/statuses/{id}/bookmark", post(bookmark))
        .route("/api/v1/statuses/{id}/unbookmark", post(unbookmark))
}

async fn change(state: &AppState, auth: &Auth, id: &str, add: bool) -> MastoResult<Json<Value>> {
    let me = auth.member("write:bookmarks")?;
    let viewer = Viewer::member(me.actor.id);
    let Target::Post(kind, public_id) = locate(state, id).await? else {
        return Err(MastoError::unprocessable("comments cannot be bookmarked"));
    };
    let mut view = if add {
        bookmarks::add(&state.db, &viewer, kind, &public_id).await?
    } else {
        bookmarks::remove(&state.db, &viewer, kind, &public_id).await?
    };
    redact(state, &viewer, [&mut view.author]).await?;
    Ok(Json(entities::status(state, &viewer, view).await?))
}

async fn bookmark(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    change(&state, &auth, &id, true).await
}

async fn unbookmark(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    change(&state, &auth, &id, false).await
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Params(input): Params<PagingIn>,
) -> MastoResult<Response> {
    let me = auth.member("read:bookmarks")?;
    let viewer = Viewer::member(me.actor.id);
    let paging = input.paging();
    let limit = paging.limit()?;
    let found = bookmarks::list(&state.db, &viewer, paging.before()?, limit).await?;
    // The page's cursor is the bookmark's own id, as in Mastodon.
    let ids: Vec<i64> = found.iter().map(|(b, _)| *b).collect();
    let mut views: Vec<_> = found.into_iter().map(|(_, v)| v).collect();
    redact(&state, &viewer, views.iter_mut().map(|v| &mut v.author)).await?;
    let items = entities::statuses(&state, &viewer, views).await?;
    Ok(paged(&state, "/api/v1/bookmarks", items, &ids, limit))
}
