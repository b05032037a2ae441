//! Deleting one's account from the settings (issue 17): `/settings/delete` asks for the
//! password and says what happens; the same call as `DELETE /api/v1/me`.

use super::visit::Visit;
use super::{page, page_with, widgets};
use crate::{AppError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use enishi_db::OpError;
use maud::{Markup, html};
use serde::Deserialize;

/// Routes of the account deletion page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/delete", get(form).post(delete))
}

fn body(visit: &Visit, error: Option<&str>) -> Markup {
    html! {
        h1 { (visit.t("leave-title")) }
        p { (visit.t("leave-about")) }
        p { (visit.t("leave-federation")) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.stack method="post" action="/settings/delete" {
            (widgets::csrf(visit))
            div {
                label for="leave-password" { (visit.t("field-current-password")) }
                input #leave-password type="password" name="password" autocomplete="current-password" required;
            }
            div { button.danger type="submit" { (visit.t("leave-submit")) } }
        }
    }
}

async fn form(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    visit.member()?;
    page(&state, &visit, &visit.t("leave-title"), body(&visit, None)).await
}

/// The form's field.
#[derive(Deserialize)]
pub struct LeaveForm {
    #[serde(default)]
    password: String,
}

async fn delete(
    State(state): State<AppState>,
    visit: Visit,
    Form(f): Form<LeaveForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let title = visit.t("leave-title");
    if let Err(wait) = state.access.actions.password.admit(&me.actor.id) {
        let seconds = super::wait_secs(wait);
        let msg = visit.ta("login-rate-limited", &[("seconds", seconds.into())]);
        let r = page_with(
            StatusCode::TOO_MANY_REQUESTS,
            &state,
            &visit,
            &title,
            body(&visit, Some(&msg)),
        )
        .await?;
        return Ok(super::rate_limited(r, wait));
    }
    match enishi_db::leaving::delete_account(&state.db, me, &f.password).await {
        Ok(()) => {
            state.outbox_wake.notify_waiters();
            // The session is gone with the account: the goodbye is shown as to a visitor.
            let gone = Visit::anonymous(visit.lang);
            let b = html! {
                h1 { (gone.t("leave-title")) }
                p.flash role="status" { (gone.t("leave-done")) }
                p { a href="/" { (gone.t("nav-home")) } }
            };
            page(&state, &gone, &title, b).await
        }
        Err(OpError::Forbidden(_)) => {
            let msg = visit.t("password-wrong");
            page_with(
                StatusCode::FORBIDDEN,
                &state,
                &visit,
                &title,
                body(&visit, Some(&msg)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
