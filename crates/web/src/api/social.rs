//! Friend requests, friendships, blocks and introductions.

use super::auth::{Caller, CurrentMember};
use super::dto::{ActorRef, FriendRequestOut, IntroductionOut, Page};
use super::{JsonBody, PathParam, QueryParams, redact, resolve_known, resolve_or_fetch};
use crate::error::ErrorBody;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use enishi_db::social::{self as ops, Direction, RequestOutcome};
use enishi_db::{introductions, profiles};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A friend request to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FriendRequestIn {
    /// `name` (a member here), `name@domain`, or an actor URL.
    pub target: String,
    /// A message to go with the request.
    #[schema(max_length = 500)]
    pub message: Option<String>,
}

/// What a friend request led to.
#[derive(Debug, Serialize, ToSchema)]
pub struct FriendRequestResult {
    /// `requested` (waiting for approval) or `friends` (they had asked first).
    pub status: String,
    /// The person asked.
    pub target: ActorRef,
}

/// Sends a friend request (or, to an account that never follows back, a follow).
#[utoipa::path(post, path = "/api/v1/friends/requests", tag = "friends", security(("bearer" = [])), request_body = FriendRequestIn,
    responses((status = 201, body = FriendRequestResult), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "rate limited (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn send_request(
    State(state): State<AppState>,
    me: CurrentMember,
    JsonBody(input): JsonBody<FriendRequestIn>,
) -> Result<(StatusCode, Json<FriendRequestResult>), AppError> {
    crate::rate_limits::admit(
        &state.access.actions.friend_requests,
        &me.member.actor.id,
        "friend requests",
    )?;
    let mut target = resolve_or_fetch(&state, &input.target).await?;
    let outcome = ops::request_friendship(
        &state.db,
        &state.settings,
        &me.member.actor,
        &target,
        input.message.as_deref(),
    )
    .await?;
    redact(&state, &me.viewer(), [&mut target]).await?;
    let status = match outcome {
        RequestOutcome::Requested => "requested",
        RequestOutcome::Friends => "friends",
    };
    Ok((
        StatusCode::CREATED,
        Json(FriendRequestResult {
            status: status.into(),
            target: (&target).into(),
        }),
    ))
}

/// Which friend requests to list.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestDirection {
    /// Requests made to the caller.
    Incoming,
    /// Requests the caller made.
    Outgoing,
    /// Requests made to the caller by accounts of servers this instance limits: they wait
    /// apart, without a notice.
    Held,
}

/// `?direction=incoming|outgoing`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DirectionParams {
    /// `incoming` (default), `outgoing` or `held`.
    #[param(inline)]
    pub direction: Option<RequestDirection>,
}

/// Pending friend requests to or from the caller.
#[utoipa::path(get, path = "/api/v1/friends/requests", tag = "friends", security(("bearer" = [])), params(DirectionParams),
    responses((status = 200, body = Page<FriendRequestOut>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_requests(
    State(state): State<AppState>,
    me: CurrentMember,
    QueryParams(params): QueryParams<DirectionParams>,
) -> Result<Json<Page<FriendRequestOut>>, AppError> {
    let asked = params.direction.unwrap_or(RequestDirection::Incoming);
    let direction = match asked {
        RequestDirection::Incoming | RequestDirection::Held => Direction::Incoming,
        RequestDirection::Outgoing => Direction::Outgoing,
    };
    let mut list = ops::requests(&state.db, me.member.actor.id, direction).await?;
    match asked {
        RequestDirection::Incoming => list.retain(|r| !state.inbox.is_limited(&r.from)),
        RequestDirection::Held => list.retain(|r| state.inbox.is_limited(&r.from)),
        RequestDirection::Outgoing => {}
    }
    redact(
        &state,
        &me.viewer(),
        list.iter_mut().flat_map(|r| [&mut r.from, &mut r.to]),
    )
    .await?;
    Ok(Json(Page {
        items: list.into_iter().map(Into::into).collect(),
        next: None,
    }))
}

/// Accepts a friend request made to the caller.
#[utoipa::path(post, path = "/api/v1/friends/requests/{id}/accept", tag = "friends", security(("bearer" = [])),
    params(("id" = i64, Path, description = "request id")),
    responses((status = 200, body = ActorRef), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn accept_request(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<i64>,
) -> Result<Json<ActorRef>, AppError> {
    let mut friend = ops::accept_request(&state.db, &state.settings, &me.member.actor, id).await?;
    redact(&state, &me.viewer(), [&mut friend]).await?;
    Ok(Json((&friend).into()))
}

/// Declines a friend request made to the caller. A requester on this instance is not told: to
/// them the request still looks pending, as on mixi. A requester on another server is sent a
/// `Reject{Follow}`, because Mastodon and most servers keep a follow pending until they hear
/// and would otherwise retry or show it as waiting for ever; their app may then show the
/// request as declined.
#[utoipa::path(post, path = "/api/v1/friends/requests/{id}/reject", tag = "friends", security(("bearer" = [])),
    params(("id" = i64, Path, description = "request id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn reject_request(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode, AppError> {
    ops::reject_request(&state.db, &me.member.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends a friendship (or cancels a follow or request); introductions between the two vanish.
#[utoipa::path(delete, path = "/api/v1/friends/{handle}", tag = "friends", security(("bearer" = [])),
    params(("handle" = String, Path, description = "handle")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unfriend(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(handle): PathParam<String>,
) -> Result<StatusCode, AppError> {
    let other = resolve_known(&state, &handle).await?;
    ops::unfriend(&state.db, &me.member.actor, &other).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Someone to block.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockIn {
    /// `name`, `name@domain` or an actor URL.
    pub target: String,
}

/// Blocks someone: they can no longer see, reach or befriend the caller.
#[utoipa::path(post, path = "/api/v1/blocks", tag = "blocks", security(("bearer" = [])), request_body = BlockIn,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn block(
    State(state): State<AppState>,
    me: CurrentMember,
    JsonBody(input): JsonBody<BlockIn>,
) -> Result<StatusCode, AppError> {
    let target = resolve_or_fetch(&state, &input.target).await?;
    ops::block(&state.db, &state.settings, &me.member.actor, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whom the caller blocks.
#[utoipa::path(get, path = "/api/v1/blocks", tag = "blocks", security(("bearer" = [])),
    responses((status = 200, body = Page<ActorRef>), (status = 401, body = ErrorBody)))]
pub async fn list_blocks(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Json<Page<ActorRef>>, AppError> {
    let mut list = ops::blocked_by(&state.db, me.member.actor.id).await?;
    redact(&state, &me.viewer(), list.iter_mut()).await?;
    Ok(Json(Page {
        items: list.iter().map(ActorRef::from).collect(),
        next: None,
    }))
}

/// Lifts a block.
#[utoipa::path(delete, path = "/api/v1/blocks/{handle}", tag = "blocks", security(("bearer" = [])),
    params(("handle" = String, Path, description = "handle")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unblock(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(handle): PathParam<String>,
) -> Result<StatusCode, AppError> {
    let other = resolve_known(&state, &handle).await?;
    ops::unblock(&state.db, &me.member.actor, &other).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An introduction's text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntroductionIn {
    /// Text (≤1,000 characters by default), not only white space.
    #[schema(min_length = 1)]
    pub text: String,
}

async fn introduction_out(
    state: &AppState,
    viewer: &enishi_core::Viewer,
    mut v: introductions::IntroductionView,
) -> Result<IntroductionOut, AppError> {
    redact(state, viewer, [&mut v.writer, &mut v.subject]).await?;
    let audience = introductions::section_audience(&state.db, v.introduction.subject).await?;
    Ok(IntroductionOut::new(v, audience))
}

/// Writes an introduction of a friend (one per writer and subject).
#[utoipa::path(post, path = "/api/v1/users/{handle}/introductions", tag = "introductions", security(("bearer" = [])),
    params(("handle" = String, Path, description = "the subject")), request_body = IntroductionIn,
    responses((status = 201, body = IntroductionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "rate limited (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn write_introduction(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(handle): PathParam<String>,
    JsonBody(input): JsonBody<IntroductionIn>,
) -> Result<(StatusCode, Json<IntroductionOut>), AppError> {
    super::posts::posting(&state, &me)?;
    let subject = resolve_known(&state, &handle).await?;
    let v = introductions::write(
        &state.db,
        &state.settings,
        &me.viewer(),
        &subject,
        &input.text,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(introduction_out(&state, &me.viewer(), v).await?),
    ))
}

/// The introductions of a member that the caller may see.
#[utoipa::path(get, path = "/api/v1/users/{handle}/introductions", tag = "introductions", security((), ("bearer" = [])),
    params(("handle" = String, Path, description = "the subject")),
    responses((status = 200, body = Page<IntroductionOut>), (status = 404, body = ErrorBody)))]
pub async fn introductions_of(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(handle): PathParam<String>,
) -> Result<Json<Page<IntroductionOut>>, AppError> {
    let subject = resolve_known(&state, &handle).await?;
    let viewer = caller.viewer();
    // A blocked viewer cannot see the profile at all.
    profiles::view(&state.db, &viewer, &subject).await?;
    let audience = introductions::section_audience(&state.db, subject.id).await?;
    let mut list = introductions::list_for_subject(&state.db, &viewer, subject.id).await?;
    redact(
        &state,
        &viewer,
        list.iter_mut()
            .flat_map(|v| [&mut v.writer, &mut v.subject]),
    )
    .await?;
    Ok(Json(Page {
        items: list
            .into_iter()
            .map(|v| IntroductionOut::new(v, audience))
            .collect(),
        next: None,
    }))
}

/// One introduction.
#[utoipa::path(get, path = "/api/v1/introductions/{id}", tag = "introductions", security((), ("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 200, body = IntroductionOut), (status = 404, body = ErrorBody)))]
pub async fn get_introduction(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Json<IntroductionOut>, AppError> {
    let v = introductions::get_visible(&state.db, &caller.viewer(), &id).await?;
    Ok(Json(introduction_out(&state, &caller.viewer(), v).await?))
}

/// The writer edits their introduction.
#[utoipa::path(patch, path = "/api/v1/introductions/{id}", tag = "introductions", security(("bearer" = [])),
    params(("id" = String, Path, description = "public id")), request_body = IntroductionIn,
    responses((status = 200, body = IntroductionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_introduction(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
    JsonBody(input): JsonBody<IntroductionIn>,
) -> Result<Json<IntroductionOut>, AppError> {
    let v = introductions::edit(&state.db, &state.settings, &me.viewer(), &id, &input.text).await?;
    Ok(Json(introduction_out(&state, &me.viewer(), v).await?))
}

/// The writer or the subject deletes an introduction.
#[utoipa::path(delete, path = "/api/v1/introductions/{id}", tag = "introductions", security(("bearer" = [])),
    params(("id" = String, Path, description = "public id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_introduction(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<StatusCode, AppError> {
    introductions::delete(&state.db, &me.viewer(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The subject hides an introduction from their profile.
#[utoipa::path(post, path = "/api/v1/introductions/{id}/hide", tag = "introductions", security(("bearer" = [])),
    params(("id" = String, Path, description = "public id")),
    responses((status = 200, body = IntroductionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn hide_introduction(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<Json<IntroductionOut>, AppError> {
    let v = introductions::set_hidden(&state.db, &me.viewer(), &id, true).await?;
    Ok(Json(introduction_out(&state, &me.viewer(), v).await?))
}

/// The subject shows a hidden introduction again.
#[utoipa::path(post, path = "/api/v1/introductions/{id}/show", tag = "introductions", security(("bearer" = [])),
    params(("id" = String, Path, description = "public id")),
    responses((status = 200, body = IntroductionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show_introduction(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<Json<IntroductionOut>, AppError> {
    let v = introductions::set_hidden(&state.db, &me.viewer(), &id, false).await?;
    Ok(Json(introduction_out(&state, &me.viewer(), v).await?))
}
