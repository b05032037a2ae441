//! Moving between servers from the settings (issue 17): `/settings/move` sets the member's
//! aliases (accounts elsewhere that may move here) and moves the member to an account
//! elsewhere; the same calls as `/api/v1/me/aliases` and `/api/v1/me/move`.

use super::visit::Visit;
use super::{page, page_with, see_other, widgets};
use crate::api::resolve_or_fetch;
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};
use serde::Deserialize;

/// Routes of the move page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/move", get(show).post(move_away))
        .route("/settings/aliases", post(save_aliases))
}

/// What the page reports after a form.
#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    saved: Option<String>,
}

async fn body(
    state: &AppState,
    visit: &Visit,
    error: Option<&str>,
    done: &Done,
) -> Result<Markup, AppError> {
    let me = visit.member()?;
    let moves = enishi_db::moves::state(&state.db, me.actor.id).await?;
    let aliases: Vec<String> = moves.also_known_as.iter().map(|u| u.to_string()).collect();
    Ok(html! {
        h1 { (visit.t("move-title")) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if done.saved.is_some() { p.flash role="status" { (visit.t("move-saved")) } }
        @if let Some(to) = &moves.moved_to {
            p.flash role="status" { (visit.t("move-moved")) " " a href=(to.as_str()) { (to.as_str()) } }
        }
        section aria-labelledby="aliases" {
            h2 #aliases { (visit.t("move-aliases")) }
            p.hint { (visit.t("move-aliases-hint")) }
            form.stack method="post" action="/settings/aliases" {
                (widgets::csrf(visit))
                div {
                    label for="aliases-text" { (visit.t("move-aliases-field")) }
                    textarea #aliases-text name="aliases" rows="3" spellcheck="false" { (aliases.join("\n")) }
                }
                div { button type="submit" { (visit.t("people-save")) } }
            }
        }
        section aria-labelledby="move-away" {
            h2 #move-away { (visit.t("move-away")) }
            p.hint { (visit.t("move-away-hint")) }
            form.stack method="post" action="/settings/move" {
                (widgets::csrf(visit))
                div {
                    label for="move-target" { (visit.t("move-target")) }
                    input #move-target type="text" name="target" required autocomplete="off" spellcheck="false" placeholder="name@example.social";
                }
                div {
                    label for="move-password" { (visit.t("field-current-password")) }
                    input #move-password type="password" name="password" autocomplete="current-password" required;
                }
                div { button.danger type="submit" { (visit.t("move-submit")) } }
            }
        }
    })
}

async fn show(
    State(state): State<AppState>,
    visit: Visit,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let b = body(&state, &visit, None, &done).await?;
    page(&state, &visit, &visit.t("move-title"), b).await
}

async fn refused(
    state: &AppState,
    visit: &Visit,
    status: StatusCode,
    message: &str,
) -> Result<Response, AppError> {
    let b = body(state, visit, Some(message), &Done::default()).await?;
    page_with(status, state, visit, &visit.t("move-title"), b).await
}

/// The aliases form's field.
#[derive(Deserialize)]
pub struct AliasesForm {
    #[serde(default)]
    aliases: String,
}

async fn save_aliases(
    State(state): State<AppState>,
    visit: Visit,
    Form(f): Form<AliasesForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let mut urls = Vec::new();
    for line in f.aliases.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match resolve_or_fetch(&state, line).await {
            Ok(a) if !urls.contains(&a.ap_id) => urls.push(a.ap_id),
            Ok(_) => {}
            Err(e) => return refused(&state, &visit, e.status, &e.message).await,
        }
    }
    match enishi_db::moves::set_aliases(&state.db, &me.actor, &urls).await {
        Ok(()) => Ok(see_other("/settings/move?saved=1")),
        Err(enishi_db::OpError::Invalid(e)) => {
            refused(
                &state,
                &visit,
                StatusCode::UNPROCESSABLE_ENTITY,
                &e.to_string(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The move form's fields.
#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    target: String,
    #[serde(default)]
    password: String,
}

async fn move_away(
    State(state): State<AppState>,
    visit: Visit,
    Form(f): Form<MoveForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    if let Err(wait) = state.access.actions.password.admit(&me.actor.id) {
        let seconds = super::wait_secs(wait);
        let msg = visit.ta("login-rate-limited", &[("seconds", seconds.into())]);
        let r = refused(&state, &visit, StatusCode::TOO_MANY_REQUESTS, &msg).await?;
        return Ok(super::rate_limited(r, wait));
    }
    if enishi_db::accounts::authenticate(&state.db, &me.actor.username, &f.password)
        .await?
        .is_none()
    {
        return refused(
            &state,
            &visit,
            StatusCode::FORBIDDEN,
            &visit.t("password-wrong"),
        )
        .await;
    }
    let target = match resolve_or_fetch(&state, &f.target).await {
        Ok(t) => t,
        Err(e) => return refused(&state, &visit, e.status, &e.message).await,
    };
    if target.is_local {
        let msg = visit.t("move-not-here");
        return refused(&state, &visit, StatusCode::UNPROCESSABLE_ENTITY, &msg).await;
    }
    let listed = match state.fetcher().object(&target.ap_id).await {
        Ok(doc) => enishi_apub::inbox::ids_of(doc.get("alsoKnownAs")).contains(&me.actor.ap_id),
        Err(_) => false,
    };
    if !listed {
        let msg = visit.ta("move-not-alias", &[("handle", target.handle().into())]);
        return refused(&state, &visit, StatusCode::CONFLICT, &msg).await;
    }
    match enishi_db::moves::move_away(&state.db, &me.actor, &target).await {
        Ok(()) => {
            state.outbox_wake.notify_waiters();
            Ok(see_other("/settings/move"))
        }
        Err(enishi_db::OpError::Invalid(e)) => {
            refused(
                &state,
                &visit,
                StatusCode::UNPROCESSABLE_ENTITY,
                &e.to_string(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
