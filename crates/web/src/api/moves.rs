//! Account moves (issue 17): `GET`/`PUT /api/v1/me/aliases` (the member's accounts elsewhere,
//! published as `alsoKnownAs`, so that one of them may move here) and `POST /api/v1/me/move`
//! (moving to an account elsewhere that lists this one among its aliases).

use super::auth::CurrentMember;
use super::{JsonBody, resolve_or_fetch};
use crate::error::ErrorBody;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The member's accounts elsewhere.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AliasesDto {
    /// Handles (`name@server`) or actor URLs, at most 5; answered as actor URLs.
    pub also_known_as: Vec<String>,
}

/// The member's aliases.
#[utoipa::path(get, path = "/api/v1/me/aliases", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = AliasesDto), (status = 401, body = ErrorBody)))]
pub async fn aliases(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Json<AliasesDto>, AppError> {
    let m = enishi_db::moves::state(&state.db, me.member.actor.id).await?;
    Ok(Json(AliasesDto {
        also_known_as: m.also_known_as.iter().map(|u| u.to_string()).collect(),
    }))
}

/// Sets the member's aliases: each is looked up (WebFinger or its document) and published as
/// `alsoKnownAs`, so that the account may move here.
#[utoipa::path(put, path = "/api/v1/me/aliases", tag = "me", security(("bearer" = [])), request_body = AliasesDto,
    responses((status = 200, body = AliasesDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "an alias names no account that could be found"), (status = 422, body = ErrorBody)))]
pub async fn set_aliases(
    State(state): State<AppState>,
    me: CurrentMember,
    JsonBody(input): JsonBody<AliasesDto>,
) -> Result<Json<AliasesDto>, AppError> {
    if input.also_known_as.len() > enishi_db::moves::MAX_ALIASES {
        let mut e = AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!(
                "also_known_as: at most {} accounts",
                enishi_db::moves::MAX_ALIASES
            ),
        );
        e.field = Some("also_known_as".into());
        return Err(e);
    }
    let mut urls = Vec::new();
    for a in &input.also_known_as {
        let actor = resolve_or_fetch(&state, a).await?;
        if !urls.contains(&actor.ap_id) {
            urls.push(actor.ap_id);
        }
    }
    enishi_db::moves::set_aliases(&state.db, &me.member.actor, &urls).await?;
    aliases(State(state), me).await
}

/// Moving away.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveIn {
    /// The new account (a handle or actor URL), which must list this one in `alsoKnownAs`.
    pub target: String,
    /// The account's password.
    pub password: String,
}

/// Where the member moved.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovedOut {
    /// The new account's actor URL.
    pub moved_to: String,
}

/// Moves the member to an account elsewhere: their actor points there (`movedTo`) and a `Move`
/// goes to their followers' servers, whose members follow the new account if they wish (other
/// Enishi servers carry friendships over when the new account asks).
#[utoipa::path(post, path = "/api/v1/me/move", tag = "me", security(("bearer" = [])), request_body = MoveIn,
    responses((status = 200, body = MovedOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "the password is wrong"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "the new account does not list this one in alsoKnownAs (`not_an_alias`)"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "rate limited (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn move_away(
    State(state): State<AppState>,
    me: CurrentMember,
    JsonBody(input): JsonBody<MoveIn>,
) -> Result<Json<MovedOut>, AppError> {
    crate::rate_limits::admit(
        &state.access.actions.password,
        &me.member.actor.id,
        "password attempts",
    )?;
    if enishi_db::accounts::authenticate(&state.db, &me.member.actor.username, &input.password)
        .await?
        .is_none()
    {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the password is wrong",
        ));
    }
    let target = resolve_or_fetch(&state, &input.target).await?;
    if target.is_local {
        let mut e = AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "target: the new account must be on another server",
        );
        e.field = Some("target".into());
        return Err(e);
    }
    let listed = match state.fetcher().object(&target.ap_id).await {
        Ok(doc) => {
            enishi_apub::inbox::ids_of(doc.get("alsoKnownAs")).contains(&me.member.actor.ap_id)
        }
        Err(e) => {
            tracing::info!(target = %target.ap_id, error = %e, "could not fetch a move's target");
            false
        }
    };
    if !listed {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "not_an_alias",
            format!(
                "{} does not list {} among its aliases (alsoKnownAs); add it there first",
                target.handle(),
                me.member.actor.ap_id
            ),
        ));
    }
    enishi_db::moves::move_away(&state.db, &me.member.actor, &target).await?;
    state.outbox_wake.notify_waiters();
    Ok(Json(MovedOut {
        moved_to: target.ap_id.to_string(),
    }))
}
