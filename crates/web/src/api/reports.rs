//! Reports (issue 17): `POST /api/v1/reports` for members; the moderators' queue under
//! `/api/v1/admin/reports`, with resolve (taking actions) and dismiss.

use super::auth::CurrentMember;
use super::dto::{ActorRef, Page};
use super::{JsonBody, PageParams, PathParam, QueryParams, page, redact, resolve_known};
use crate::error::ErrorBody;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use enishi_core::report::{ReportAction, ReportReason, ReportState};
use enishi_core::{Member, Viewer};
use enishi_db::report_actions::{self, Moderator};
use enishi_db::reports::{self, NewReport, Report, Shown};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    /// The account: a handle (`name`, `name@server`) or its ActivityPub id.
    pub target: String,
    /// Posts and comments of the account's (public ids or ActivityPub ids), at most 20.
    #[serde(default)]
    pub object_ids: Vec<String>,
    /// Why (default `other`).
    #[serde(default)]
    pub reason: Option<ReportReason>,
    /// In the reporter's words (at most 1000 characters).
    #[serde(default)]
    pub comment: String,
    /// Send the report, without the reporter's name, to the account's server (as a `Flag`).
    #[serde(default)]
    pub forward: bool,
}

/// A report as its reporter sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    /// Public id.
    pub id: String,
    /// The account reported.
    pub target: ActorRef,
    /// Why.
    pub reason: ReportReason,
    /// The reporter's words.
    pub comment: String,
    /// Whether it was sent to the account's server.
    pub forwarded: bool,
    /// Where it stands.
    pub state: ReportState,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl From<&Report> for ReportOut {
    fn from(r: &Report) -> Self {
        ReportOut {
            id: r.public_id.clone(),
            target: ActorRef::from(&r.target),
            reason: r.reason,
            comment: r.comment.clone(),
            forwarded: r.forwarded_at.is_some(),
            state: r.state,
            created_at: r.created_at,
        }
    }
}

/// A post or comment a report names, as its reporter could see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedObjectOut {
    /// ActivityPub id.
    pub ap_id: String,
    /// `diary`, `voice`, `comment`, or `unavailable` (gone, or no longer visible to the
    /// reporter: then nothing else is shown).
    pub kind: String,
    /// A diary's title.
    pub title: Option<String>,
    /// The text.
    pub text: Option<String>,
    /// Its audience.
    pub audience: Option<enishi_core::Audience>,
}

impl From<&Shown> for ReportedObjectOut {
    fn from(s: &Shown) -> Self {
        match s {
            Shown::Post(v) => ReportedObjectOut {
                ap_id: v.post.ap_id.to_string(),
                kind: v.post.kind.as_str().to_owned(),
                title: v.post.title.clone(),
                text: Some(v.post.body.clone()),
                audience: Some(v.post.audience),
            },
            Shown::Comment(c) => ReportedObjectOut {
                ap_id: c.comment.ap_id.to_string(),
                kind: "comment".into(),
                title: None,
                text: Some(c.comment.body.clone()),
                audience: Some(c.post_audience),
            },
            Shown::Unavailable(ap_id) => ReportedObjectOut {
                ap_id: ap_id.clone(),
                kind: "unavailable".into(),
                title: None,
                text: None,
                audience: None,
            },
        }
    }
}

/// A report as moderators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminReportOut {
    /// What the reporter sees too.
    #[serde(flatten)]
    pub report: ReportOut,
    /// The member who reported (null for a report from another server).
    pub reporter: Option<ActorRef>,
    /// The server a report came from (null for a member's).
    pub origin: Option<String>,
    /// What it names, as the reporter could see it.
    pub objects: Vec<ReportedObjectOut>,
    /// Who resolved or dismissed it.
    pub handled_by: Option<String>,
    /// What they noted.
    pub handled_note: Option<String>,
    /// When.
    pub handled_at: Option<DateTime<Utc>>,
}

impl From<&Report> for AdminReportOut {
    fn from(r: &Report) -> Self {
        AdminReportOut {
            report: ReportOut::from(r),
            reporter: r.reporter.as_ref().map(ActorRef::from),
            origin: r.origin.clone(),
            objects: r.objects.iter().map(ReportedObjectOut::from).collect(),
            handled_by: r.handled_by.clone(),
            handled_note: r.handled_note.clone(),
            handled_at: r.handled_at,
        }
    }
}

/// Reports a member here or an account elsewhere, with posts and comments of theirs that the
/// reporter can see.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", security(("bearer" = [])), request_body = ReportIn,
    responses((status = 201, body = ReportOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such account, or an object that is not the account's or that the reporter cannot see"),
        (status = 409, body = ErrorBody, description = "the target is the reporter (`self_target`)"),
        (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "rate limited (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn create_report(
    State(state): State<AppState>,
    me: CurrentMember,
    JsonBody(input): JsonBody<ReportIn>,
) -> Result<(StatusCode, Json<ReportOut>), AppError> {
    crate::rate_limits::admit(
        &state.access.actions.reports,
        &me.member.actor.id,
        "reports",
    )?;
    let target = resolve_known(&state, &input.target).await?;
    let report = reports::create(
        &state.db,
        &state.settings,
        NewReport {
            reporter: &me.member.actor,
            target: &target,
            object_ids: &input.object_ids,
            reason: input.reason.unwrap_or(ReportReason::Other),
            comment: &input.comment,
            forward: input.forward,
        },
    )
    .await?;
    state.outbox_wake.notify_waiters();
    let mut report = report;
    redact(&state, &me.viewer(), [&mut report.target]).await?;
    Ok((StatusCode::CREATED, Json(ReportOut::from(&report))))
}

/// The caller, when they moderate (403 otherwise).
pub fn moderator(me: &CurrentMember) -> Result<&Member, AppError> {
    if me.member.moderates() {
        Ok(&me.member)
    } else {
        Err(AppError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only moderators and admins may do this",
        ))
    }
}

/// Which reports to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateFilter {
    /// Waiting for a moderator (the default).
    Open,
    /// Acted on.
    Resolved,
    /// Nothing to act on.
    Dismissed,
    /// Every report.
    All,
}

/// `?state=…&cursor=…&limit=…` of the queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportFilter {
    /// `open` (default), `resolved`, `dismissed` or `all`.
    #[param(inline)]
    pub state: Option<StateFilter>,
    /// The `next` value of the previous page (1 to 18 digits).
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size (1–100, default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// The moderators' queue, newest first.
#[utoipa::path(get, path = "/api/v1/admin/reports", tag = "reports", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, body = Page<AdminReportOut>), (status = 401, body = ErrorBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_reports(
    State(state): State<AppState>,
    me: CurrentMember,
    QueryParams(filter): QueryParams<ReportFilter>,
) -> Result<Json<Page<AdminReportOut>>, AppError> {
    moderator(&me)?;
    let which = match filter.state.unwrap_or(StateFilter::Open) {
        StateFilter::All => None,
        StateFilter::Open => Some(ReportState::Open),
        StateFilter::Resolved => Some(ReportState::Resolved),
        StateFilter::Dismissed => Some(ReportState::Dismissed),
    };
    let params = PageParams {
        cursor: filter.cursor,
        limit: filter.limit,
    };
    let (cursor, limit) = params.parse()?;
    let list = reports::list(&state.db, which, cursor, limit).await?;
    Ok(Json(page(
        list,
        limit,
        |r| r.id,
        |r| AdminReportOut::from(&r),
    )))
}

/// One report.
#[utoipa::path(get, path = "/api/v1/admin/reports/{id}", tag = "reports", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 200, body = AdminReportOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_report(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<Json<AdminReportOut>, AppError> {
    moderator(&me)?;
    let mut r = reports::get(&state.db, &id).await?;
    redact(
        &state,
        &me.viewer(),
        std::iter::once(&mut r.target).chain(r.reporter.as_mut()),
    )
    .await?;
    Ok(Json(AdminReportOut::from(&r)))
}

/// How a moderator closes a report.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseIn {
    /// What was decided, for the audit log.
    #[serde(default)]
    pub note: Option<String>,
    /// What to do (resolve only): `delete_content`, `suspend_account`, `limit_account` (an
    /// account of another server), `block_server` (admins).
    #[serde(default)]
    pub actions: Vec<ReportAction>,
}

/// Resolves a report, taking its actions first (each recorded in the audit log).
#[utoipa::path(post, path = "/api/v1/admin/reports/{id}/resolve", tag = "reports", security(("bearer" = [])), params(("id" = String, Path, description = "public id")), request_body = CloseIn,
    responses((status = 200, body = AdminReportOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "not a moderator, or `block_server` by a moderator who is not an admin"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "an action that does not apply: limiting a member or blocking this instance (`not_remote`)"), (status = 422, body = ErrorBody)))]
pub async fn resolve_report(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
    JsonBody(input): JsonBody<CloseIn>,
) -> Result<Json<AdminReportOut>, AppError> {
    let m = moderator(&me)?;
    close(&state, m, &id, ReportState::Resolved, input).await
}

/// Dismisses a report: nothing to act on.
#[utoipa::path(post, path = "/api/v1/admin/reports/{id}/dismiss", tag = "reports", security(("bearer" = [])), params(("id" = String, Path, description = "public id")), request_body = CloseIn,
    responses((status = 200, body = AdminReportOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dismiss_report(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
    JsonBody(input): JsonBody<CloseIn>,
) -> Result<Json<AdminReportOut>, AppError> {
    let m = moderator(&me)?;
    if !input.actions.is_empty() {
        let mut e = AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "actions: a dismissed report takes no actions; resolve it instead",
        );
        e.field = Some("actions".into());
        return Err(e);
    }
    close(&state, m, &id, ReportState::Dismissed, input).await
}

/// Takes the actions (all checked before any is taken), then closes the report.
pub async fn close(
    state: &AppState,
    m: &Member,
    id: &str,
    outcome: ReportState,
    input: CloseIn,
) -> Result<Json<AdminReportOut>, AppError> {
    let report = reports::get(&state.db, id).await?;
    let by = Moderator {
        name: &m.actor.username,
        is_admin: m.is_admin,
    };
    report_actions::check(&report, &input.actions, by)?;
    for action in &input.actions {
        report_actions::act(&state.db, &report, *action, by).await?;
    }
    let mut r = reports::close(&state.db, id, by.name, outcome, input.note.as_deref()).await?;
    state.outbox_wake.notify_waiters();
    redact(
        state,
        &Viewer::member(m.actor.id),
        std::iter::once(&mut r.target).chain(r.reporter.as_mut()),
    )
    .await?;
    Ok(Json(AdminReportOut::from(&r)))
}
