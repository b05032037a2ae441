//! A member's home: friends' diaries and voice posts, newest first, with the voice composer,
//! pending friend requests and recent footprints.

use super::visit::Visit;
use super::{page, widgets};
use crate::{AppError, AppState};
use axum::response::Response;
use enishi_core::PostKind;
use enishi_db::posts::PostView;
use enishi_db::social::Direction;
use enishi_db::{footprints, posts, profiles, social};
use maud::{Markup, html};

/// Posts per page of the home timeline.
pub const PAGE: u64 = 20;

/// One post as a card in a list: title or text, author, audience, time and a link to it.
pub fn post_card(visit: &Visit, view: &PostView, booster: Option<&enishi_core::Actor>) -> Markup {
    let post = &view.post;
    let href = format!("/{}/{}", post.kind.path(), post.public_id);
    let direct = !view.author.is_local && post.audience == enishi_core::Audience::Private;
    html! {
        article.card {
            @if let Some(b) = booster {
                p.meta.boosted { (visit.t("posts-boosted-by")) " " (widgets::actor_link(b)) }
            }
            p.meta {
                (widgets::actor_link(&view.author))
                " · " (widgets::audience(visit, post.audience, direct))
                " · " a href=(href) { (widgets::time(post.created_at)) }
            }
            @match post.kind {
                PostKind::Diary => {
                    h3 { a href=(href) { (post.title.as_deref().unwrap_or("")) } }
                    p { (excerpt(&post.body, 140)) }
                }
                PostKind::Voice => {
                    div.body { (widgets::post_body(post)) }
                }
            }
            (widgets::photos(post))
            @if !view.author.is_local {
                p.origin { (visit.ta("origin-remote", &[("server", view.author.domain.clone().into())])) }
            }
        }
    }
}

/// The first `n` characters of a text, with an ellipsis when cut.
pub fn excerpt(text: &str, n: usize) -> String {
    let mut out: String = text.chars().take(n).collect();
    if text.chars().count() > n {
        out.push('…');
    }
    out
}

/// The voice composer, its audience defaulting to the member's setting.
fn composer(state: &AppState, visit: &Visit, default: enishi_core::Audience) -> Markup {
    html! {
        // Multipart for the photo; the form token first, where `check_forms` reads it.
        form.stack.card method="post" action="/voices" enctype="multipart/form-data" {
            (widgets::csrf(visit))
            div {
                label for="voice-text" { (visit.t("voice-composer-label")) }
                textarea #voice-text name="text" rows="3" maxlength="1000" required {}
            }
            (super::post_photos::fieldset(visit, state, PostKind::Voice, &Default::default()))
            div.row {
                label for="voice-audience" { (visit.t("field-audience")) }
                (widgets::audience_select(visit, "voice-audience", "audience", default))
                button type="submit" { (visit.t("voice-post")) }
            }
        }
    }
}

/// The logged-in member's home page.
pub async fn member_home(state: &AppState, visit: &Visit) -> Result<Response, AppError> {
    let me = visit.member()?;
    let viewer = visit.viewer();
    // Three independent reads: on PostgreSQL they run side by side on pooled connections.
    let (mut timeline, mut requests, visits) = tokio::try_join!(
        posts::timeline(&state.db, &viewer, None, PAGE),
        social::requests(&state.db, me.actor.id, Direction::Incoming),
        footprints::list(&state.db, me.actor.id),
    )?;
    // Requests from limited servers wait apart (on the requests page).
    requests.retain(|r| !state.inbox.is_limited(&r.from));
    let mut visits: Vec<_> = visits.into_iter().take(5).collect();
    // Every name on the page obeys its nickname's own audience.
    let names = timeline
        .iter_mut()
        .map(|v| &mut v.author)
        .chain(requests.iter_mut().map(|r| &mut r.from))
        .chain(visits.iter_mut().map(|f| &mut f.visitor));
    profiles::redact_nicknames(&state.db, &viewer, names).await?;
    let mut boosters = enishi_db::boosts::boosters(&state.db, &viewer, &timeline).await?;
    profiles::redact_nicknames(
        &state.db,
        &viewer,
        boosters.values_mut().map(|b| &mut b.actor),
    )
    .await?;
    let next = (timeline.len() as u64 == PAGE)
        .then(|| timeline.last().map(|v| v.post.id.0))
        .flatten();
    let body = html! {
        h1 { (visit.ta("home-title", &[("name", widgets::name_of(&me.actor).into())])) }
        (composer(state, visit, me.settings.default_audience))
        @if !requests.is_empty() {
            section aria-labelledby="home-requests" {
                h2 #home-requests { (visit.ta("home-requests", &[("count", requests.len().into())])) }
                ul.list {
                    @for r in &requests {
                        li { (widgets::actor_link(&r.from)) " " a href="/friends/requests" { (visit.t("home-requests-answer")) } }
                    }
                }
            }
        }
        section aria-labelledby="home-timeline" {
            h2 #home-timeline { (visit.t("home-timeline")) }
            @if timeline.is_empty() {
                (widgets::empty(&visit.t("home-empty"), Some(("/friends/find", visit.t("home-empty-action")))))
                p { a href="/diaries/new" { (visit.t("home-first-diary")) } }
            }
            @for v in &timeline { (post_card(visit, v, boosters.get(&v.post.id).map(|b| &b.actor))) }
            (widgets::older(visit, "/timeline", next))
        }
        section aria-labelledby="home-footprints" {
            h2 #home-footprints { (visit.t("home-footprints")) }
            @if visits.is_empty() {
                p.hint { (visit.t("footprints-empty")) }
            } @else {
                ul.list {
                    @for f in &visits {
                        li { (widgets::actor_link(&f.visitor)) " · " (widgets::time(f.visited_at)) }
                    }
                }
                p { a href="/footprints" { (visit.t("home-footprints-all")) } }
            }
        }
    };
    page(state, visit, &visit.t("nav-home"), body).await
}
