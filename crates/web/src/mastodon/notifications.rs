//! Notifications as Mastodon apps see them: Mastodon's types stand for Enishi's (a like is a
//! `favourite`, a friend request a `follow_request`), and only the recipient ever reads one.

use super::accounts::PagingIn;
use super::body::{OneOrMany, Params};
use super::entities;
use super::{Auth, MastoError, MastoResult, numeric_id, paged};
use crate::AppState;
use crate::api::redact;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use enishi_core::Viewer;
use enishi_db::notifications;
use serde::Deserialize;
use serde_json::{Value, json};

/// The routes (the list itself shares its path with Enishi's API: `shared::notifications`).
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/notifications/{id}", get(get_notification))
        .route("/api/v1/notifications/clear", post(clear_notifications))
}

#[derive(Deserialize)]
struct NotificationsIn {
    #[serde(flatten)]
    paging: PagingIn,
    #[serde(default)]
    types: OneOrMany,
    #[serde(default)]
    exclude_types: OneOrMany,
}

/// How many pages of notifications one request reads at most to fill a filtered page.
const NOTIFICATION_PAGES: usize = 5;

/// `GET /api/v1/notifications` for Mastodon apps.
pub async fn list_notifications(
    state: &AppState,
    auth: &Auth,
    params: Params<Value>,
) -> MastoResult<Response> {
    let me = auth.member("read:notifications")?;
    let input: NotificationsIn =
        serde_json::from_value(params.0).map_err(|e| MastoError::unprocessable(e.to_string()))?;
    let viewer = Viewer::member(me.actor.id);
    let paging = input.paging.paging();
    let limit = paging.limit()?;
    let after = paging.after()?;
    let types = input.types.to_vec();
    let exclude = input.exclude_types.to_vec();
    let mut ids = Vec::new();
    let mut items = Vec::new();
    // Filtering by type happens after reading, so a page is read on until it is full (or the
    // list ends, or a few pages were read: a rare type is not worth reading everything for).
    let mut before = paging.before()?;
    for _ in 0..NOTIFICATION_PAGES {
        let list = notifications::list(&state.db, &viewer, before, limit).await?;
        let full = list.len() as u64 >= limit;
        before = list.last().map(|n| n.id);
        for mut n in list {
            if after.is_some_and(|a| n.id <= a) || items.len() as u64 >= limit {
                break;
            }
            redact(state, &viewer, [&mut n.actor]).await?;
            let id = n.id;
            if let Some(v) = entities::notification(state, &viewer, n).await? {
                let kind = v["type"].as_str().unwrap_or_default().to_owned();
                if (!types.is_empty() && !types.contains(&kind)) || exclude.contains(&kind) {
                    continue;
                }
                ids.push(id);
                items.push(v);
            }
        }
        let done = items.len() as u64 >= limit || after.is_some_and(|a| before <= Some(a));
        if !full || done {
            break;
        }
    }
    Ok(paged(state, "/api/v1/notifications", items, &ids, limit))
}

async fn get_notification(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("read:notifications")?;
    let id = numeric_id(&id)?;
    let viewer = Viewer::member(me.actor.id);
    let list = notifications::list(&state.db, &viewer, Some(id + 1), 1).await?;
    let n = list
        .into_iter()
        .find(|n| n.id == id)
        .ok_or_else(MastoError::not_found)?;
    entities::notification(&state, &viewer, n)
        .await?
        .map(Json)
        .ok_or_else(MastoError::not_found)
}

async fn clear_notifications(
    State(state): State<AppState>,
    auth: Auth,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:notifications")?;
    notifications::mark_all_read(&state.db, me.actor.id).await?;
    Ok(Json(json!({})))
}
