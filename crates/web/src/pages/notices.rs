//! Notifications (お知らせ) and footprints (足あと), the member's own: the same reads as
//! `GET /api/v1/notifications` (plus `POST …/read` when the first page is viewed) and
//! `GET /api/v1/footprints`.

use super::visit::Visit;
use super::{page, widgets};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use enishi_core::{NotificationKind, PostKind};
use enishi_db::notifications::Notification;
use enishi_db::{footprints, notifications, profiles};
use maud::{Markup, html};
use serde::Deserialize;

/// Notifications per page.
const PAGE: u64 = 30;

/// Routes for notifications and footprints.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/footprints", get(footprints_page))
}

/// `?before=` cursor.
#[derive(Deserialize, Default)]
pub struct Before {
    before: Option<i64>,
}

/// What a notification says, and where it leads.
fn line(visit: &Visit, n: &Notification) -> (String, String) {
    let name = widgets::name_of(&n.actor).to_owned();
    let args = [("name", name.into())];
    let post = n
        .post
        .as_ref()
        .map(|(id, kind)| format!("/{}/{id}", kind.path()));
    let mine = visit
        .member
        .as_ref()
        .map(|m| format!("/users/{}", m.actor.username))
        .unwrap_or_default();
    let what = |kind: Option<PostKind>| match kind {
        Some(PostKind::Voice) => "voice",
        _ => "diary",
    };
    let kind = n.post.as_ref().map(|(_, k)| *k);
    match n.kind {
        NotificationKind::FriendRequest => (
            visit.ta("people-notice-friend-request", &args),
            "/friends/requests".into(),
        ),
        NotificationKind::FriendAccepted => (
            visit.ta("people-notice-friend-accepted", &args),
            widgets::profile_href(&n.actor),
        ),
        NotificationKind::Comment => (
            visit.ta(
                "people-notice-comment",
                &[("name", args[0].1.clone()), ("what", what(kind).into())],
            ),
            post.unwrap_or(mine),
        ),
        NotificationKind::Like => (
            visit.ta(
                "people-notice-like",
                &[("name", args[0].1.clone()), ("what", what(kind).into())],
            ),
            post.unwrap_or(mine),
        ),
        NotificationKind::Boost => (
            visit.ta(
                "people-notice-boost",
                &[("name", args[0].1.clone()), ("what", what(kind).into())],
            ),
            post.unwrap_or(mine),
        ),
        NotificationKind::Introduction => (
            visit.ta("people-notice-introduction", &args),
            format!("{mine}#introductions"),
        ),
        NotificationKind::ServerBlocked => (
            visit.ta("people-notice-server-blocked", &args),
            widgets::profile_href(&n.actor),
        ),
        NotificationKind::Mention => {
            let what = if n.comment.is_some() {
                "comment"
            } else {
                what(kind)
            };
            (
                visit.ta(
                    "people-notice-mention",
                    &[("name", args[0].1.clone()), ("what", what.into())],
                ),
                post.unwrap_or(mine),
            )
        }
    }
}

async fn list(
    State(state): State<AppState>,
    visit: Visit,
    Query(q): Query<Before>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let viewer = visit.viewer();
    let mut items = notifications::list(&state.db, &viewer, q.before, PAGE).await?;
    profiles::redact_nicknames(&state.db, &viewer, items.iter_mut().map(|n| &mut n.actor)).await?;
    // Seeing the list is reading it (as `POST /api/v1/notifications/read`); the ones that were
    // new keep their mark on this page.
    if q.before.is_none() {
        notifications::mark_all_read(&state.db, me.actor.id).await?;
    }
    let next = (items.len() as u64 == PAGE)
        .then(|| items.last().map(|n| n.id))
        .flatten();
    let body = html! {
        h1 { (visit.t("nav-notifications")) }
        @if items.is_empty() && q.before.is_none() {
            (widgets::empty(&visit.t("people-notices-empty"), Some(("/friends/find", visit.t("people-find-title")))))
        }
        ul.list {
            @for n in &items {
                @let (text, href) = line(&visit, n);
                li {
                    @if !n.read { span.badge { (visit.t("people-notice-new")) } " " }
                    a href=(href) { (text) }
                    " · " (widgets::time(n.created_at))
                }
            }
        }
        (widgets::older(&visit, "/notifications", next))
    };
    page(&state, &visit, &visit.t("nav-notifications"), body).await
}

fn target(visit: &Visit, f: &footprints::Footprint) -> Markup {
    html! {
        @match &f.target {
            footprints::Target::Profile => {
                @if let Some(m) = &visit.member {
                    a href=(format!("/users/{}", m.actor.username)) { (visit.t("people-footprint-profile")) }
                }
            }
            footprints::Target::Diary(_, id) => {
                a href=(format!("/{}/{id}", PostKind::Diary.path())) { (visit.t("people-footprint-diary")) }
            }
        }
    }
}

async fn footprints_page(
    State(state): State<AppState>,
    visit: Visit,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let mut list = footprints::list(&state.db, me.actor.id).await?;
    profiles::redact_nicknames(
        &state.db,
        &visit.viewer(),
        list.iter_mut().map(|f| &mut f.visitor),
    )
    .await?;
    let body = html! {
        h1 { (visit.t("nav-footprints")) }
        p.hint { (visit.t("people-footprints-about")) }
        @if !me.settings.footprints_enabled {
            p { (visit.t("people-footprints-off")) " " a href="/settings" { (visit.t("nav-settings")) } }
        }
        @if list.is_empty() {
            (widgets::empty(&visit.t("footprints-empty"), Some(("/diaries/new", visit.t("nav-write-diary")))))
        }
        ul.list {
            @for f in &list {
                li {
                    (widgets::actor_link(&f.visitor)) " → " (target(&visit, f))
                    " · " (widgets::time(f.visited_at))
                }
            }
        }
    };
    page(&state, &visit, &visit.t("nav-footprints"), body).await
}
