//! The admin overview (`/admin`): links to the other admin pages, the registration mode in
//! force with a form to change it at run time, and federation health per remote host with a
//! button to requeue a host's dead letters. Only for administrators: visitors are sent to log
//! in, other members get 403.

use super::visit::Visit;
use super::{
    admin_domains, admin_invites, admin_members, admin_reports, page_with, see_other, widgets,
};
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use enishi_core::RegistrationMode;
use enishi_db::delivery_health::{self, HostHealth, HostState};
use enishi_db::{instance, outbox};
use maud::{Markup, html};
use serde::Deserialize;

/// Routes of every admin page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(overview))
        .route("/admin/registration", post(set_registration))
        .route("/admin/federation/retry", post(retry_host))
        .merge(admin_invites::routes())
        .merge(admin_members::routes())
        .merge(admin_domains::routes())
        .merge(admin_reports::routes())
}

/// What the overview reports after a form (from the redirect's query).
#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    requeued: Option<u64>,
}

fn mode_key(mode: RegistrationMode) -> &'static str {
    match mode {
        RegistrationMode::Open => "admin-registration-open",
        RegistrationMode::Invite => "admin-registration-invite",
        RegistrationMode::Closed => "admin-registration-closed",
    }
}

fn registration_section(visit: &Visit, mode: RegistrationMode, error: Option<&str>) -> Markup {
    html! {
        section aria-labelledby="admin-registration" {
            h2 #admin-registration { (visit.t("admin-registration")) }
            p { (visit.ta("admin-registration-now", &[("what", visit.t(mode_key(mode)).into())])) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form.stack method="post" action="/admin/registration" {
                (widgets::csrf(visit))
                div {
                    label for="registration-mode" { (visit.t("admin-registration-field")) }
                    select #registration-mode name="mode" {
                        @for m in [RegistrationMode::Open, RegistrationMode::Invite, RegistrationMode::Closed] {
                            option value=(m.as_str()) selected[m == mode] { (visit.t(mode_key(m))) }
                        }
                    }
                }
                div { button type="submit" { (visit.t("admin-registration-save")) } }
            }
        }
    }
}

fn host_state(visit: &Visit, h: &HostHealth) -> Markup {
    let label = match h.state {
        HostState::Resting => visit.t("admin-host-resting"),
        HostState::Retrying => visit.t("admin-host-retrying-state"),
        HostState::Ok if h.dead > 0 => visit.t("admin-host-dead-state"),
        HostState::Ok => visit.t("admin-host-ok"),
    };
    html! {
        strong { (label) }
        @if h.failures > 0 {
            br; span.meta { (visit.ta("admin-host-failures", &[("count", u64::try_from(h.failures).unwrap_or(0).into())])) }
        }
        @if let Some(at) = h.next_probe_at {
            br; span.meta { (visit.ta("admin-host-next-probe", &[("date", at.format("%Y-%m-%d %H:%M").to_string().into())])) }
        }
        @if let Some(e) = &h.last_error {
            br; span.meta { (e) }
        }
    }
}

fn federation_section(visit: &Visit, q: &outbox::QueueStatus, hosts: &[HostHealth]) -> Markup {
    html! {
        section aria-labelledby="admin-federation" {
            h2 #admin-federation { (visit.t("admin-federation")) }
            p.hint { (visit.t("admin-federation-about")) }
            ul.list {
                li { (visit.ta("admin-queue-depth", &[("count", q.depth.into())])) }
                li { (visit.ta("admin-queue-due", &[("count", q.due_now.into())])) }
                li { (visit.ta("admin-queue-retrying", &[("count", q.retrying.into())])) }
                li { (visit.ta("admin-queue-dead", &[("count", q.dead.into())])) }
                li { (visit.ta("admin-queue-oldest", &[("seconds", q.oldest_due_secs.into())])) }
            }
            @if hosts.is_empty() {
                (widgets::empty(&visit.t("admin-federation-empty"), None))
            } @else {
                div.scroll {
                    table {
                        thead {
                            tr {
                                th scope="col" { (visit.t("admin-host")) }
                                th scope="col" { (visit.t("admin-host-state")) }
                                th scope="col" { (visit.t("admin-host-pending")) }
                                th scope="col" { (visit.t("admin-host-retrying")) }
                                th scope="col" { (visit.t("admin-host-dead")) }
                                th scope="col" { (visit.t("admin-host-oldest")) }
                                th scope="col" { (visit.t("admin-host-action")) }
                            }
                        }
                        tbody {
                            @for (i, h) in hosts.iter().enumerate() {
                                tr {
                                    th scope="row" id=(format!("host-{i}")) { (h.host) }
                                    td { (host_state(visit, h)) }
                                    td { (h.pending) }
                                    td { (h.retrying) }
                                    td { (h.dead) }
                                    td { (visit.ta("admin-seconds", &[("seconds", h.oldest_due_secs.into())])) }
                                    td {
                                        @if h.dead > 0 {
                                            form.inline method="post" action="/admin/federation/retry" {
                                                (widgets::csrf(visit))
                                                input type="hidden" name="host" value=(h.host);
                                                button.plain type="submit" aria-describedby=(format!("host-{i}")) { (visit.t("admin-retry")) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn render(
    state: &AppState,
    visit: &Visit,
    status: StatusCode,
    done: &Done,
    error: Option<&str>,
) -> Result<Response, AppError> {
    let mode = instance::registration_mode(&state.db, state.settings.registration).await?;
    let queue = outbox::status(&state.db).await?;
    let hosts = delivery_health::hosts(&state.db).await?;
    let body = html! {
        h1 { (visit.t("admin-title")) }
        p { (visit.t("admin-about")) }
        @if done.saved.as_deref() == Some("registration") {
            p.flash role="status" { (visit.t("admin-registration-saved")) }
        }
        @if let Some(n) = done.requeued {
            p.flash role="status" { (visit.ta("admin-retried", &[("count", n.into())])) }
        }
        nav aria-label=(visit.t("admin-links-label")) {
            ul.list {
                li { a href="/admin/invites" { (visit.t("admin-invites-link")) } }
                li { a href="/admin/members" { (visit.t("admin-members-link")) } }
                li { a href="/admin/domains" { (visit.t("admin-domains-link")) } }
                li { a href="/admin/reports" { (visit.t("admin-reports-link")) } }
                li { a href="/admin/audit" { (visit.t("admin-audit-link")) } }
            }
        }
        (registration_section(visit, mode, error))
        (federation_section(visit, &queue, &hosts))
    };
    page_with(status, state, visit, &visit.t("admin-title"), body).await
}

async fn overview(
    State(state): State<AppState>,
    visit: Visit,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    visit.admin()?;
    render(&state, &visit, StatusCode::OK, &done, None).await
}

/// The registration form's field.
#[derive(Deserialize)]
pub struct RegistrationForm {
    #[serde(default)]
    mode: String,
}

async fn set_registration(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<RegistrationForm>,
) -> Result<Response, AppError> {
    visit.admin()?;
    let Ok(mode) = form.mode.parse::<RegistrationMode>() else {
        let msg = visit.t("admin-registration-invalid");
        return render(
            &state,
            &visit,
            StatusCode::UNPROCESSABLE_ENTITY,
            &Done::default(),
            Some(&msg),
        )
        .await;
    };
    instance::set_registration_mode(&state.db, mode).await?;
    Ok(see_other("/admin?saved=registration"))
}

/// The retry button's field.
#[derive(Deserialize)]
pub struct RetryForm {
    host: String,
}

async fn retry_host(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<RetryForm>,
) -> Result<Response, AppError> {
    visit.admin()?;
    // The same requeue as `enishi queue retry-dead --host`: dead letters become due now and
    // the host's failure record is cleared, so that it is not left resting.
    let n = outbox::retry_dead(&state.db, Some(form.host.trim())).await?;
    if n > 0 {
        state.outbox_wake.notify_one();
    }
    Ok(see_other(&format!("/admin?requeued={n}")))
}
