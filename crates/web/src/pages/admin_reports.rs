//! The moderators' report queue (issue 17): `/admin/reports` lists reports by state, and
//! `/admin/reports/{id}` shows one, what it names as its reporter could see it, and the forms
//! to resolve it (with actions) or dismiss it. Open to moderators and admins; the same calls as
//! `/api/v1/admin/reports`, each action in the audit log.

use super::visit::Visit;
use super::{page_with, see_other, widgets};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use enishi_core::report::{ReportAction, ReportState};
use enishi_db::report_actions::{self, Moderator};
use enishi_db::reports::{self, Report, Shown};
use maud::{Markup, html};
use serde::Deserialize;

/// Reports per page.
const PAGE: u64 = 50;

/// Routes of the report queue.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/reports", get(list))
        .route("/admin/reports/{id}", get(show))
        .route("/admin/reports/{id}/resolve", post(resolve))
        .route("/admin/reports/{id}/dismiss", post(dismiss))
}

/// The list's filter.
#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    before: Option<i64>,
}

fn state_key(s: ReportState) -> &'static str {
    match s {
        ReportState::Open => "admin-report-open",
        ReportState::Resolved => "admin-report-resolved",
        ReportState::Dismissed => "admin-report-dismissed",
    }
}

fn from(visit: &Visit, r: &Report) -> Markup {
    html! {
        @match (&r.reporter, &r.origin) {
            (Some(a), _) => (widgets::actor_link(a)),
            (None, Some(o)) => (visit.ta("admin-report-from-server", &[("server", o.clone().into())])),
            (None, None) => (visit.t("admin-report-reporter-gone")),
        }
    }
}

async fn list(
    State(state): State<AppState>,
    visit: Visit,
    Query(f): Query<Filter>,
) -> Result<Response, AppError> {
    visit.moderator()?;
    let which = f
        .state
        .as_deref()
        .and_then(ReportState::parse)
        .unwrap_or(ReportState::Open);
    let list = reports::list(&state.db, Some(which), f.before, PAGE).await?;
    let next = (list.len() as u64 == PAGE)
        .then(|| list.last().map(|r| r.id))
        .flatten();
    let body = html! {
        h1 { (visit.t("admin-reports-title")) }
        p.hint { (visit.t("admin-reports-about")) }
        nav aria-label=(visit.t("admin-reports-states")) {
            ul.tabs {
                @for s in [ReportState::Open, ReportState::Resolved, ReportState::Dismissed] {
                    li {
                        a href=(format!("/admin/reports?state={}", s.as_str()))
                            aria-current=[(s == which).then_some("page")] { (visit.t(state_key(s))) }
                    }
                }
            }
        }
        @if list.is_empty() {
            (widgets::empty(&visit.t("admin-reports-empty"), None))
        } @else {
            div.scroll tabindex="0" role="region" aria-label=(visit.t("admin-reports-title")) {
                table {
                    thead {
                        tr {
                            th scope="col" { (visit.t("admin-report-when")) }
                            th scope="col" { (visit.t("admin-report-target")) }
                            th scope="col" { (visit.t("admin-report-by")) }
                            th scope="col" { (visit.t("admin-report-reason")) }
                            th scope="col" { (visit.t("admin-report-comment")) }
                        }
                    }
                    tbody {
                        @for r in &list {
                            tr {
                                td { a href=(format!("/admin/reports/{}", r.public_id)) { (widgets::time(r.created_at)) } }
                                td { (widgets::actor_link(&r.target)) }
                                td { (from(&visit, r)) }
                                td { (visit.t(super::report_form::reason_key(r.reason))) }
                                td { (r.comment.chars().take(120).collect::<String>()) }
                            }
                        }
                    }
                }
            }
            (widgets::older(&visit, &format!("/admin/reports?state={}", which.as_str()), next))
        }
    };
    page_with(
        StatusCode::OK,
        &state,
        &visit,
        &visit.t("admin-reports-title"),
        body,
    )
    .await
}

fn object(visit: &Visit, o: &Shown) -> Markup {
    html! {
        li {
            @match o {
                Shown::Post(v) => {
                    p.meta {
                        (widgets::audience(visit, v.post.audience, false)) " "
                        a href=(v.post.ap_id.as_str()) { (v.post.ap_id.as_str()) }
                    }
                    @if let Some(t) = &v.post.title { p { strong { (t) } } }
                    (widgets::post_body(&v.post))
                }
                Shown::Comment(c) => {
                    p.meta {
                        (visit.t("admin-report-a-comment")) " "
                        a href=(c.comment.ap_id.as_str()) { (c.comment.ap_id.as_str()) }
                    }
                    p { (c.comment.body) }
                }
                Shown::Unavailable(ap_id) => {
                    p.meta { (visit.t("admin-report-unavailable")) " " code { (ap_id) } }
                }
            }
        }
    }
}

fn detail(visit: &Visit, me_admin: bool, r: &Report, error: Option<&str>) -> Markup {
    let base = format!("/admin/reports/{}", r.public_id);
    html! {
        h1 { (visit.t("admin-report-title")) }
        p { a href="/admin/reports" { "← " (visit.t("admin-reports-title")) } }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        dl {
            dt { (visit.t("admin-report-target")) } dd { (widgets::actor_link(&r.target)) }
            dt { (visit.t("admin-report-by")) } dd { (from(visit, r)) }
            dt { (visit.t("admin-report-when")) } dd { (widgets::time(r.created_at)) }
            dt { (visit.t("admin-report-reason")) } dd { (visit.t(super::report_form::reason_key(r.reason))) }
            dt { (visit.t("admin-report-comment")) } dd { (r.comment) }
            dt { (visit.t("admin-report-state")) } dd {
                (visit.t(state_key(r.state)))
                @if let Some(by) = &r.handled_by { " — " (by) }
                @if let Some(n) = &r.handled_note { " — " (n) }
            }
            @if r.forwarded_at.is_some() {
                dt { (visit.t("admin-report-forwarded")) } dd { (r.target.domain) }
            }
        }
        section aria-labelledby="report-objects" {
            h2 #report-objects { (visit.t("admin-report-objects")) }
            p.hint { (visit.t("admin-report-objects-hint")) }
            @if r.objects.is_empty() {
                p { (visit.t("admin-report-no-objects")) }
            } @else {
                ul.list { @for o in &r.objects { (object(visit, o)) } }
            }
        }
        @if r.state == ReportState::Open {
            section aria-labelledby="report-resolve" {
                h2 #report-resolve { (visit.t("admin-report-resolve")) }
                form.stack method="post" action=(format!("{base}/resolve")) {
                    (widgets::csrf(visit))
                    fieldset {
                        legend { (visit.t("admin-report-actions")) }
                        @if !r.objects.is_empty() {
                            div {
                                input #act-delete type="checkbox" name="delete_content" value="on";
                                label for="act-delete" { (visit.t("admin-report-delete-content")) }
                            }
                        }
                        div {
                            input #act-suspend type="checkbox" name="suspend_account" value="on";
                            label for="act-suspend" { (visit.t("admin-report-suspend")) }
                        }
                        @if !r.target.is_local {
                            div {
                                input #act-limit type="checkbox" name="limit_account" value="on";
                                label for="act-limit" { (visit.t("admin-report-limit")) }
                            }
                        }
                        @if !r.target.is_local && me_admin {
                            div {
                                input #act-block type="checkbox" name="block_server" value="on";
                                label for="act-block" { (visit.ta("admin-report-block-server", &[("server", r.target.domain.clone().into())])) }
                            }
                        }
                    }
                    div {
                        label for="resolve-note" { (visit.t("admin-report-note")) }
                        input #resolve-note type="text" name="note" maxlength="1000";
                    }
                    div { button.danger type="submit" { (visit.t("admin-report-resolve")) } }
                }
            }
            section aria-labelledby="report-dismiss" {
                h2 #report-dismiss { (visit.t("admin-report-dismiss")) }
                form.stack method="post" action=(format!("{base}/dismiss")) {
                    (widgets::csrf(visit))
                    div {
                        label for="dismiss-note" { (visit.t("admin-report-note")) }
                        input #dismiss-note type="text" name="note" maxlength="1000";
                    }
                    div { button type="submit" { (visit.t("admin-report-dismiss")) } }
                }
            }
        }
    }
}

async fn show(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let me = visit.moderator()?;
    let r = reports::get(&state.db, &id).await?;
    let title = visit.t("admin-report-title");
    let body = detail(&visit, me.is_admin, &r, None);
    page_with(StatusCode::OK, &state, &visit, &title, body).await
}

/// The resolve and dismiss forms' fields.
#[derive(Deserialize, Default)]
pub struct CloseForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    delete_content: Option<String>,
    #[serde(default)]
    suspend_account: Option<String>,
    #[serde(default)]
    limit_account: Option<String>,
    #[serde(default)]
    block_server: Option<String>,
}

async fn close(
    state: &AppState,
    visit: &Visit,
    id: &str,
    outcome: ReportState,
    f: CloseForm,
) -> Result<Response, AppError> {
    let me = visit.moderator()?;
    let report = reports::get(&state.db, id).await?;
    let mut actions = Vec::new();
    if outcome == ReportState::Resolved {
        for (on, a) in [
            (&f.delete_content, ReportAction::DeleteContent),
            (&f.suspend_account, ReportAction::SuspendAccount),
            (&f.limit_account, ReportAction::LimitAccount),
            (&f.block_server, ReportAction::BlockServer),
        ] {
            if on.is_some() {
                actions.push(a);
            }
        }
    }
    let by = Moderator {
        name: &me.actor.username,
        is_admin: me.is_admin,
    };
    if let Err(e) = report_actions::check(&report, &actions, by) {
        let status = match &e {
            enishi_db::OpError::Forbidden(_) => StatusCode::FORBIDDEN,
            enishi_db::OpError::Conflict(..) => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let body = detail(visit, me.is_admin, &report, Some(&e.to_string()));
        let title = visit.t("admin-report-title");
        return page_with(status, state, visit, &title, body).await;
    }
    for a in actions {
        report_actions::act(&state.db, &report, a, by).await?;
    }
    reports::close(&state.db, id, by.name, outcome, Some(&f.note)).await?;
    state.outbox_wake.notify_waiters();
    Ok(see_other(&format!("/admin/reports/{id}")))
}

async fn resolve(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    Form(f): Form<CloseForm>,
) -> Result<Response, AppError> {
    close(&state, &visit, &id, ReportState::Resolved, f).await
}

async fn dismiss(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    Form(f): Form<CloseForm>,
) -> Result<Response, AppError> {
    close(&state, &visit, &id, ReportState::Dismissed, f).await
}
