//! The Mastodon client API (issue 18): the part of it that Mastodon apps need, as a third face
//! of the same `enishi_db` calls as the pages and Enishi's own API — never a looser path.
//!
//! What differs from Enishi's API is only the shape: numeric string ids (row ids), `Link`
//! pagination with `max_id`/`since_id`/`min_id`, bodies as JSON, forms or multipart, errors as
//! `{"error": …}`, and scopes on every token an app holds.

mod accounts;
mod body;
mod bookmarks;
mod entities;
mod instance;
mod media;
mod notifications;
pub mod oauth;
mod reblogs;
mod search;
pub mod shared;
mod statuses;
pub mod streaming;
mod timelines;

use crate::{AppError, AppState};
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
pub use body::Params;
use enishi_core::scopes::Scopes;
use enishi_core::{Member, Viewer};
use enishi_db::tokens::{self, Grant};

/// The routes of the Mastodon client API (OAuth's approval page is among the pages).
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/apps", post(oauth::create_app))
        .route("/api/v1/apps/verify_credentials", get(oauth::verify_app))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        )
        .route("/api/v1/streaming", get(streaming::connect))
        .route("/api/v1/streaming/health", get(streaming::health))
        .merge(instance::routes())
        .merge(accounts::routes())
        .merge(notifications::routes())
        .merge(search::routes())
        .merge(statuses::routes())
        .merge(timelines::routes())
        .merge(reblogs::routes())
        .merge(shared::routes())
        .merge(bookmarks::routes())
        .merge(media::routes())
}

/// An error in Mastodon's shape: `{"error": message}`, plus Enishi's stable code.
#[derive(Debug)]
pub struct MastoError(pub AppError);

impl MastoError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        MastoError(AppError::new(status, code, message))
    }

    /// 404 with Mastodon's words.
    pub fn not_found() -> Self {
        MastoError::new(StatusCode::NOT_FOUND, "not_found", "Record not found")
    }

    /// 422 naming what is wrong.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        MastoError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        )
    }
}

impl<E: Into<AppError>> From<E> for MastoError {
    fn from(e: E) -> Self {
        MastoError(e.into())
    }
}

impl IntoResponse for MastoError {
    fn into_response(self) -> Response {
        let e = self.0;
        let message = if e.status == StatusCode::NOT_FOUND {
            "Record not found".to_owned()
        } else {
            e.message.clone()
        };
        let mut r = (
            e.status,
            Json(serde_json::json!({"error": message, "error_code": e.code})),
        )
            .into_response();
        if e.status.is_server_error() {
            // The cause was logged where AppError was made; the client learns nothing more.
            return e.into_response();
        }
        if let Some(wait) = e.retry_after
            && let Ok(v) = HeaderValue::from_str(&wait.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        // Marks the body as one of ours, so that `error::json_errors` leaves it as it is.
        r.extensions_mut().insert(e);
        r
    }
}

/// The result of a Mastodon handler.
pub type MastoResult<T> = Result<T, MastoError>;

/// Who is calling with which grant: a member's token, an app's own token, or nobody.
pub struct Auth {
    /// The member, with what their token grants.
    member: Option<(Member, Grant)>,
    /// The app whose own token (client_credentials) this is.
    app: Option<enishi_db::oauth::App>,
    /// The bearer token, if any.
    token: Option<String>,
}

fn unauthorized(message: &str) -> MastoError {
    MastoError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

fn outside_scopes() -> MastoError {
    MastoError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "This action is outside the authorized scopes",
    )
}

impl Auth {
    /// The member, if their token grants `scope` (401 without a member, 403 without scope).
    pub fn member(&self, scope: &str) -> MastoResult<&Member> {
        let Some((member, grant)) = &self.member else {
            return Err(unauthorized("This method requires an authenticated user"));
        };
        if !grant.scopes.allows(scope) {
            return Err(outside_scopes());
        }
        Ok(member)
    }

    /// The viewer for a read that anyone may make: the member if their token grants `scope`,
    /// anonymous without a token (403 with a token lacking the scope).
    pub fn viewer(&self, scope: &str) -> MastoResult<Viewer> {
        match &self.member {
            None => Ok(Viewer::ANONYMOUS),
            Some(_) => Ok(Viewer::member(self.member(scope)?.actor.id)),
        }
    }

    /// The caller's scopes: a member's token's, an app token's, or none.
    pub fn scopes(&self) -> Option<Scopes> {
        match (&self.member, &self.app) {
            (Some((_, g)), _) => Some(g.scopes.clone()),
            (None, Some(app)) => Some(enishi_db::oauth::app_scopes(app)),
            _ => None,
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = MastoError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> MastoResult<Self> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Auth {
                member: None,
                app: None,
                token: None,
            });
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or(v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauthorized("The access token is invalid"))?
            .to_owned();
        if let Some(found) = tokens::authenticate_grant(&state.db, &token).await? {
            return Ok(Auth {
                member: Some(found),
                app: None,
                token: Some(token),
            });
        }
        match enishi_db::oauth::authenticate_app_token(&state.db, &token).await? {
            Some(app) => Ok(Auth {
                member: None,
                app: Some(app),
                token: Some(token),
            }),
            None => Err(unauthorized("The access token is invalid")),
        }
    }
}

impl Auth {
    /// Whether a Mastodon app is calling (its token came from OAuth), rather than a client of
    /// Enishi's own API.
    pub fn is_app(&self) -> bool {
        self.app.is_some()
            || self
                .member
                .as_ref()
                .is_some_and(|(_, g)| g.app_id.is_some())
    }

    /// The bearer token, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
}

/// Mastodon's paths answer with or without a trailing slash (`/api/v1/instance/`), as
/// Mastodon does; the router knows them without.
pub async fn trailing_slash(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    if path.len() > 1
        && path.ends_with('/')
        && (path.starts_with("/api/") || path.starts_with("/oauth/"))
    {
        let trimmed = path.trim_end_matches('/').to_owned();
        let rebuilt = match request.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed,
        };
        if let Ok(uri) = rebuilt.parse() {
            *request.uri_mut() = uri;
        }
    }
    next.run(request).await
}

/// Cross-origin access as Mastodon allows it: web apps on other origins (Elk, Phanpy) call the
/// API and OAuth endpoints with bearer tokens, never cookies, so any origin may.
pub async fn cors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = request.uri().path();
    let open = path.starts_with("/api/")
        || path == "/oauth/token"
        || path == "/oauth/revoke"
        || path.starts_with("/.well-known/")
        || path.starts_with("/nodeinfo/");
    if !open {
        return next.run(request).await;
    }
    let preflight = request.method() == axum::http::Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST, PUT, DELETE, GET, PATCH, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Authorization, Content-Type, Idempotency-Key, Accept"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("7200"),
        );
        r
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, Idempotency-Key"),
    );
    response
}

/// A numeric id of a path: anything else names nothing.
pub fn numeric_id(id: &str) -> MastoResult<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(MastoError::not_found)
}

/// Mastodon's paging parameters.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Paging {
    /// Older than this id.
    pub max_id: Option<String>,
    /// Newer than this id (newest first).
    pub since_id: Option<String>,
    /// Newer than this id (the oldest of them first in Mastodon; here also newest first).
    pub min_id: Option<String>,
    /// How many (default 20, at most 40).
    pub limit: Option<String>,
}

impl Paging {
    /// The page size: 20 by default, 40 at most, as Mastodon.
    pub fn limit(&self) -> MastoResult<u64> {
        match &self.limit {
            None => Ok(20),
            Some(l) => l
                .parse::<u64>()
                .map(|n| n.clamp(1, 40))
                .map_err(|_| MastoError::unprocessable("limit: must be a number")),
        }
    }

    /// `max_id` as a cursor (older than it).
    pub fn before(&self) -> MastoResult<Option<i64>> {
        parse_cursor(self.max_id.as_deref(), "max_id")
    }

    /// The window of a list of posts these ask for: older than `max_id`; newer than `since_id`
    /// (the newest such), or than `min_id` (the page just above it).
    pub fn window(&self) -> MastoResult<enishi_db::posts::Window> {
        let min = parse_cursor(self.min_id.as_deref(), "min_id")?;
        let since = parse_cursor(self.since_id.as_deref(), "since_id")?;
        Ok(enishi_db::posts::Window {
            before: self.before()?,
            after: min.or(since),
            nearest_after: min.is_some(),
        })
    }

    /// `since_id` or `min_id`: newer than it.
    pub fn after(&self) -> MastoResult<Option<i64>> {
        match parse_cursor(self.min_id.as_deref(), "min_id")? {
            Some(n) => Ok(Some(n)),
            None => parse_cursor(self.since_id.as_deref(), "since_id"),
        }
    }
}

fn parse_cursor(v: Option<&str>, name: &str) -> MastoResult<Option<i64>> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| MastoError::unprocessable(format!("{name}: must be an id"))),
    }
}

/// A list answer with Mastodon's `Link` header: `next` (older, `max_id` = the last id) when
/// the page was full, and `prev` (newer, `min_id` = the first id) when it had anything.
pub fn paged<T: serde::Serialize>(
    state: &AppState,
    path: &str,
    items: Vec<T>,
    ids: &[i64],
    limit: u64,
) -> Response {
    let mut links = Vec::new();
    if ids.len() as u64 >= limit
        && let Some(last) = ids.last()
    {
        let url = state.settings.url(&format!("{path}?max_id={last}"));
        links.push(format!("<{url}>; rel=\"next\""));
    }
    if let Some(first) = ids.first() {
        let url = state.settings.url(&format!("{path}?min_id={first}"));
        links.push(format!("<{url}>; rel=\"prev\""));
    }
    let mut r = Json(items).into_response();
    if !links.is_empty()
        && let Ok(v) = HeaderValue::from_str(&links.join(", "))
    {
        r.headers_mut().insert(header::LINK, v);
    }
    r
}
