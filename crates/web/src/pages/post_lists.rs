//! Lists of posts: older pages of the home timeline, a member's diaries (both read through the
//! same calls as the API's `timeline` and `member_diaries`), and the posts with a hashtag.

use super::home::{PAGE, excerpt, post_card};
use super::posts::{Before, href};
use super::visit::Visit;
use super::{page, widgets};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use enishi_core::PostKind;
use enishi_db::posts::{self, PostView};
use maud::html;

/// The cursor of the next page, when this one is full.
fn next_of(list: &[PostView]) -> Option<i64> {
    (list.len() as u64 == PAGE)
        .then(|| list.last().map(|v| v.post.id.0))
        .flatten()
}

/// `GET /timeline?before=`: the home timeline after its first page (which the home page shows).
pub async fn timeline(
    State(state): State<AppState>,
    visit: Visit,
    Query(q): Query<Before>,
) -> Result<Response, AppError> {
    visit.member()?;
    let viewer = visit.viewer();
    let mut list = posts::timeline(&state.db, &viewer, q.cursor()?, PAGE).await?;
    enishi_db::profiles::redact_nicknames(
        &state.db,
        &viewer,
        list.iter_mut().map(|v| &mut v.author),
    )
    .await?;
    let mut boosters = enishi_db::boosts::boosters(&state.db, &viewer, &list).await?;
    enishi_db::profiles::redact_nicknames(
        &state.db,
        &viewer,
        boosters.values_mut().map(|b| &mut b.actor),
    )
    .await?;
    let title = visit.t("home-timeline");
    let body = html! {
        h1 { (title) }
        section aria-labelledby="timeline-older" {
            h2 #timeline-older { (visit.t("posts-timeline-older")) }
            @if list.is_empty() {
                (widgets::empty(&visit.t("posts-timeline-end"), Some(("/", visit.t("nav-home")))))
            }
            @for v in &list { (post_card(&visit, v, boosters.get(&v.post.id).map(|b| &b.actor))) }
            (widgets::older(&visit, "/timeline", next_of(&list)))
        }
    };
    page(&state, &visit, &title, body).await
}

/// `GET /users/{name}/diaries?before=`: a member's diaries that the visitor may see.
pub async fn member_diaries(
    State(state): State<AppState>,
    visit: Visit,
    Path(name): Path<String>,
    Query(q): Query<Before>,
) -> Result<Response, AppError> {
    let cursor = q.cursor()?;
    let not_found = || AppError::not_found(enishi_core::unknown_account(&name));
    // Members of this instance only: other servers' members have their own pages there.
    let mut author = crate::wellknown::live_member_actor(&state, &name)
        .await?
        .ok_or_else(not_found)?;
    let viewer = visit.viewer();
    let list =
        crate::api::posts::member_posts(&state, &viewer, &author, PostKind::Diary, cursor, PAGE)
            .await?;
    enishi_db::profiles::redact_nicknames(&state.db, &viewer, [&mut author]).await?;
    let own = viewer.actor == Some(author.id);
    let title = visit.ta(
        "posts-diaries-of",
        &[("name", widgets::name_of(&author).into())],
    );
    let base = format!("/users/{}/diaries", author.username);
    let body = html! {
        h1 { (title) }
        p.meta { (widgets::actor_link(&author)) }
        @if own {
            p { a.button href="/diaries/new" { (visit.t("nav-write-diary")) } }
        }
        @if list.is_empty() {
            @if own && cursor.is_none() {
                (widgets::empty(&visit.t("posts-diaries-empty-own"), Some(("/diaries/new", visit.t("nav-write-diary")))))
            } @else {
                (widgets::empty(&visit.t("posts-diaries-empty"), None))
            }
        }
        @for v in &list {
            @let link = href(PostKind::Diary, &v.post.public_id);
            article.card {
                h2 { a href=(link) { (v.post.title.as_deref().unwrap_or("")) } }
                p.meta {
                    (widgets::audience(&visit, v.post.audience, false))
                    " · " (widgets::time(v.post.created_at))
                }
                p { (excerpt(&v.post.body, 140)) }
            }
        }
        (widgets::older(&visit, &base, next_of(&list)))
    };
    page(&state, &visit, &title, body).await
}

/// `GET /tags/{tag}?before=`: the posts with a hashtag that the visitor may see, from members
/// here and from the accounts they follow.
pub async fn tagged(
    State(state): State<AppState>,
    visit: Visit,
    Path(tag): Path<String>,
    Query(q): Query<Before>,
) -> Result<Response, AppError> {
    let cursor = q.cursor()?;
    let tag = enishi_core::mention::normalise_hashtag(tag.trim_start_matches('#'));
    let viewer = visit.viewer();
    let mut list = posts::tagged(&state.db, &viewer, &tag, cursor, PAGE).await?;
    enishi_db::profiles::redact_nicknames(
        &state.db,
        &viewer,
        list.iter_mut().map(|v| &mut v.author),
    )
    .await?;
    let title = format!("#{tag}");
    let encoded: String = url::form_urlencoded::byte_serialize(tag.as_bytes()).collect();
    let base = format!("/tags/{encoded}");
    let body = html! {
        h1 { (title) }
        section aria-labelledby="tag-posts" {
            h2 #tag-posts { (visit.t("posts-tag-posts")) }
            @if list.is_empty() {
                (widgets::empty(&visit.t("posts-tag-empty"), None))
            }
            @for v in &list { (post_card(&visit, v, None)) }
            (widgets::older(&visit, &base, next_of(&list)))
        }
    };
    page(&state, &visit, &title, body).await
}
