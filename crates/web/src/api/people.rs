//! Profiles, the caller's own account and settings, footprints and notifications.

use super::auth::{Caller, CurrentMember};
use super::dto::{ActorRef, FootprintOut, MeOut, NotificationOut, Page, ProfileOut, SettingsOut};
use super::{JsonBody, PageParams, PathParam, QueryParams, page, redact, resolve_known};
use crate::error::ErrorBody;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use enishi_core::Audience;
use enishi_db::profiles::{ProfileEdit, SettingsEdit};
use enishi_db::{footprints, notifications, profiles, social};
use serde::Deserialize;
use utoipa::ToSchema;

/// The caller's account, settings and full profile.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, me: CurrentMember) -> Result<Json<MeOut>, AppError> {
    let m = &me.member;
    let view = profiles::view(&state.db, &me.viewer(), &m.actor).await?;
    Ok(Json(MeOut {
        handle: m.actor.api_handle(),
        ap_id: m.actor.ap_id.to_string(),
        is_admin: m.is_admin,
        settings: m.settings.into(),
        profile: ProfileOut::new(view, None, &state.settings.url("/")),
    }))
}

/// Confirms deleting one's account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountIn {
    /// The account's password.
    pub password: String,
}

/// Deletes the caller's account: a `Delete` of their actor goes to every server this instance
/// knows (through the outbox), their posts, comments, likes, introductions, friendships and
/// photos are removed here, and the username stays reserved. It cannot be undone.
#[utoipa::path(delete, path = "/api/v1/me", tag = "me", security(("bearer" = [])), request_body = DeleteAccountIn,
    responses((status = 204, description = "the account is deleted; the token no longer works"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "the password is wrong"), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "rate limited (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn delete_me(
    State(state): State<AppState>,
    me: CurrentMember,
    JsonBody(input): JsonBody<DeleteAccountIn>,
) -> Result<StatusCode, AppError> {
    // Each attempt spends a password try: a stolen token cannot guess the password here.
    crate::rate_limits::admit(
        &state.access.actions.password,
        &me.member.actor.id,
        "password attempts",
    )?;
    enishi_db::leaving::delete_account(&state.db, &me.member, &input.password).await?;
    state.outbox_wake.notify_waiters();
    Ok(StatusCode::NO_CONTENT)
}

/// Settings to change; omitted ones stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsIn {
    /// Audience of new content when none is given.
    pub default_audience: Option<Audience>,
    /// Leave and record footprints.
    pub footprints_enabled: Option<bool>,
    /// Who sees the nickname.
    pub nickname_audience: Option<Audience>,
    /// Who sees the bio.
    pub bio_audience: Option<Audience>,
    /// Who sees the avatar.
    pub avatar_audience: Option<Audience>,
    /// Who sees the friends list.
    pub friends_audience: Option<Audience>,
    /// Who sees the introductions section.
    pub introductions_audience: Option<Audience>,
}

/// Changes the caller's settings.
#[utoipa::path(patch, path = "/api/v1/me/settings", tag = "me", security(("bearer" = [])), request_body = SettingsIn,
    responses((status = 200, body = SettingsOut), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_settings(
    State(state): State<AppState>,
    me: CurrentMember,
    JsonBody(input): JsonBody<SettingsIn>,
) -> Result<Json<SettingsOut>, AppError> {
    let edit = SettingsEdit {
        default_audience: input.default_audience,
        footprints_enabled: input.footprints_enabled,
        nickname_audience: input.nickname_audience,
        bio_audience: input.bio_audience,
        avatar_audience: input.avatar_audience,
        friends_audience: input.friends_audience,
        introductions_audience: input.introductions_audience,
    };
    Ok(Json(
        profiles::update_settings(&state.db, me.member.account_id, edit)
            .await?
            .into(),
    ))
}

/// Profile parts to change; omitted ones stay, empty strings clear.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileIn {
    /// Nickname; empty or white space clears it.
    #[schema(max_length = 50)]
    pub nickname: Option<String>,
    /// Bio as plain text; empty clears it.
    #[schema(max_length = 2000)]
    pub bio: Option<String>,
    /// Avatar image URL: http or https, a host name (letters, digits and single hyphens; its
    /// last label starts with a letter), an optional port, no white space. Empty clears it.
    pub avatar_url: Option<String>,
    /// The uploaded avatar: the id of one of the caller's photos from `POST /api/v1/media`,
    /// not attached to anything yet. Empty or null removes the avatar (its URLs die at once).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub avatar_id: Option<Option<String>>,
    /// The header image, likewise.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub header_id: Option<Option<String>>,
    /// Extra fields, replacing the current ones.
    #[schema(max_items = 10)]
    pub fields: Option<Vec<FieldIn>>,
}

/// A field that was sent, null included (absent ones stay `None` through `serde(default)`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A profile field to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(
    deny_unknown_fields,
    try_from = "serde_json::Map<String, serde_json::Value>"
)]
pub struct FieldIn {
    /// Label, not only white space.
    #[schema(min_length = 1, max_length = 50)]
    pub name: String,
    /// Value.
    #[schema(max_length = 500)]
    pub value: String,
    /// Who may see it.
    pub audience: Audience,
}

/// [`FieldIn`] as read from JSON: only from an object (serde alone would also take an array of
/// the three values, which the document does not allow).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldObject {
    name: String,
    value: String,
    audience: Audience,
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for FieldIn {
    type Error = serde_json::Error;

    fn try_from(map: serde_json::Map<String, serde_json::Value>) -> Result<Self, Self::Error> {
        let f: FieldObject = serde_json::from_value(serde_json::Value::Object(map))?;
        Ok(FieldIn {
            name: f.name,
            value: f.value,
            audience: f.audience,
        })
    }
}

impl From<FieldIn> for enishi_core::ProfileField {
    fn from(f: FieldIn) -> Self {
        enishi_core::ProfileField {
            name: f.name,
            value: f.value,
            audience: f.audience,
        }
    }
}

/// Changes the caller's profile.
#[utoipa::path(patch, path = "/api/v1/me/profile", tag = "me", security(("bearer" = [])), request_body = ProfileIn,
    responses((status = 200, body = ProfileOut), (status = 401, body = ErrorBody),
        (status = 409, description = "that photo is attached to a post already (`media_attached`), or `avatar_id` or `header_id` names no photo of the caller's (`media_unknown`)", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_profile(
    State(state): State<AppState>,
    me: CurrentMember,
    JsonBody(input): JsonBody<ProfileIn>,
) -> Result<Json<ProfileOut>, AppError> {
    let edit = ProfileEdit {
        nickname: input.nickname,
        bio: input.bio,
        avatar_url: input.avatar_url,
        avatar_id: input.avatar_id,
        header_id: input.header_id,
        fields: input
            .fields
            .map(|f| f.into_iter().map(Into::into).collect()),
    };
    profiles::update(&state.db, me.member.actor.id, edit).await?;
    let actor = enishi_db::actors::find_by_id(&state.db.conn, me.member.actor.id)
        .await?
        .ok_or_else(|| AppError::not_found("no such member"))?;
    Ok(Json(ProfileOut::new(
        profiles::view(&state.db, &me.viewer(), &actor).await?,
        None,
        &state.settings.url("/"),
    )))
}

/// A profile as the caller may see it. Viewing a member's profile leaves a footprint.
#[utoipa::path(get, path = "/api/v1/users/{handle}", tag = "people", security((), ("bearer" = [])),
    params(("handle" = String, Path, description = "`name` for members, `name@domain` for remote accounts")),
    responses((status = 200, body = ProfileOut), (status = 404, body = ErrorBody)))]
pub async fn profile(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(handle): PathParam<String>,
) -> Result<Json<ProfileOut>, AppError> {
    let owner = resolve_known(&state, &handle).await?;
    let viewer = caller.viewer();
    let view = profiles::view(&state.db, &viewer, &owner).await?;
    let rel = match viewer.actor {
        Some(me) if me != owner.id => Some(social::relationship(&state.db, me, owner.id).await?),
        _ => None,
    };
    if let Some(me) = viewer.actor
        && owner.is_local
    {
        footprints::record(&state.db, me, owner.id, footprints::Target::Profile).await?;
    }
    Ok(Json(ProfileOut::new(view, rel, &state.settings.url("/"))))
}

/// How the caller stands with someone.
#[utoipa::path(get, path = "/api/v1/users/{handle}/relationship", tag = "people", security(("bearer" = [])),
    params(("handle" = String, Path, description = "handle")),
    responses((status = 200, body = super::dto::RelationshipOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn relationship(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(handle): PathParam<String>,
) -> Result<Json<super::dto::RelationshipOut>, AppError> {
    let other = resolve_known(&state, &handle).await?;
    let viewer = me.viewer();
    if enishi_db::relations::relation(&state.db.conn, &viewer, other.id)
        .await?
        .blocked
        && !enishi_db::relations::blocks(&state.db.conn, me.member.actor.id, other.id).await?
    {
        return Err(AppError::not_found(enishi_core::unknown_account(&handle)));
    }
    Ok(Json(
        social::relationship(&state.db, me.member.actor.id, other.id)
            .await?
            .into(),
    ))
}

/// A member's friends, if the caller may see the list.
#[utoipa::path(get, path = "/api/v1/users/{handle}/friends", tag = "people", security((), ("bearer" = [])), params(("handle" = String, Path, description = "handle"), PageParams),
    responses((status = 200, body = Page<ActorRef>), (status = 404, body = ErrorBody)))]
pub async fn friends(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(handle): PathParam<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<Page<ActorRef>>, AppError> {
    let (cursor, limit) = params.parse()?;
    let owner = resolve_known(&state, &handle).await?;
    let viewer = caller.viewer();
    let view = profiles::view(&state.db, &viewer, &owner).await?;
    if !view.friends_visible {
        return Ok(Json(Page {
            items: Vec::new(),
            next: None,
        }));
    }
    let mut list = social::friends(&state.db, &viewer, owner.id, cursor, limit).await?;
    redact(&state, &viewer, list.iter_mut()).await?;
    Ok(Json(page(list, limit, |a| a.id.0, |a| ActorRef::from(&a))))
}

/// The caller's footprints: who visited their profile and diaries in the last 7 days.
#[utoipa::path(get, path = "/api/v1/footprints", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Page<FootprintOut>), (status = 401, body = ErrorBody)))]
pub async fn footprints(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Json<Page<FootprintOut>>, AppError> {
    let mut list = footprints::list(&state.db, me.member.actor.id).await?;
    redact(
        &state,
        &me.viewer(),
        list.iter_mut().map(|f| &mut f.visitor),
    )
    .await?;
    Ok(Json(Page {
        items: list.into_iter().map(Into::into).collect(),
        next: None,
    }))
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "me", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<NotificationOut>), (status = 401, body = ErrorBody)))]
pub async fn notifications(
    State(state): State<AppState>,
    me: CurrentMember,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<Page<NotificationOut>>, AppError> {
    let (cursor, limit) = params.parse()?;
    let mut list = notifications::list(&state.db, &me.viewer(), cursor, limit).await?;
    redact(&state, &me.viewer(), list.iter_mut().map(|n| &mut n.actor)).await?;
    Ok(Json(page(list, limit, |n| n.id, NotificationOut::from)))
}

/// Marks all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "me", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn read_notifications(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<StatusCode, AppError> {
    notifications::mark_all_read(&state.db, me.member.actor.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
