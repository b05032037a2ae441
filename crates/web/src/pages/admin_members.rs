//! Members (`/admin/members`): every account, newest first, with its role and whether it is
//! suspended, and buttons to suspend or reinstate (the same `accounts::set_suspended` as
//! `enishi user suspend`, which also ends the member's browser sessions).

use super::page_with;
use super::visit::Visit;
use super::{see_other, widgets};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use enishi_core::Member;
use enishi_db::accounts;
use maud::{Markup, html};
use serde::Deserialize;

/// Members per page.
const PAGE: u64 = 50;

/// Routes of the members page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/members", get(list))
        .route("/admin/members/{name}/suspend", post(suspend))
        .route("/admin/members/{name}/unsuspend", post(unsuspend))
        .route("/admin/members/{name}/role", post(set_role))
}

/// Where the list starts (an account id from the "older" link).
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    before: Option<i64>,
}

fn member_row(visit: &Visit, me: &Member, m: &Member) -> Markup {
    let name = &m.actor.username;
    let row_id = format!("member-{}", m.account_id);
    html! {
        tr {
            th scope="row" id=(row_id) {
                a href=(format!("/users/{name}")) { (widgets::name_of(&m.actor)) }
                " " span.handle { "@" (name) }
                @if m.account_id == me.account_id { " " span.audience { (visit.t("admin-member-you")) } }
            }
            td { (widgets::time(m.created_at)) }
            td {
                @if m.account_id == me.account_id || m.suspended_at.is_some() {
                    @if m.is_admin { (visit.t("admin-member-admin")) }
                    @else if m.is_moderator { (visit.t("admin-member-moderator")) }
                    @else { (visit.t("admin-member-member")) }
                } @else {
                    form.inline method="post" action=(format!("/admin/members/{name}/role")) {
                        (widgets::csrf(visit))
                        label.visually-hidden for=(format!("role-{}", m.account_id)) { (visit.t("admin-member-role")) }
                        select id=(format!("role-{}", m.account_id)) name="role" aria-describedby=(row_id) {
                            option value="member" selected[!m.is_admin && !m.is_moderator] { (visit.t("admin-member-member")) }
                            option value="moderator" selected[m.is_moderator] { (visit.t("admin-member-moderator")) }
                            option value="admin" selected[m.is_admin] { (visit.t("admin-member-admin")) }
                        }
                        " "
                        button.plain type="submit" aria-describedby=(row_id) { (visit.t("admin-member-role-save")) }
                    }
                }
            }
            td {
                @match m.suspended_at {
                    Some(t) => strong { (visit.ta("admin-member-suspended", &[("date", t.format("%Y-%m-%d").to_string().into())])) },
                    None => (visit.t("admin-member-active")),
                }
            }
            td {
                @if m.suspended_at.is_some() {
                    form.inline method="post" action=(format!("/admin/members/{name}/unsuspend")) {
                        (widgets::csrf(visit))
                        button.plain type="submit" aria-describedby=(row_id) { (visit.t("admin-member-unsuspend")) }
                    }
                } @else if m.account_id != me.account_id {
                    form.inline method="post" action=(format!("/admin/members/{name}/suspend")) {
                        (widgets::csrf(visit))
                        button.danger type="submit" aria-describedby=(row_id) { (visit.t("admin-member-suspend")) }
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
    before: Option<i64>,
    error: Option<&str>,
) -> Result<Response, AppError> {
    let me = visit.admin()?;
    let members = accounts::list_newest(&state.db, before, PAGE).await?;
    let next = (members.len() as u64 == PAGE)
        .then(|| members.last().map(|m| m.account_id))
        .flatten();
    let body = html! {
        h1 { (visit.t("admin-members-title")) }
        p { a href="/admin" { "← " (visit.t("admin-title")) } }
        p.hint { (visit.t("admin-members-about")) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if members.is_empty() {
            (widgets::empty(&visit.t("admin-members-empty"), Some(("/admin/invites", visit.t("admin-invites-link")))))
        } @else {
            div.scroll {
                table {
                    thead {
                        tr {
                            th scope="col" { (visit.t("admin-member-name")) }
                            th scope="col" { (visit.t("admin-member-joined")) }
                            th scope="col" { (visit.t("admin-member-role")) }
                            th scope="col" { (visit.t("admin-member-status")) }
                            th scope="col" { (visit.t("admin-member-action")) }
                        }
                    }
                    tbody {
                        @for m in &members { (member_row(visit, me, m)) }
                    }
                }
            }
        }
        (widgets::older(visit, "/admin/members", next))
    };
    page_with(status, state, visit, &visit.t("admin-members-title"), body).await
}

async fn list(
    State(state): State<AppState>,
    visit: Visit,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    visit.admin()?;
    render(&state, &visit, StatusCode::OK, q.before, None).await
}

async fn set(
    state: &AppState,
    visit: &Visit,
    name: &str,
    suspended: bool,
) -> Result<Response, AppError> {
    let me = visit.admin()?;
    if suspended && name.trim().eq_ignore_ascii_case(&me.actor.username) {
        // An admin who suspended themselves would be locked out of the admin pages at once.
        let msg = visit.t("admin-member-not-self");
        return render(state, visit, StatusCode::CONFLICT, None, Some(&msg)).await;
    }
    if !accounts::set_suspended(&state.db, name, suspended, &me.actor.username).await? {
        return Err(AppError::not_found(visit.t("admin-member-none")));
    }
    Ok(see_other("/admin/members"))
}

async fn suspend(
    State(state): State<AppState>,
    visit: Visit,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    set(&state, &visit, &name, true).await
}

async fn unsuspend(
    State(state): State<AppState>,
    visit: Visit,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    set(&state, &visit, &name, false).await
}

/// The role form's field.
#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn set_role(
    State(state): State<AppState>,
    visit: Visit,
    Path(name): Path<String>,
    axum::Form(form): axum::Form<RoleForm>,
) -> Result<Response, AppError> {
    let me = visit.admin()?;
    let Some(role) = accounts::Role::parse(&form.role) else {
        let msg = visit.t("admin-member-role-unknown");
        return render(
            &state,
            &visit,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(&msg),
        )
        .await;
    };
    if name.trim().eq_ignore_ascii_case(&me.actor.username) {
        let msg = visit.t("admin-member-not-self");
        return render(&state, &visit, StatusCode::CONFLICT, None, Some(&msg)).await;
    }
    if !accounts::set_role(&state.db, &name, role, &me.actor.username).await? {
        return Err(AppError::not_found(visit.t("admin-member-none")));
    }
    Ok(see_other("/admin/members"))
}
