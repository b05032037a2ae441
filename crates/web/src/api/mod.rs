//! The JSON API under `/api/v1` (DESIGN §7), described by `/api/v1/openapi.json`.

pub mod auth;
pub mod dto;
pub mod moves;
pub mod openapi;
pub mod people;
pub mod posts;
pub mod reports;
pub mod social;

use crate::{AppError, AppState};
use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get, patch, post};
use enishi_core::Actor;
use enishi_core::moderation::Severity;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: u64 = 20;
/// Largest page size a client may ask for.
pub const MAX_LIMIT: u64 = 100;

/// The API routes.
pub fn routes() -> Router<AppState> {
    use people::*;
    use posts::*;
    use social::*;
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route(
            "/api/v1/sessions",
            post(auth::create_session).delete(auth::delete_session),
        )
        .route("/api/v1/me", get(me).delete(delete_me))
        .route("/api/v1/me/settings", patch(update_settings))
        .route(
            "/api/v1/me/aliases",
            get(moves::aliases).put(moves::set_aliases),
        )
        .route("/api/v1/me/move", post(moves::move_away))
        .route(
            "/api/v1/me/archive",
            post(crate::archive::start_archive).get(crate::archive::archive_status),
        )
        .route(
            "/api/v1/me/archive/download",
            get(crate::archive::download_archive),
        )
        .route("/api/v1/me/profile", patch(update_profile))
        .route("/api/v1/users/{handle}", get(profile))
        .route("/api/v1/users/{handle}/relationship", get(relationship))
        .route("/api/v1/users/{handle}/friends", get(friends))
        .route("/api/v1/users/{handle}/diaries", get(member_diaries))
        .route("/api/v1/users/{handle}/voices", get(member_voices))
        .route(
            "/api/v1/users/{handle}/introductions",
            get(introductions_of).post(write_introduction),
        )
        .route(
            "/api/v1/introductions/{id}",
            get(get_introduction)
                .patch(edit_introduction)
                .delete(delete_introduction),
        )
        .route("/api/v1/introductions/{id}/hide", post(hide_introduction))
        .route("/api/v1/introductions/{id}/show", post(show_introduction))
        .route(
            "/api/v1/friends/requests",
            post(send_request).get(list_requests),
        )
        .route("/api/v1/friends/requests/{id}/accept", post(accept_request))
        .route("/api/v1/friends/requests/{id}/reject", post(reject_request))
        .route("/api/v1/friends/{handle}", delete(unfriend))
        // Paths Mastodon's API shares: an app's token gets Mastodon's answer.
        .route(
            "/api/v1/blocks",
            post(block).get(crate::mastodon::shared::blocks),
        )
        .route("/api/v1/blocks/{handle}", delete(unblock))
        // The size is `limit_bodies`' to enforce (10 MiB by default), not axum's 2 MB default.
        .route(
            "/api/v1/media",
            post(crate::mastodon::shared::upload_media)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/api/v1/media/{id}",
            get(crate::mastodon::shared::get_media).put(crate::mastodon::shared::describe_media),
        )
        .route("/media/{key}/{file}", get(crate::media::serve))
        .route("/api/v1/diaries", post(create_diary))
        .route(
            "/api/v1/diaries/{id}",
            get(get_diary).patch(edit_diary).delete(delete_diary),
        )
        .route("/api/v1/voices", post(create_voice))
        .route(
            "/api/v1/voices/{id}",
            get(get_voice).patch(edit_voice).delete(delete_voice),
        )
        .route(
            "/api/v1/diaries/{id}/comments",
            get(diary_comments).post(comment_diary),
        )
        .route(
            "/api/v1/voices/{id}/comments",
            get(voice_comments).post(comment_voice),
        )
        .route("/api/v1/comments/{id}", delete(delete_comment))
        .route(
            "/api/v1/diaries/{id}/like",
            post(like_diary).delete(unlike_diary),
        )
        .route(
            "/api/v1/voices/{id}/like",
            post(like_voice).delete(unlike_voice),
        )
        .route("/api/v1/diaries/{id}/likes", get(diary_likes))
        .route("/api/v1/voices/{id}/likes", get(voice_likes))
        .route("/api/v1/timeline", get(timeline))
        .route("/api/v1/tags/{tag}", get(crate::mastodon::shared::tag))
        .route(
            "/api/v1/notifications",
            get(crate::mastodon::shared::notifications),
        )
        .route("/api/v1/notifications/read", post(read_notifications))
        .route("/api/v1/footprints", get(footprints))
        .route("/api/v1/reports", post(crate::mastodon::shared::report))
        .route("/api/v1/admin/reports", get(reports::list_reports))
        .route("/api/v1/admin/reports/{id}", get(reports::get_report))
        .route(
            "/api/v1/admin/reports/{id}/resolve",
            post(reports::resolve_report),
        )
        .route(
            "/api/v1/admin/reports/{id}/dismiss",
            post(reports::dismiss_report),
        )
}

/// A JSON body whose rejection is an API error: 400 for broken JSON, 422 naming what is wrong
/// with well-formed JSON, 415 without a JSON content type.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!(
                        "the request body is larger than the limit of {} bytes",
                        crate::MAX_BODY_BYTES
                    ),
                ));
            }
            Err(e) => return Err(AppError::bad_request("invalid_body", e.body_text())),
        };
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            // Every body is an object (serde would also take a struct as an array of its
            // fields, which the document does not allow).
            if !value.is_object() {
                return Err(AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "the body must be a JSON object",
                ));
            }
            // No text anywhere may hold a NUL character (PostgreSQL cannot store one).
            if let Some(path) = nul_at(&value, String::new()) {
                let mut err = AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    format!("{path}: must not contain a NUL character"),
                );
                err.field = Some(path);
                return Err(err);
            }
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                let text = e.body_text();
                let mut err = AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    text.clone(),
                );
                err.field = field_of(&text);
                Err(err)
            }
            Err(JsonRejection::JsonSyntaxError(e)) => {
                Err(AppError::bad_request("invalid_json", e.body_text()))
            }
            Err(e) => Err(AppError::bad_request("invalid_body", e.body_text())),
        }
    }
}

/// Whether the request says its body is JSON (`application/json` or `application/*+json`).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Where in `value` a string (or an object key) holds a NUL character, as `a.b[2].c`.
fn nul_at(value: &serde_json::Value, here: String) -> Option<String> {
    use serde_json::Value;
    let name = |here: &str| {
        if here.is_empty() {
            "body".to_owned()
        } else {
            here.to_owned()
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => Some(name(&here)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, format!("{here}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let path = if here.is_empty() {
                k.clone()
            } else {
                format!("{here}.{k}")
            };
            if k.contains('\0') {
                Some(name(&here))
            } else {
                nul_at(v, path)
            }
        }),
        _ => None,
    }
}

/// The field a serde error is about: axum reports `…target type: PATH: reason`; for a missing
/// field serde says ``missing field `NAME` ``.
fn field_of(message: &str) -> Option<String> {
    let rest = message
        .split_once("target type: ")
        .map_or(message, |(_, r)| r);
    if let Some(name) = rest
        .split_once("missing field `")
        .and_then(|(_, r)| r.split_once('`'))
        .map(|(n, _)| n)
    {
        return Some(name.to_owned());
    }
    let (path, _) = rest.split_once(": ")?;
    let is_path = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c));
    is_path.then(|| path.to_owned())
}

/// Path parameters whose rejection (an id that is not a number, say) is a 400 `invalid_path`
/// with the JSON error body.
pub struct PathParam<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParam<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        // Nothing is named with a NUL character (and PostgreSQL could not even look it up).
        if parts.uri.path().to_ascii_lowercase().contains("%00") {
            return Err(AppError::not_found("no such page"));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParam(p.0))
            .map_err(|e: PathRejection| AppError::bad_request("invalid_path", e.body_text()))
    }
}

/// Query parameters whose rejection is a 400 naming the parameter.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParams(q.0))
            .map_err(|e: QueryRejection| AppError::bad_request("invalid_query", e.body_text()))
    }
}

/// Hides the nicknames `viewer` may not see among `actors` (each member's nickname has its own
/// audience). Every response that names people goes through this.
pub async fn redact<'a>(
    state: &AppState,
    viewer: &enishi_core::Viewer,
    actors: impl IntoIterator<Item = &'a mut Actor>,
) -> Result<(), AppError> {
    enishi_db::profiles::redact_nicknames(&state.db, viewer, actors).await?;
    Ok(())
}

/// `?cursor=…&limit=…` of list endpoints.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// The `next` value of the previous page (1 to 18 digits).
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size (1–100, default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

impl PageParams {
    /// The cursor as an id, and the page size.
    pub fn parse(&self) -> Result<(Option<i64>, u64), AppError> {
        let cursor = match self.cursor.as_deref() {
            None => None,
            Some(c) => Some(
                (!c.is_empty() && c.len() <= 18 && c.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| c.parse::<i64>().ok())
                    .flatten()
                    .ok_or_else(|| {
                        AppError::bad_request(
                            "invalid_cursor",
                            format!("cursor {c:?} is not one this API gave out"),
                        )
                    })?,
            ),
        };
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::bad_request(
                "invalid_query",
                format!("limit must be from 1 to {MAX_LIMIT}"),
            ));
        }
        Ok((cursor, limit))
    }
}

/// Builds a page from items whose cursor is given by `key`; a full page has a `next`.
pub fn page<T, U>(
    items: Vec<T>,
    limit: u64,
    key: impl Fn(&T) -> i64,
    out: impl Fn(T) -> U,
) -> dto::Page<U> {
    let next = (items.len() as u64 == limit)
        .then(|| items.last().map(|i| key(i).to_string()))
        .flatten();
    dto::Page {
        items: items.into_iter().map(out).collect(),
        next,
    }
}

/// Finds the actor a handle names: `name` or `name@our-domain` for members, `name@domain` or
/// an actor URL for remote actors known here. Suspended members are not found.
pub async fn resolve_known(state: &AppState, handle: &str) -> Result<Actor, AppError> {
    let actor = resolve_any(state, handle).await?;
    // Accounts of a rejected server, and suspended accounts, are as good as unknown here.
    if !actor.is_local
        && state.inbox.blocks.current().account_severity(&actor.ap_id) == Some(Severity::Reject)
    {
        return Err(AppError::not_found(enishi_core::unknown_account(
            handle.trim().trim_start_matches('@'),
        )));
    }
    Ok(actor)
}

async fn resolve_any(state: &AppState, handle: &str) -> Result<Actor, AppError> {
    let handle = handle.trim().trim_start_matches('@');
    let not_found = || AppError::not_found(enishi_core::unknown_account(handle));
    if handle.starts_with("https://") || handle.starts_with("http://") {
        // Something that is not a URL names no account.
        let url = url::Url::parse(handle).map_err(|_| not_found())?;
        let actor = enishi_db::actors::find_by_ap_id(&state.db, &url)
            .await?
            .ok_or_else(not_found)?;
        return if actor.is_local {
            crate::wellknown::live_member_actor(state, &actor.username)
                .await?
                .ok_or_else(not_found)
        } else {
            Ok(actor)
        };
    }
    match handle.split_once('@') {
        None => crate::wellknown::live_member_actor(state, handle)
            .await?
            .ok_or_else(not_found),
        Some((name, domain)) if domain.eq_ignore_ascii_case(&state.settings.domain) => {
            crate::wellknown::live_member_actor(state, name)
                .await?
                .ok_or_else(not_found)
        }
        Some((name, domain)) => enishi_db::actors::find_remote_by_handle(&state.db, name, domain)
            .await?
            .ok_or_else(not_found),
    }
}

/// Like [`resolve_known`], but an unknown remote handle or URL is looked up on its server
/// (WebFinger, then the actor document, both signed fetches) and remembered.
pub async fn resolve_or_fetch(state: &AppState, handle: &str) -> Result<Actor, AppError> {
    match resolve_known(state, handle).await {
        Ok(actor) => return Ok(actor),
        Err(e) if e.status != StatusCode::NOT_FOUND => return Err(e),
        Err(_) => {}
    }
    let handle = handle.trim().trim_start_matches('@');
    let unreachable = |e: enishi_apub::fetch::FetchError| {
        tracing::info!(%handle, error = %e, "could not resolve a remote account");
        AppError::not_found(enishi_core::unknown_account(handle))
    };
    if handle.starts_with("https://") || handle.starts_with("http://") {
        let url = url::Url::parse(handle)
            .map_err(|_| AppError::not_found(enishi_core::unknown_account(handle)))?;
        state.fetcher().actor(&url).await.map_err(unreachable)
    } else if handle.contains('@') {
        state.fetcher().webfinger(handle).await.map_err(unreachable)
    } else {
        Err(AppError::not_found(enishi_core::unknown_account(handle)))
    }
}
