//! Who is calling: bearer tokens, and `POST /api/v1/sessions` to get one.

use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use enishi_core::{Member, Viewer};
use enishi_db::{accounts, tokens};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn unauthorized(message: &str) -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// The bearer token of a request, if it has one; a malformed header is an error.
fn bearer(parts: &Parts) -> Result<Option<&str>, AppError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not valid text"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("use Authorization: Bearer TOKEN"))?;
    Ok(Some(token))
}

async fn member_for(parts: &Parts, state: &AppState) -> Result<Option<(Member, String)>, AppError> {
    let Some(token) = bearer(parts)? else {
        return Ok(None);
    };
    match tokens::authenticate_grant(&state.db, token).await? {
        Some((member, grant)) => {
            // A Mastodon app's token reaches Enishi's own API only within its scopes: the
            // whole of `read` to read, the whole of `write` to change anything.
            let needed = match parts.method {
                axum::http::Method::GET | axum::http::Method::HEAD => "read",
                _ => "write",
            };
            // Moderation and the account itself (deleting it, moving it, its aliases) are
            // never an app's business: Mastodon keeps them behind scopes apps do not get.
            let path = parts.uri.path();
            let account_level = path.starts_with("/api/v1/admin/")
                || path.starts_with("/api/v1/me/move")
                || path.starts_with("/api/v1/me/aliases")
                || path.starts_with("/api/v1/me/archive")
                || (path.trim_end_matches('/') == "/api/v1/me"
                    && parts.method == axum::http::Method::DELETE);
            if account_level && grant.scopes != enishi_core::scopes::Scopes::All {
                return Err(AppError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "an app's token cannot do this: use the site, or a token of Enishi's own",
                ));
            }
            if !grant.scopes.allows(needed) {
                return Err(AppError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!("this token's scopes do not include {needed:?}"),
                ));
            }
            Ok(Some((member, token.to_owned())))
        }
        None => Err(unauthorized("the token is invalid or has been revoked")),
    }
}

/// A logged-in member (401 otherwise).
pub struct CurrentMember {
    /// The member.
    pub member: Member,
    /// The token they used.
    pub token: String,
}

impl CurrentMember {
    /// The member as a viewer.
    pub fn viewer(&self) -> Viewer {
        Viewer::member(self.member.actor.id)
    }
}

impl FromRequestParts<AppState> for CurrentMember {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match member_for(parts, state).await? {
            Some((member, token)) => Ok(CurrentMember { member, token }),
            None => Err(unauthorized(
                "log in first: send Authorization: Bearer TOKEN (POST /api/v1/sessions gives one)",
            )),
        }
    }
}

/// Whoever is calling: a member with a valid token, or anonymous. A token that is present but
/// invalid is refused rather than silently treated as anonymous.
pub struct Caller {
    /// The member, if logged in.
    pub member: Option<Member>,
}

impl Caller {
    /// The caller as a viewer.
    pub fn viewer(&self) -> Viewer {
        self.member
            .as_ref()
            .map_or(Viewer::ANONYMOUS, |m| Viewer::member(m.actor.id))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(Caller {
            member: member_for(parts, state).await?.map(|(m, _)| m),
        })
    }
}

/// Login details.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SessionIn {
    /// Username (case-insensitive).
    pub username: String,
    /// Password.
    pub password: String,
}

/// A new bearer token.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
}

/// Logs in and returns a new bearer token. Attempts are limited per client address and
/// failed ones per account (429 with `Retry-After` while limited, whatever the password).
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions", request_body = SessionIn,
    responses((status = 201, body = SessionOut), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    client: crate::limits::ClientAddr,
    body: crate::api::JsonBody<SessionIn>,
) -> Result<(StatusCode, Json<SessionOut>), AppError> {
    let input = body.0;
    if let Err(limited) = state.access.login.admit(client.0, &input.username) {
        return Err(AppError::too_many_requests(limited.wait()));
    }
    let Some(member) = accounts::authenticate(&state.db, &input.username, &input.password).await?
    else {
        state.access.login.failed(&input.username);
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong username or password",
        ));
    };
    let token = tokens::create(&state.db, member.account_id, "session").await?;
    Ok((StatusCode::CREATED, Json(SessionOut { token })))
}

/// Logs out: revokes the token used for this request.
#[utoipa::path(delete, path = "/api/v1/sessions", tag = "sessions", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn delete_session(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<StatusCode, AppError> {
    tokens::revoke(&state.db, &me.token).await?;
    Ok(StatusCode::NO_CONTENT)
}
