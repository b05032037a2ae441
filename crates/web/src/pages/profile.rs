//! Profiles: a member's page at their actor URL (`/users/{name}`, for browsers) and a remote
//! account's page at `/@name@domain`, from what this instance already knows. Each part shows
//! only if the viewer may see it (`profiles::view`, the API's profile read), with the
//! relationship buttons, introductions, a friends preview and a link to the diaries.

use super::friend_actions::{self, target_button};
use super::visit::Visit;
use super::{page, see_other, widgets};
use crate::api::resolve_known;
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use enishi_core::media::Variant;
use enishi_core::{Actor, Audience, IntroductionState};
use enishi_db::introductions::IntroductionView;
use enishi_db::profiles::ProfileView;
use enishi_db::social::Relationship;
use enishi_db::{footprints, introductions, profiles, relations, social};
use maud::{Markup, PreEscaped, html};

/// How many friends the profile shows before "all friends".
const FRIENDS_PREVIEW: u64 = 6;

/// Routes for remote profiles.
pub fn routes() -> Router<AppState> {
    Router::new().route("/@{handle}", get(remote_profile))
}

/// An introduction being written that was refused: its text and why.
pub struct Draft {
    /// The text as sent.
    pub text: String,
    /// Why it was refused, in the visitor's language.
    pub error: String,
}

/// The profile page of `owner` (a member or a known remote account) as the visitor may see it.
/// A member's visit leaves a footprint, as the API's profile read does.
pub async fn show(
    state: &AppState,
    visit: &Visit,
    owner: &Actor,
    draft: Option<Draft>,
) -> Result<Response, AppError> {
    let viewer = visit.viewer();
    let view = match profiles::view(&state.db, &viewer, owner).await {
        Ok(v) => v,
        Err(e) => {
            // The blocker still gets the unblock button, and nothing of the profile.
            if let Some(me) = &visit.member
                && relations::blocks(&state.db.conn, me.actor.id, owner.id).await?
            {
                return blocked_page(state, visit, owner).await;
            }
            return Err(e.into());
        }
    };
    let rel = match viewer.actor {
        Some(me) if me != owner.id => Some(social::relationship(&state.db, me, owner.id).await?),
        _ => None,
    };
    if let Some(me) = viewer.actor
        && owner.is_local
    {
        footprints::record(&state.db, me, owner.id, footprints::Target::Profile).await?;
    }
    let mut intros = introductions::list_for_subject(&state.db, &viewer, owner.id).await?;
    profiles::redact_nicknames(
        &state.db,
        &viewer,
        intros
            .iter_mut()
            .flat_map(|v| [&mut v.writer, &mut v.subject]),
    )
    .await?;
    let section = introductions::section_audience(&state.db, owner.id).await?;
    let friends = if view.friends_visible {
        let mut list = social::friends(&state.db, &viewer, owner.id, None, FRIENDS_PREVIEW).await?;
        profiles::redact_nicknames(&state.db, &viewer, list.iter_mut()).await?;
        Some(list)
    } else {
        None
    };
    let status = if draft.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let parts = Parts {
        view: &view,
        rel: rel.as_ref(),
        intros: &intros,
        section,
        friends: friends.as_deref(),
        draft: draft.as_ref(),
    };
    let body = render(visit, owner, &parts);
    super::page_with(status, state, visit, widgets::name_of(&view.actor), body).await
}

/// A page for someone the member blocks: only the unblock button.
async fn blocked_page(
    state: &AppState,
    visit: &Visit,
    owner: &Actor,
) -> Result<Response, AppError> {
    let back = widgets::profile_href(owner);
    let body = html! {
        h1 { "@" (owner.handle()) }
        p { (visit.t("people-rel-blocking")) }
        (target_button(visit, "/friends/unblock", owner, &back, &visit.t("people-unblock"), false))
    };
    page(state, visit, &owner.handle(), body).await
}

async fn remote_profile(
    State(state): State<AppState>,
    visit: Visit,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    // Only what the instance already knows: no fetch while a page is asked for.
    let owner = resolve_known(&state, &handle).await?;
    if owner.is_local {
        return Ok(see_other(&widgets::profile_href(&owner)));
    }
    show(&state, &visit, &owner, None).await
}

struct Parts<'a> {
    view: &'a ProfileView,
    rel: Option<&'a Relationship>,
    intros: &'a [IntroductionView],
    section: Audience,
    friends: Option<&'a [Actor]>,
    draft: Option<&'a Draft>,
}

fn render(visit: &Visit, owner: &Actor, p: &Parts<'_>) -> Markup {
    let actor = &p.view.actor;
    let me = visit.member.as_ref().map(|m| m.actor.id);
    let is_self = me == Some(owner.id);
    let back = widgets::profile_href(owner);
    let images = &p.view.images;
    html! {
        div.card {
            @if let Some(h) = &images.header {
                img.profile-header src=(h.path(Variant::Original)) width=(h.width) height=(h.height)
                    alt=(h.description.as_deref().unwrap_or_default());
            }
            @if let Some(a) = &images.avatar {
                img.avatar src=(a.path(Variant::Preview)) width=(a.preview_width) height=(a.preview_height)
                    alt=(a.description.as_deref().unwrap_or_default());
            }
            h1 { (widgets::name_of(actor)) }
            p.handle { "@" (owner.handle()) }
            @if !owner.is_local {
                p.origin { (visit.ta("origin-remote", &[("server", owner.domain.clone().into())])) }
                @if let Some(href) = original_page(owner) {
                    p { a href=(href) rel="nofollow noopener noreferrer" { (visit.t("people-remote-original")) } }
                }
            }
            @if let Some(bio) = &actor.summary {
                // Local bios are escaped text; remote ones were sanitised when they arrived.
                div.body { (PreEscaped(bio)) }
            }
            @if !p.view.fields.is_empty() {
                dl.fields {
                    @for field in &p.view.fields {
                        dt { (field.name) }
                        dd { (field.value) " " (widgets::audience(visit, field.audience, false)) }
                    }
                }
            }
            @if is_self {
                p.row {
                    a.button.plain href="/settings/profile" { (visit.t("people-edit-profile")) }
                    a.button.plain href="/settings" { (visit.t("nav-settings")) }
                }
            }
            @if let Some(rel) = p.rel {
                (friend_actions::buttons(visit, owner, rel, &back))
            }
        }
        @if owner.is_local {
            p { a href=(format!("/users/{}/diaries", owner.username)) { (visit.t("people-diaries-link")) } }
        }
        (introductions_section(visit, owner, p))
        @if let Some(list) = p.friends {
            section aria-labelledby="profile-friends" {
                h2 #profile-friends { (visit.t("people-friends-title")) }
                @if let Some(a) = p.view.actor.friends_audience {
                    p.meta { (widgets::audience(visit, a, false)) }
                }
                @if list.is_empty() {
                    p.hint { (visit.t("people-friends-none")) }
                } @else {
                    ul.list {
                        @for f in list { li { (widgets::actor_link(f)) } }
                    }
                    @if owner.is_local {
                        p { a href=(format!("/users/{}/friends", owner.username)) { (visit.t("people-friends-all")) } }
                    }
                }
            }
        }
    }
}

/// The remote account's own page, when it is a web address (never a `javascript:` link).
fn original_page(owner: &Actor) -> Option<&str> {
    let url = owner.url.as_ref().unwrap_or(&owner.ap_id);
    matches!(url.scheme(), "https" | "http").then_some(url.as_str())
}

fn introductions_section(visit: &Visit, owner: &Actor, p: &Parts<'_>) -> Markup {
    let me = visit.member.as_ref().map(|m| m.actor.id);
    let is_self = me == Some(owner.id);
    let wrote_one = p.intros.iter().any(|v| Some(v.writer.id) == me);
    let may_write = p.rel.is_some_and(|r| r.friend) && !wrote_one;
    let back = widgets::profile_href(owner);
    if !p.view.introductions_visible && p.intros.is_empty() && !may_write {
        return html! {};
    }
    html! {
        section #introductions aria-labelledby="profile-intros" {
            h2 #profile-intros { (visit.t("people-intros-title")) }
            p.meta { (widgets::audience(visit, p.section, false)) }
            @if p.intros.is_empty() {
                @if is_self {
                    (widgets::empty(&visit.t("people-intros-none-self"), Some(("/friends", visit.t("nav-friends")))))
                } @else {
                    p.hint { (visit.t("people-intros-none")) }
                }
            }
            @for v in p.intros {
                @let i = &v.introduction;
                @let hidden = i.state == IntroductionState::Hidden;
                article.card {
                    p.meta {
                        (widgets::actor_link(&v.writer)) " · " (widgets::time(i.updated_at))
                        @if hidden { " · " span.audience { (visit.t("people-intro-hidden")) } }
                    }
                    @if !v.writer.is_local {
                        p.origin { (visit.ta("origin-remote", &[("server", v.writer.domain.clone().into())])) }
                    }
                    div.body { (PreEscaped(enishi_core::render::plain_html(&i.body))) }
                    div.row {
                        @if me == Some(i.writer) {
                            a.button.plain href=(format!("/introductions/{}/edit", i.public_id)) { (visit.t("people-intro-edit")) }
                        }
                        @if is_self {
                            @if hidden {
                                (intro_button(visit, &i.public_id, "show", &back, &visit.t("people-intro-show"), false))
                            } @else {
                                (intro_button(visit, &i.public_id, "hide", &back, &visit.t("people-intro-hide"), false))
                            }
                        }
                        @if me == Some(i.writer) || is_self {
                            (intro_button(visit, &i.public_id, "delete", &back, &visit.t("people-intro-delete"), true))
                        }
                    }
                }
            }
            @if may_write {
                form.stack method="post" action=(format!("/users/{}/introductions", owner.api_handle())) {
                    (widgets::csrf(visit))
                    h3 { (visit.t("people-intro-write")) }
                    @if let Some(d) = p.draft { p.error role="alert" { (d.error) } }
                    div {
                        label for="intro-text" { (visit.ta("people-intro-write-label", &[("name", widgets::name_of(&p.view.actor).into())])) }
                        textarea #intro-text name="text" rows="4" maxlength="1000" required {
                            @if let Some(d) = p.draft { (d.text) }
                        }
                    }
                    div { button type="submit" { (visit.t("people-intro-submit")) } }
                }
            }
        }
    }
}

/// A one-button form acting on an introduction (`hide`, `show`, `delete`).
pub fn intro_button(
    visit: &Visit,
    public_id: &str,
    action: &str,
    back: &str,
    label: &str,
    danger: bool,
) -> Markup {
    html! {
        form.inline method="post" action=(format!("/introductions/{public_id}/{action}")) {
            (widgets::csrf(visit))
            input type="hidden" name="back" value=(back);
            @if danger {
                button.danger type="submit" { (label) }
            } @else {
                button.plain type="submit" { (label) }
            }
        }
    }
}
