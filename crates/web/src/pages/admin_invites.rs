//! Invite codes (`/admin/invites`): the list with uses and expiry, a form to make a code and a
//! button to withdraw one. The same `enishi_db::invites` calls as `enishi invite create`.

use super::page_with;
use super::visit::Visit;
use super::{see_other, widgets};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use enishi_db::invites::{self, InviteRow};
use maud::{Markup, html};
use serde::Deserialize;

/// Most sign-ups one code may allow.
const MAX_USES: i32 = 1000;
/// Longest validity, in days.
const MAX_DAYS: i64 = 365;

/// Routes of the invite pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/invites", get(list).post(create))
        .route("/admin/invites/{id}/delete", post(withdraw))
}

/// The new-invite form's fields, kept as typed so that a refused form shows them again.
#[derive(Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    max_uses: String,
    #[serde(default)]
    expires_days: String,
}

fn create_form(visit: &Visit, form: &InviteForm, error: Option<&str>) -> Markup {
    let uses = if form.max_uses.is_empty() {
        "1"
    } else {
        &form.max_uses
    };
    html! {
        section aria-labelledby="invite-create" {
            h2 #invite-create { (visit.t("admin-invite-create")) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form.stack method="post" action="/admin/invites" {
                (widgets::csrf(visit))
                div {
                    label for="max-uses" { (visit.t("admin-invite-max-uses")) }
                    input #max-uses type="number" name="max_uses" min="1" max=(MAX_USES) value=(uses) required;
                }
                div {
                    label for="expires-days" { (visit.t("admin-invite-expires")) }
                    input #expires-days type="number" name="expires_days" min="1" max=(MAX_DAYS) value=(form.expires_days);
                }
                div { button type="submit" { (visit.t("admin-invite-submit")) } }
            }
        }
    }
}

fn invite_status(visit: &Visit, i: &InviteRow) -> Option<String> {
    if i.expires_at.is_some_and(|t| t <= Utc::now()) {
        Some(visit.t("admin-invite-expired"))
    } else if i.uses >= i.max_uses {
        Some(visit.t("admin-invite-used-up"))
    } else {
        None
    }
}

fn invite_table(visit: &Visit, list: &[InviteRow]) -> Markup {
    html! {
        @if list.is_empty() {
            (widgets::empty(&visit.t("admin-invites-empty"), None))
        } @else {
            div.scroll {
                table {
                    thead {
                        tr {
                            th scope="col" { (visit.t("admin-invite-code")) }
                            th scope="col" { (visit.t("admin-invite-uses")) }
                            th scope="col" { (visit.t("admin-invite-expiry")) }
                            th scope="col" { (visit.t("admin-invite-made")) }
                            th scope="col" { (visit.t("admin-member-action")) }
                        }
                    }
                    tbody {
                        @for i in list {
                            tr {
                                th scope="row" id=(format!("invite-{}", i.id)) { code { (i.code) } }
                                td {
                                    (i.uses) " / " (i.max_uses)
                                    @if let Some(s) = invite_status(visit, i) { " " span.audience { (s) } }
                                }
                                td {
                                    @match i.expires_at {
                                        Some(t) => (widgets::time(t)),
                                        None => (visit.t("admin-invite-never")),
                                    }
                                }
                                td { (widgets::time(i.created_at)) }
                                td {
                                    form.inline method="post" action=(format!("/admin/invites/{}/delete", i.id)) {
                                        (widgets::csrf(visit))
                                        button.danger type="submit" aria-describedby=(format!("invite-{}", i.id)) { (visit.t("admin-invite-withdraw")) }
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
    form: &InviteForm,
    error: Option<&str>,
) -> Result<Response, AppError> {
    let list = invites::list(&state.db).await?;
    let body = html! {
        h1 { (visit.t("admin-invites-title")) }
        p { a href="/admin" { "← " (visit.t("admin-title")) } }
        p.hint { (visit.t("admin-invites-about")) }
        (create_form(visit, form, error))
        section aria-labelledby="invite-list" {
            h2 #invite-list { (visit.t("admin-invites-title")) }
            (invite_table(visit, &list))
        }
    };
    page_with(status, state, visit, &visit.t("admin-invites-title"), body).await
}

async fn list(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    visit.admin()?;
    render(&state, &visit, StatusCode::OK, &InviteForm::default(), None).await
}

/// The form's values when they are in range: uses, and days of validity if limited.
fn parse(form: &InviteForm) -> Option<(i32, Option<i64>)> {
    let uses: i32 = form.max_uses.trim().parse().ok()?;
    if !(1..=MAX_USES).contains(&uses) {
        return None;
    }
    let days = match form.expires_days.trim() {
        "" => None,
        d => Some(
            d.parse::<i64>()
                .ok()
                .filter(|d| (1..=MAX_DAYS).contains(d))?,
        ),
    };
    Some((uses, days))
}

async fn create(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    let me = visit.admin()?;
    let Some((uses, days)) = parse(&form) else {
        let msg = visit.t("admin-invite-invalid");
        return render(
            &state,
            &visit,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            Some(&msg),
        )
        .await;
    };
    let expires = days.map(|d| Utc::now() + chrono::Duration::days(d));
    invites::create(&state.db, Some(me.account_id), uses, expires).await?;
    Ok(see_other("/admin/invites"))
}

async fn withdraw(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    visit.admin()?;
    let gone = match id.parse::<i64>() {
        Ok(id) => invites::delete(&state.db, id).await?,
        Err(_) => false,
    };
    if !gone {
        return Err(AppError::not_found(visit.t("admin-invite-none")));
    }
    Ok(see_other("/admin/invites"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(uses: &str, days: &str) -> InviteForm {
        InviteForm {
            max_uses: uses.into(),
            expires_days: days.into(),
        }
    }

    #[test]
    fn invite_forms_are_checked() {
        assert_eq!(parse(&form("1", "")), Some((1, None)));
        assert_eq!(parse(&form(" 5 ", "7")), Some((5, Some(7))));
        for (u, d) in [
            ("0", ""),
            ("1001", ""),
            ("x", ""),
            ("1", "0"),
            ("1", "366"),
            ("1", "y"),
        ] {
            assert_eq!(parse(&form(u, d)), None, "{u:?} {d:?}");
        }
    }
}
