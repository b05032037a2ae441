//! Friends (マイミク): the member's friends, requests and blocks, another member's friends as
//! the friends-list audience allows, and finding an account here or on another server.

use super::friend_actions::{self, target_button};
use super::visit::Visit;
use super::{page, widgets};
use crate::api::resolve_or_fetch;
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use enishi_core::Actor;
use enishi_db::profiles;
use enishi_db::social::{self, Direction};
use maud::{Markup, html};
use serde::Deserialize;

/// Friends per page.
const PAGE: u64 = 30;

/// Routes for the friends pages and the relationship forms.
pub fn routes() -> Router<AppState> {
    use friend_actions as a;
    Router::new()
        .route("/friends", get(my_friends))
        .route("/friends/requests", get(requests).post(a::send_request))
        .route("/friends/requests/{id}/accept", post(a::accept))
        .route("/friends/requests/{id}/reject", post(a::reject))
        .route("/friends/unfriend", post(a::unfriend))
        .route("/friends/block", post(a::block))
        .route("/friends/unblock", post(a::unblock))
        .route("/friends/blocks", get(blocks))
        .route("/friends/find", get(find))
        .route("/users/{name}/friends", get(friends_of))
}

/// `?after=` of a friends list (friends are listed in a stable order, oldest account first).
#[derive(Deserialize, Default)]
pub struct After {
    after: Option<i64>,
}

/// The tabs of the friends pages.
fn tabs(visit: &Visit) -> Markup {
    html! {
        nav.row aria-label=(visit.t("people-friends-tabs")) {
            a href="/friends" { (visit.t("people-my-friends")) }
            a href="/friends/requests" { (visit.t("people-requests-title")) }
            a href="/friends/find" { (visit.t("people-find-title")) }
            a href="/friends/blocks" { (visit.t("people-blocks-title")) }
        }
    }
}

/// A "more" link to the next page of a friends list.
fn more(visit: &Visit, base: &str, list: &[Actor]) -> Markup {
    let next = (list.len() as u64 == PAGE)
        .then(|| list.last().map(|a| a.id.0))
        .flatten();
    html! {
        @if let Some(after) = next {
            nav.pager aria-label=(visit.t("pager-label")) {
                a href=(format!("{base}?after={after}")) { (visit.t("people-more")) " →" }
            }
        }
    }
}

async fn my_friends(
    State(state): State<AppState>,
    visit: Visit,
    Query(q): Query<After>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let viewer = visit.viewer();
    let mut list = social::friends(&state.db, &viewer, me.actor.id, q.after, PAGE).await?;
    profiles::redact_nicknames(&state.db, &viewer, list.iter_mut()).await?;
    let body = html! {
        h1 { (visit.t("people-my-friends")) }
        (tabs(&visit))
        @if list.is_empty() && q.after.is_none() {
            (widgets::empty(&visit.t("people-my-friends-empty"), Some(("/friends/find", visit.t("people-find-title")))))
        }
        ul.list {
            @for f in &list {
                li {
                    (widgets::actor_link(f))
                    @if !f.is_local { " " span.origin { (visit.ta("origin-remote", &[("server", f.domain.clone().into())])) } }
                    " " (target_button(&visit, "/friends/unfriend", f, "/friends", &visit.t("people-unfriend"), true))
                }
            }
        }
        (more(&visit, "/friends", &list))
    };
    page(&state, &visit, &visit.t("people-my-friends"), body).await
}

async fn requests(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    let me = visit.member()?;
    let viewer = visit.viewer();
    let all = social::requests(&state.db, me.actor.id, Direction::Incoming).await?;
    let mut outgoing = social::requests(&state.db, me.actor.id, Direction::Outgoing).await?;
    // Requests from accounts of limited servers wait apart.
    let (mut held, mut incoming): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|r| state.inbox.is_limited(&r.from));
    profiles::redact_nicknames(
        &state.db,
        &viewer,
        incoming
            .iter_mut()
            .chain(outgoing.iter_mut())
            .chain(held.iter_mut())
            .flat_map(|r| [&mut r.from, &mut r.to]),
    )
    .await?;
    let body = html! {
        h1 { (visit.t("people-requests-title")) }
        (tabs(&visit))
        section aria-labelledby="requests-in" {
            h2 #requests-in { (visit.t("people-requests-incoming")) }
            @if incoming.is_empty() { p.hint { (visit.t("people-requests-incoming-none")) } }
            (request_list(&visit, &incoming))
        }
        @if !held.is_empty() {
            section aria-labelledby="requests-held" {
                h2 #requests-held { (visit.t("people-requests-held")) }
                p.hint { (visit.t("people-requests-held-about")) }
                (request_list(&visit, &held))
            }
        }
        section aria-labelledby="requests-out" {
            h2 #requests-out { (visit.t("people-requests-outgoing")) }
            @if outgoing.is_empty() { p.hint { (visit.t("people-requests-outgoing-none")) } }
            ul.list {
                @for r in &outgoing {
                    li {
                        (widgets::actor_link(&r.to)) " · " (widgets::time(r.created_at))
                        " " (target_button(&visit, "/friends/unfriend", &r.to, "/friends/requests", &visit.t("people-cancel-request"), false))
                    }
                }
            }
        }
    };
    page(&state, &visit, &visit.t("people-requests-title"), body).await
}

/// Requests made to the member, each with its approve and decline buttons.
fn request_list(visit: &Visit, list: &[social::FriendRequest]) -> Markup {
    html! {
        ul.list {
            @for r in list {
                li {
                    p { (widgets::actor_link(&r.from)) " · " (widgets::time(r.created_at)) }
                    @if !r.from.is_local { p.origin { (visit.ta("origin-remote", &[("server", r.from.domain.clone().into())])) } }
                    @if let Some(m) = &r.message { blockquote { (m) } }
                    div.row {
                        form.inline method="post" action=(format!("/friends/requests/{}/accept", r.id)) {
                            (widgets::csrf(visit))
                            button type="submit" { (visit.t("people-approve")) }
                        }
                        form.inline method="post" action=(format!("/friends/requests/{}/reject", r.id)) {
                            (widgets::csrf(visit))
                            button.plain type="submit" { (visit.t("people-decline")) }
                        }
                    }
                }
            }
        }
    }
}

async fn blocks(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    let me = visit.member()?;
    let mut list = social::blocked_by(&state.db, me.actor.id).await?;
    profiles::redact_nicknames(&state.db, &visit.viewer(), list.iter_mut()).await?;
    let body = html! {
        h1 { (visit.t("people-blocks-title")) }
        (tabs(&visit))
        p.hint { (visit.t("people-blocks-about")) }
        @if list.is_empty() { p { (visit.t("people-blocks-none")) } }
        ul.list {
            @for a in &list {
                li {
                    span { (widgets::name_of(a)) " " span.handle { "@" (a.handle()) } }
                    " " (target_button(&visit, "/friends/unblock", a, "/friends/blocks", &visit.t("people-unblock"), false))
                }
            }
        }
    };
    page(&state, &visit, &visit.t("people-blocks-title"), body).await
}

async fn friends_of(
    State(state): State<AppState>,
    visit: Visit,
    Path(name): Path<String>,
    Query(q): Query<After>,
) -> Result<Response, AppError> {
    // As `GET /api/v1/users/{handle}/friends`: the list only when its audience allows.
    let owner = crate::api::resolve_known(&state, &name).await?;
    let viewer = visit.viewer();
    let view = profiles::view(&state.db, &viewer, &owner).await?;
    let mut list = if view.friends_visible {
        social::friends(&state.db, &viewer, owner.id, q.after, PAGE).await?
    } else {
        Vec::new()
    };
    profiles::redact_nicknames(&state.db, &viewer, list.iter_mut()).await?;
    let name = widgets::name_of(&view.actor).to_owned();
    let title = visit.ta("people-friends-of", &[("name", name.into())]);
    let base = format!("/users/{}/friends", owner.api_handle());
    let body = html! {
        h1 { (title) }
        p { a href=(widgets::profile_href(&owner)) { (visit.t("people-back-to-profile")) } }
        @if !view.friends_visible {
            p { (visit.t("people-friends-hidden")) }
        } @else if list.is_empty() && q.after.is_none() {
            p { (visit.t("people-friends-none")) }
        }
        ul.list {
            @for f in &list { li { (widgets::actor_link(f)) } }
        }
        (more(&visit, &base, &list))
    };
    page(&state, &visit, &title, body).await
}

/// `?q=` of the find page.
#[derive(Deserialize, Default)]
pub struct FindQuery {
    #[serde(default)]
    q: String,
}

async fn find(
    State(state): State<AppState>,
    visit: Visit,
    Query(q): Query<FindQuery>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let query = q.q.trim();
    let form = html! {
        form.stack method="get" action="/friends/find" role="search" {
            div {
                label for="find-q" { (visit.t("people-find-label")) }
                input #find-q type="search" name="q" value=(query) autocapitalize="none" aria-describedby="find-hint";
                p.hint #find-hint { (visit.t("people-find-hint")) }
            }
            div { button type="submit" { (visit.t("people-find-submit")) } }
        }
    };
    let mut status = StatusCode::OK;
    let result = if query.is_empty() {
        html! { (widgets::empty(&visit.t("people-find-empty"), None)) }
    } else {
        // The API's friend request resolution: a known account, or WebFinger and the actor
        // document through the signed fetcher (which refuses private addresses).
        let found = match resolve_or_fetch(&state, query).await {
            Ok(a) => profiles::view(&state.db, &visit.viewer(), &a).await.ok(),
            Err(e) if e.status == StatusCode::NOT_FOUND => None,
            Err(e) => return Err(e),
        };
        match found {
            Some(view) => {
                let actor = &view.actor;
                let back = format!("/friends/find?q={}", urlencoding(query));
                let rel = (actor.id != me.actor.id)
                    .then(|| social::relationship(&state.db, me.actor.id, actor.id));
                let rel = match rel {
                    Some(f) => Some(f.await?),
                    None => None,
                };
                html! {
                    article.card {
                        h2 { (widgets::actor_link(actor)) }
                        @if !actor.is_local {
                            p.origin { (visit.ta("origin-remote", &[("server", actor.domain.clone().into())])) }
                        }
                        @if let Some(rel) = &rel {
                            (friend_actions::buttons(&visit, actor, rel, &back))
                        }
                    }
                }
            }
            None => {
                status = StatusCode::NOT_FOUND;
                html! { p.error role="alert" { (visit.ta("people-find-none", &[("handle", query.into())])) } }
            }
        }
    };
    let body = html! {
        h1 { (visit.t("people-find-title")) }
        (tabs(&visit))
        (form)
        (result)
    };
    super::page_with(status, &state, &visit, &visit.t("people-find-title"), body).await
}

/// `s` percent-encoded for a query string.
fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
