//! The report form (issue 17): `/report?target=HANDLE&object=ID`, reached from a profile, a
//! post or a comment. It makes the same report as `POST /api/v1/reports`.

use super::visit::Visit;
use super::{page, page_with, see_other, widgets};
use crate::api::resolve_known;
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use enishi_core::Actor;
use enishi_core::report::{MAX_COMMENT_CHARS, ReportReason};
use enishi_db::OpError;
use enishi_db::reports::{self, NewReport};
use maud::{Markup, html};
use serde::Deserialize;

/// Routes of the report form.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/report", get(form).post(send))
        .route("/report/sent", get(sent))
}

/// What is reported, from the link (and again in the form).
#[derive(Deserialize, Default)]
pub struct ReportForm {
    #[serde(default)]
    target: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    forward: Option<String>,
}

/// The message key of a reason's label.
pub fn reason_key(r: ReportReason) -> &'static str {
    match r {
        ReportReason::Spam => "report-reason-spam",
        ReportReason::Violation => "report-reason-violation",
        ReportReason::Legal => "report-reason-legal",
        ReportReason::Other => "report-reason-other",
    }
}

fn body(visit: &Visit, target: &Actor, f: &ReportForm, error: Option<&str>) -> Markup {
    let chosen = ReportReason::parse_lenient(&f.reason);
    let chosen = if f.reason.is_empty() {
        ReportReason::Spam
    } else {
        chosen
    };
    html! {
        h1 { (visit.t("report-title")) }
        p { (visit.t("report-about")) }
        p { (visit.t("report-account")) " " (widgets::actor_link(target)) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.stack method="post" action="/report" {
            (widgets::csrf(visit))
            input type="hidden" name="target" value=(f.target);
            @if !f.object.is_empty() {
                input type="hidden" name="object" value=(f.object);
                p.hint { (visit.t("report-with-object")) }
            }
            fieldset {
                legend { (visit.t("report-reason")) }
                @for r in ReportReason::ALL {
                    div {
                        input id=(format!("reason-{}", r.as_str())) type="radio" name="reason" value=(r.as_str()) checked[r == chosen];
                        label for=(format!("reason-{}", r.as_str())) { (visit.t(reason_key(r))) }
                    }
                }
            }
            div {
                label for="report-comment" { (visit.t("report-comment")) }
                textarea #report-comment name="comment" rows="4" maxlength=(MAX_COMMENT_CHARS) { (f.comment) }
            }
            @if !target.is_local {
                div {
                    input #report-forward type="checkbox" name="forward" value="on" checked[f.forward.is_some()];
                    label for="report-forward" { (visit.ta("report-forward", &[("server", target.domain.clone().into())])) }
                    p.hint { (visit.t("report-forward-hint")) }
                }
            }
            div { button.danger type="submit" { (visit.t("report-submit")) } }
        }
    }
}

async fn form(
    State(state): State<AppState>,
    visit: Visit,
    Query(f): Query<ReportForm>,
) -> Result<Response, AppError> {
    visit.member()?;
    let target = resolve_known(&state, &f.target).await?;
    page(
        &state,
        &visit,
        &visit.t("report-title"),
        body(&visit, &target, &f, None),
    )
    .await
}

async fn send(
    State(state): State<AppState>,
    visit: Visit,
    Form(f): Form<ReportForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    crate::rate_limits::admit(&state.access.actions.reports, &me.actor.id, "reports")?;
    let target = resolve_known(&state, &f.target).await?;
    let objects: Vec<String> = Some(f.object.trim())
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .into_iter()
        .collect();
    let made = reports::create(
        &state.db,
        &state.settings,
        NewReport {
            reporter: &me.actor,
            target: &target,
            object_ids: &objects,
            reason: ReportReason::parse_lenient(&f.reason),
            comment: &f.comment,
            forward: f.forward.is_some(),
        },
    )
    .await;
    match made {
        Ok(_) => {
            state.outbox_wake.notify_waiters();
            Ok(see_other("/report/sent"))
        }
        Err(OpError::Invalid(e)) => {
            let title = visit.t("report-title");
            let b = body(&visit, &target, &f, Some(&e.to_string()));
            page_with(StatusCode::UNPROCESSABLE_ENTITY, &state, &visit, &title, b).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn sent(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    visit.member()?;
    let b = html! {
        h1 { (visit.t("report-title")) }
        p.flash role="status" { (visit.t("report-sent")) }
        p { a href="/" { (visit.t("nav-home")) } }
    };
    page(&state, &visit, &visit.t("report-title"), b).await
}
