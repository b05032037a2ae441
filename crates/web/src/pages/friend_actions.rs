//! The relationship buttons and the forms behind them: friend requests (send, approve, reject,
//! cancel), follows, unfriending, blocking and unblocking. Each action resolves the handle and
//! calls the same `enishi_db` function as the matching JSON API handler.

use super::visit::Visit;
use super::{see_other, widgets};
use crate::api::{resolve_known, resolve_or_fetch};
use crate::{AppError, AppState};
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use enishi_core::Actor;
use enishi_db::social::{self, Relationship};
use maud::{Markup, html};
use serde::Deserialize;

/// A local path to go back to after a form, or `default` (never another site: `back` comes
/// from the form, which anyone can write).
pub fn back_or(back: &str, default: &str) -> String {
    let local = back.starts_with('/') && !back.starts_with("//") && !back.contains('\\');
    if local {
        back.to_owned()
    } else {
        default.to_owned()
    }
}

/// A form naming someone (`target` as the API takes it) and where to go afterwards.
#[derive(Deserialize)]
pub struct TargetForm {
    target: String,
    #[serde(default)]
    back: String,
}

/// A friend request's form.
#[derive(Deserialize)]
pub struct RequestForm {
    target: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    back: String,
}

/// Sends a friend request (a follow, to an account that does not follow back), resolving a
/// remote handle as `POST /api/v1/friends/requests` does.
pub async fn send_request(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<RequestForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    crate::rate_limits::admit(
        &state.access.actions.friend_requests,
        &me.actor.id,
        "friend requests",
    )?;
    let target = resolve_or_fetch(&state, &form.target).await?;
    let message = Some(form.message.trim()).filter(|m| !m.is_empty());
    social::request_friendship(&state.db, &state.settings, &me.actor, &target, message).await?;
    Ok(see_other(&back_or(
        &form.back,
        &widgets::profile_href(&target),
    )))
}

/// Approves a friend request made to the member.
pub async fn accept(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    social::accept_request(&state.db, &state.settings, &me.actor, id).await?;
    Ok(see_other("/friends/requests"))
}

/// Declines a friend request made to the member (the requester is not told).
pub async fn reject(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    social::reject_request(&state.db, &me.actor, id).await?;
    Ok(see_other("/friends/requests"))
}

/// Ends a friendship, a follow or a pending request.
pub async fn unfriend(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<TargetForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let other = resolve_known(&state, &form.target).await?;
    social::unfriend(&state.db, &me.actor, &other).await?;
    Ok(see_other(&back_or(&form.back, "/friends")))
}

/// Blocks someone (as `POST /api/v1/blocks`).
pub async fn block(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<TargetForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let target = resolve_or_fetch(&state, &form.target).await?;
    social::block(&state.db, &state.settings, &me.actor, &target).await?;
    Ok(see_other(&back_or(&form.back, "/friends/blocks")))
}

/// Lifts a block.
pub async fn unblock(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<TargetForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let other = resolve_known(&state, &form.target).await?;
    social::unblock(&state.db, &me.actor, &other).await?;
    Ok(see_other(&back_or(&form.back, "/friends/blocks")))
}

/// A one-button form posting `target` (and `back`) to `action`.
pub fn target_button(
    visit: &Visit,
    action: &str,
    target: &Actor,
    back: &str,
    label: &str,
    danger: bool,
) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (widgets::csrf(visit))
            input type="hidden" name="target" value=(target.api_handle());
            input type="hidden" name="back" value=(back);
            @if danger {
                button.danger type="submit" { (label) }
            } @else {
                button.plain type="submit" { (label) }
            }
        }
    }
}

/// The buttons that fit how the member stands with `target`: befriend (with an optional
/// message) or follow, cancel, unfriend, answer, block or unblock. `back` is where each form
/// returns to.
pub fn buttons(visit: &Visit, target: &Actor, rel: &Relationship, back: &str) -> Markup {
    let id = format!("request-message-{}", target.id.0);
    html! {
        div.relationship {
            @if rel.friend {
                p { span.audience { span aria-hidden="true" { "🤝" } " " (visit.t("people-rel-friends")) } }
                (target_button(visit, "/friends/unfriend", target, back, &visit.t("people-unfriend"), true))
            } @else if rel.requested {
                p { (visit.t("people-rel-requested")) }
                (target_button(visit, "/friends/unfriend", target, back, &visit.t("people-cancel-request"), false))
            } @else if rel.following {
                p { (visit.t("people-rel-following")) }
                (target_button(visit, "/friends/unfriend", target, back, &visit.t("people-unfollow"), false))
            } @else if rel.requested_by {
                p { (visit.t("people-rel-requested-by")) " " a href="/friends/requests" { (visit.t("people-answer-request")) } }
            } @else if !rel.blocking {
                form.stack method="post" action="/friends/requests" {
                    (widgets::csrf(visit))
                    input type="hidden" name="target" value=(target.api_handle());
                    input type="hidden" name="back" value=(back);
                    div {
                        label for=(id) { (visit.t("people-request-message")) }
                        textarea id=(id) name="message" rows="2" maxlength="500" {}
                    }
                    div { button type="submit" { (visit.t("people-send-request")) } }
                }
                @if !target.is_local {
                    (target_button(visit, "/friends/requests", target, back, &visit.t("people-follow"), false))
                    p.hint { (visit.t("people-follow-hint")) }
                }
            }
            @if rel.blocking {
                p { (visit.t("people-rel-blocking")) }
                (target_button(visit, "/friends/unblock", target, back, &visit.t("people-unblock"), false))
            } @else {
                (target_button(visit, "/friends/block", target, back, &visit.t("people-block"), true))
            }
            p { (widgets::report_link(visit, target, None, None)) }
        }
    }
}
