//! Server blocks (`/admin/domains`) and the audit log (`/admin/audit`): the blocked servers
//! with their severity, a form to block one and a button to lift a block, all through the same
//! `enishi_db::domain_blocks` calls as `enishi domain block`; every action lands in the audit
//! log. A block takes effect in every process of the instance within a second.

use super::page_with;
use super::visit::Visit;
use super::{see_other, widgets};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use enishi_core::moderation::Severity;
use enishi_db::OpError;
use enishi_db::audit::{self, AuditEntry};
use enishi_db::domain_blocks::{self, DomainBlock, NewBlock};
use maud::{Markup, html};
use serde::Deserialize;

/// Audit entries per page.
const AUDIT_PAGE: u64 = 50;

/// Routes of the server block and audit pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/domains", get(list).post(create))
        .route("/admin/domains/{domain}/unblock", post(unblock))
        .route("/admin/accounts/lift", post(lift_account))
        .route("/admin/audit", get(audit_log))
}

/// The block form's fields, kept as typed so that a refused form shows them again.
#[derive(Deserialize, Default)]
pub struct BlockForm {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    public_comment: String,
}

/// What the list reports after a form (from the redirect's query).
#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    blocked: Option<String>,
    #[serde(default)]
    ended: Option<u64>,
    #[serde(default)]
    unblocked: Option<String>,
}

fn severity_label(visit: &Visit, s: Severity) -> String {
    visit.t(match s {
        Severity::Reject => "admin-domain-reject",
        Severity::Limit => "admin-domain-limit",
    })
}

fn block_form(visit: &Visit, form: &BlockForm, error: Option<&str>) -> Markup {
    let limit = form.severity == "limit";
    html! {
        section aria-labelledby="domain-block" {
            h2 #domain-block { (visit.t("admin-domain-block")) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form.stack method="post" action="/admin/domains" {
                (widgets::csrf(visit))
                div {
                    label for="domain" { (visit.t("admin-domain-name")) }
                    input #domain type="text" name="domain" value=(form.domain) required
                        autocomplete="off" spellcheck="false" placeholder="spam.example";
                }
                fieldset {
                    legend { (visit.t("admin-domain-severity")) }
                    div {
                        input #severity-reject type="radio" name="severity" value="reject" checked[!limit];
                        label for="severity-reject" { (severity_label(visit, Severity::Reject)) }
                        p.hint { (visit.t("admin-domain-reject-hint")) }
                    }
                    div {
                        input #severity-limit type="radio" name="severity" value="limit" checked[limit];
                        label for="severity-limit" { (severity_label(visit, Severity::Limit)) }
                        p.hint { (visit.t("admin-domain-limit-hint")) }
                    }
                }
                div {
                    label for="reason" { (visit.t("admin-domain-reason")) }
                    input #reason type="text" name="reason" value=(form.reason) maxlength="1000";
                }
                div {
                    label for="public-comment" { (visit.t("admin-domain-public-comment")) }
                    input #public-comment type="text" name="public_comment" value=(form.public_comment) maxlength="1000";
                }
                div { button.danger type="submit" { (visit.t("admin-domain-submit")) } }
            }
        }
    }
}

fn block_table(visit: &Visit, list: &[DomainBlock]) -> Markup {
    html! {
        @if list.is_empty() {
            (widgets::empty(&visit.t("admin-domains-empty"), None))
        } @else {
            div.scroll {
                table {
                    thead {
                        tr {
                            th scope="col" { (visit.t("admin-domain-name")) }
                            th scope="col" { (visit.t("admin-domain-severity")) }
                            th scope="col" { (visit.t("admin-domain-reason")) }
                            th scope="col" { (visit.t("admin-invite-made")) }
                            th scope="col" { (visit.t("admin-member-action")) }
                        }
                    }
                    tbody {
                        @for (i, b) in list.iter().enumerate() {
                            tr {
                                th scope="row" id=(format!("domain-{i}")) { code { (b.domain) } }
                                td { (severity_label(visit, b.severity)) }
                                td {
                                    (b.private_comment.as_deref().unwrap_or_default())
                                    @if let Some(c) = &b.public_comment { br; span.hint { (c) } }
                                }
                                td { (widgets::time(b.created_at)) }
                                td {
                                    form.inline method="post" action=(format!("/admin/domains/{}/unblock", b.domain)) {
                                        (widgets::csrf(visit))
                                        button type="submit" aria-describedby=(format!("domain-{i}")) { (visit.t("admin-domain-unblock")) }
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
    form: &BlockForm,
    error: Option<&str>,
    done: &Done,
) -> Result<Response, AppError> {
    let list = domain_blocks::list(&state.db).await?;
    let accounts = enishi_db::account_blocks::list(&state.db).await?;
    let body = html! {
        h1 { (visit.t("admin-domains-title")) }
        p { a href="/admin" { "← " (visit.t("admin-title")) } }
        @if let Some(d) = &done.blocked {
            p.flash role="status" {
                (visit.ta("admin-domain-blocked", &[("server", d.clone().into()), ("count", done.ended.unwrap_or(0).into())]))
            }
        }
        @if let Some(d) = &done.unblocked {
            p.flash role="status" { (visit.ta("admin-domain-unblocked", &[("server", d.clone().into())])) }
        }
        p.hint { (visit.t("admin-domains-about")) }
        (block_form(visit, form, error))
        section aria-labelledby="domain-list" {
            h2 #domain-list { (visit.t("admin-domains-list")) }
            (block_table(visit, &list))
        }
        section aria-labelledby="account-list" {
            h2 #account-list { (visit.t("admin-accounts-list")) }
            p.hint { (visit.t("admin-accounts-about")) }
            @if accounts.is_empty() {
                (widgets::empty(&visit.t("admin-accounts-empty"), None))
            } @else {
                ul.list {
                    @for (i, (a, severity)) in accounts.iter().enumerate() {
                        li id=(format!("account-{i}")) {
                            (widgets::actor_link(a)) " — " (severity_label(visit, *severity))
                            " "
                            form.inline method="post" action="/admin/accounts/lift" {
                                (widgets::csrf(visit))
                                input type="hidden" name="account" value=(a.ap_id.as_str());
                                button.plain type="submit" aria-describedby=(format!("account-{i}")) { (visit.t("admin-account-lift")) }
                            }
                        }
                    }
                }
            }
        }
    };
    page_with(status, state, visit, &visit.t("admin-domains-title"), body).await
}

async fn list(
    State(state): State<AppState>,
    visit: Visit,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    visit.admin()?;
    render(
        &state,
        &visit,
        StatusCode::OK,
        &BlockForm::default(),
        None,
        &done,
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<BlockForm>,
) -> Result<Response, AppError> {
    let me = visit.admin()?;
    let severity = match form.severity.parse::<Severity>() {
        Ok(s) => s,
        Err(e) => return refused(&state, &visit, &form, e.to_string()).await,
    };
    let new = NewBlock {
        domain: form.domain.clone(),
        severity,
        private_comment: Some(form.reason.clone()),
        public_comment: Some(form.public_comment.clone()),
    };
    match domain_blocks::block(&state.db, new, &me.actor.username).await {
        Ok(b) => Ok(see_other(&format!(
            "/admin/domains?blocked={}&ended={}",
            urlencoding(&b.domain),
            b.friendships_ended
        ))),
        Err(OpError::Invalid(e)) => refused(&state, &visit, &form, e.to_string()).await,
        Err(e) => Err(e.into()),
    }
}

/// The form again with what is wrong (422).
async fn refused(
    state: &AppState,
    visit: &Visit,
    form: &BlockForm,
    message: String,
) -> Result<Response, AppError> {
    render(
        state,
        visit,
        StatusCode::UNPROCESSABLE_ENTITY,
        form,
        Some(&message),
        &Done::default(),
    )
    .await
}

/// Percent-encodes the few characters a domain with a port may hold in a query.
fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn unblock(
    State(state): State<AppState>,
    visit: Visit,
    Path(domain): Path<String>,
) -> Result<Response, AppError> {
    let me = visit.admin()?;
    let gone = match domain_blocks::unblock(&state.db, &domain, &me.actor.username).await {
        Ok(gone) => gone,
        Err(OpError::Invalid(_)) => false,
        Err(e) => return Err(e.into()),
    };
    if !gone {
        return Err(AppError::not_found(visit.t("admin-domain-none")));
    }
    Ok(see_other(&format!(
        "/admin/domains?unblocked={}",
        urlencoding(&domain)
    )))
}

/// Which page of the audit log.
#[derive(Deserialize, Default)]
pub struct Before {
    #[serde(default)]
    before: Option<i64>,
}

fn audit_table(visit: &Visit, entries: &[AuditEntry]) -> Markup {
    html! {
        @if entries.is_empty() {
            (widgets::empty(&visit.t("admin-audit-empty"), None))
        } @else {
            // Keyboard users must be able to scroll a wide log, which holds no link or button.
            div.scroll tabindex="0" role="region" aria-label=(visit.t("admin-audit-title")) {
                table {
                    thead {
                        tr {
                            th scope="col" { (visit.t("admin-audit-when")) }
                            th scope="col" { (visit.t("admin-audit-who")) }
                            th scope="col" { (visit.t("admin-audit-what")) }
                            th scope="col" { (visit.t("admin-audit-target")) }
                            th scope="col" { (visit.t("admin-audit-why")) }
                        }
                    }
                    tbody {
                        @for e in entries {
                            tr {
                                td { (widgets::time(e.at)) }
                                td { (e.moderator) }
                                td { code { (e.action) } }
                                td { (e.target) }
                                td { (e.reason.as_deref().unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn audit_log(
    State(state): State<AppState>,
    visit: Visit,
    Query(q): Query<Before>,
) -> Result<Response, AppError> {
    visit.admin()?;
    let entries = audit::list(&state.db, q.before, AUDIT_PAGE).await?;
    let next = (entries.len() as u64 == AUDIT_PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let body = html! {
        h1 { (visit.t("admin-audit-title")) }
        p { a href="/admin" { "← " (visit.t("admin-title")) } }
        p.hint { (visit.t("admin-audit-about")) }
        (audit_table(&visit, &entries))
        @if let Some(n) = next {
            p { a href=(format!("/admin/audit?before={n}")) { (visit.t("admin-audit-older")) } }
        }
    };
    page_with(
        StatusCode::OK,
        &state,
        &visit,
        &visit.t("admin-audit-title"),
        body,
    )
    .await
}

/// The lift form's field.
#[derive(Deserialize)]
pub struct LiftForm {
    #[serde(default)]
    account: String,
}

/// Lifts one account's suspension or limit.
async fn lift_account(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<LiftForm>,
) -> Result<Response, AppError> {
    let me = visit.admin()?;
    let none = || AppError::not_found(visit.t("admin-domain-none"));
    let url = url::Url::parse(&form.account).map_err(|_| none())?;
    let account = enishi_db::actors::find_by_ap_id(&state.db, &url)
        .await?
        .ok_or_else(none)?;
    enishi_db::account_blocks::moderate(&state.db, &account, None, &me.actor.username, None)
        .await?;
    Ok(see_other("/admin/domains"))
}
