//! Introductions (紹介文) from the pages: a friend writes one on the subject's profile, the
//! writer edits or deletes it, the subject hides, shows or deletes it — the same `enishi_db`
//! calls as the API's introduction routes.

use super::friend_actions::back_or;
use super::visit::Visit;
use super::{page, see_other, widgets};
use crate::api::resolve_known;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use enishi_db::{OpError, introductions};
use maud::{Markup, html};
use serde::Deserialize;

/// Routes for writing and answering introductions.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users/{name}/introductions", post(write))
        .route("/introductions/{id}/edit", get(edit_form).post(edit))
        .route("/introductions/{id}/delete", post(delete))
        .route("/introductions/{id}/hide", post(hide))
        .route("/introductions/{id}/show", post(show))
}

/// An introduction's text.
#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    text: String,
}

/// Where to go after a one-button form.
#[derive(Deserialize)]
pub struct BackForm {
    #[serde(default)]
    back: String,
}

/// The message for an introduction refused as invalid.
fn invalid(visit: &Visit) -> String {
    visit.t("people-intro-invalid")
}

async fn write(
    State(state): State<AppState>,
    visit: Visit,
    Path(name): Path<String>,
    Form(form): Form<TextForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let subject = resolve_known(&state, &name).await?;
    if let Err(wait) = state.access.actions.posting.admit(&me.actor.id) {
        let seconds = super::wait_secs(wait);
        let draft = super::profile::Draft {
            text: form.text,
            error: visit.ta("posting-rate-limited", &[("seconds", seconds.into())]),
        };
        let r = super::profile::show(&state, &visit, &subject, Some(draft)).await?;
        return Ok(super::rate_limited(r, wait));
    }
    match introductions::write(
        &state.db,
        &state.settings,
        &visit.viewer(),
        &subject,
        &form.text,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{}#introductions",
            widgets::profile_href(&subject)
        ))),
        Err(OpError::Invalid(_)) => {
            let draft = super::profile::Draft {
                text: form.text,
                error: invalid(&visit),
            };
            super::profile::show(&state, &visit, &subject, Some(draft)).await
        }
        Err(e) => Err(e.into()),
    }
}

fn edit_body(visit: &Visit, id: &str, text: &str, error: Option<&str>) -> Markup {
    html! {
        h1 { (visit.t("people-intro-edit-title")) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.stack method="post" action=(format!("/introductions/{id}/edit")) {
            (widgets::csrf(visit))
            div {
                label for="intro-text" { (visit.t("people-intro-text")) }
                textarea #intro-text name="text" rows="6" maxlength="1000" required { (text) }
            }
            div { button type="submit" { (visit.t("people-intro-save")) } }
        }
    }
}

async fn edit_form(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let v = introductions::get_visible(&state.db, &visit.viewer(), &id).await?;
    if v.introduction.writer != me.actor.id {
        return Err(OpError::Forbidden("only the writer may edit an introduction".into()).into());
    }
    let body = edit_body(&visit, &id, &v.introduction.body, None);
    page(&state, &visit, &visit.t("people-intro-edit-title"), body).await
}

async fn edit(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<TextForm>,
) -> Result<Response, AppError> {
    visit.member()?;
    match introductions::edit(&state.db, &state.settings, &visit.viewer(), &id, &form.text).await {
        Ok(v) => Ok(see_other(&format!(
            "{}#introductions",
            widgets::profile_href(&v.subject)
        ))),
        Err(OpError::Invalid(_)) => {
            let body = edit_body(&visit, &id, &form.text, Some(&invalid(&visit)));
            let mut r = page(&state, &visit, &visit.t("people-intro-edit-title"), body).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<BackForm>,
) -> Result<Response, AppError> {
    visit.member()?;
    introductions::delete(&state.db, &visit.viewer(), &id).await?;
    Ok(see_other(&back_or(&form.back, "/")))
}

async fn set_hidden(
    state: &AppState,
    visit: &Visit,
    id: &str,
    back: &str,
    hidden: bool,
) -> Result<Response, AppError> {
    visit.member()?;
    let v = introductions::set_hidden(&state.db, &visit.viewer(), id, hidden).await?;
    Ok(see_other(&back_or(
        back,
        &format!("{}#introductions", widgets::profile_href(&v.subject)),
    )))
}

async fn hide(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<BackForm>,
) -> Result<Response, AppError> {
    set_hidden(&state, &visit, &id, &form.back, true).await
}

async fn show(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<BackForm>,
) -> Result<Response, AppError> {
    set_hidden(&state, &visit, &id, &form.back, false).await
}
