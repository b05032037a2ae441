//! Server-rendered, phone-first HTML that works without JavaScript: a second face of the JSON
//! API on the same `enishi_db` calls and the same audience rule, never a second permission
//! path. Every string comes from the Fluent files (see [`i18n`]); maud escapes all output.

mod admin;
mod admin_domains;
mod admin_invites;
mod admin_members;
mod admin_reports;
mod apps_page;
mod archive_page;
pub mod assets;
pub mod auth;
mod friend_actions;
mod friends;
mod home;
pub mod i18n;
mod introductions;
mod leave;
mod move_page;
mod notices;
mod oauth_authorize;
mod post_delete;
mod post_forms;
mod post_lists;
mod post_page;
mod post_photos;
mod post_reactions;
pub mod posts;
pub mod profile;
pub mod profile_images;
mod report_form;
mod sent_form;
mod settings;
pub mod visit;
mod voice_forms;
mod widgets;

use crate::{AppError, AppState};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use enishi_core::RegistrationMode;
use i18n::Lang;
use maud::{DOCTYPE, Markup, html};
pub use visit::Visit;

/// Routes for the pages. State-changing requests among them pass [`visit::check_forms`].
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .merge(auth::routes())
        .merge(admin::routes())
        .merge(posts::routes())
        .merge(people_routes())
        .layer(axum::middleware::from_fn_with_state(
            state,
            visit::check_forms,
        ))
        .merge(assets::routes())
}

/// Profiles, friends, introductions, notifications, footprints and settings.
fn people_routes() -> Router<AppState> {
    Router::new()
        .merge(profile::routes())
        .merge(friends::routes())
        .merge(introductions::routes())
        .merge(notices::routes())
        .merge(settings::routes())
        .merge(report_form::routes())
        .merge(leave::routes())
        .merge(archive_page::routes())
        .merge(move_page::routes())
        .merge(oauth_authorize::routes())
        .merge(apps_page::routes())
        .merge(profile_images::routes())
}

/// A page's outer frame: landmarks, the site bar with navigation for members, the language
/// switch and the stylesheet (no inline style or script: the CSP forbids both).
pub async fn page(
    state: &AppState,
    visit: &Visit,
    title: &str,
    body: Markup,
) -> Result<Response, AppError> {
    let unread = match &visit.member {
        Some(_) => enishi_db::notifications::unread_count(&state.db, &visit.viewer()).await?,
        None => 0,
    };
    Ok(frame(state, visit, title, unread, body).into_response())
}

/// The `<head>` of every page: charset, phone viewport, title and the one stylesheet.
fn head(title: &str, site: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " — " (site) }
            link rel="stylesheet" href=(assets::stylesheet_path());
        }
    }
}

fn frame(state: &AppState, visit: &Visit, title: &str, unread: u64, body: Markup) -> Markup {
    let site = &state.settings.name;
    html! {
        (DOCTYPE)
        html lang=(visit.lang.tag()) {
            (head(title, site))
            body {
                a.skip href="#main" { (visit.t("skip-to-content")) }
                header.site {
                    div.bar {
                        a href="/" { (site) }
                        @if let Some(m) = &visit.member {
                            span { "@" (m.actor.username) }
                        }
                    }
                    nav aria-label=(visit.t("nav-label")) {
                        ul {
                            @if let Some(m) = &visit.member {
                                li { a href="/" { (visit.t("nav-home")) } }
                                li { a href="/diaries/new" { (visit.t("nav-write-diary")) } }
                                li { a href="/friends" { (visit.t("nav-friends")) } }
                                li {
                                    a href="/notifications" {
                                        (visit.t("nav-notifications"))
                                        @if unread > 0 {
                                            " " span.badge aria-label=(visit.ta("notifications-unread", &[("count", unread.into())])) { (unread) }
                                        }
                                    }
                                }
                                li { a href="/footprints" { (visit.t("nav-footprints")) } }
                                li { a href=(format!("/users/{}", m.actor.username)) { (visit.t("nav-profile")) } }
                                li { a href="/settings" { (visit.t("nav-settings")) } }
                                @if m.is_admin {
                                    li { a href="/admin" { (visit.t("nav-admin")) } }
                                } @else if m.is_moderator {
                                    li { a href="/admin/reports" { (visit.t("nav-reports")) } }
                                }
                            } @else {
                                li { a href="/login" { (visit.t("nav-login")) } }
                                li { a href="/signup" { (visit.t("nav-signup")) } }
                            }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
                footer.foot {
                    form.lang-switch method="post" action="/language" {
                        (widgets::csrf(visit))
                        label for="lang-select" { (visit.t("language")) }
                        select #lang-select name="lang" {
                            @for l in Lang::ALL {
                                option value=(l.tag()) selected[l == visit.lang] { (l.own_name()) }
                            }
                        }
                        button.plain type="submit" { (visit.t("language-switch")) }
                    }
                    @if visit.member.is_some() {
                        form.inline method="post" action="/logout" {
                            (widgets::csrf(visit))
                            button.plain type="submit" { (visit.t("nav-logout")) }
                        }
                    }
                    p { (visit.t("footer-powered")) }
                }
            }
        }
    }
}

/// A page answered with a status other than 200: a form shown again with its refusal, or a
/// search that found nothing.
pub async fn page_with(
    status: axum::http::StatusCode,
    state: &AppState,
    visit: &Visit,
    title: &str,
    body: Markup,
) -> Result<Response, AppError> {
    let mut r = page(state, visit, title, body).await?;
    *r.status_mut() = status;
    Ok(r)
}

/// A page refused by a rate limit: 429 with `Retry-After`.
pub fn rate_limited(mut r: Response, wait: std::time::Duration) -> Response {
    *r.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
    r.headers_mut()
        .insert(axum::http::header::RETRY_AFTER, wait_secs(wait).into());
    r
}

/// Whole seconds to wait, at least one.
pub fn wait_secs(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// A redirect after a successful form (303, so the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

async fn home(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    if visit.member.is_some() {
        return home::member_home(&state, &visit).await;
    }
    let mode =
        enishi_db::instance::registration_mode(&state.db, state.settings.registration).await?;
    let joining = match mode {
        RegistrationMode::Open => visit.t("front-joining-open"),
        RegistrationMode::Invite => visit.t("front-joining-invite"),
        RegistrationMode::Closed => visit.t("front-joining-closed"),
    };
    let body = html! {
        h1 { (state.settings.name) }
        p { (visit.t("front-about")) }
        p { (joining) }
        div.row {
            a.button href="/login" { (visit.t("nav-login")) }
            @if mode != RegistrationMode::Closed {
                a.button.plain href="/signup" { (visit.t("nav-signup")) }
            }
        }
    };
    page(&state, &visit, &visit.t("front-title"), body).await
}

/// The HTML rendering of an error, for browsers, in the language the request asks for.
pub fn error_page(err: &AppError, lang: Lang, site: &str) -> Markup {
    let title = match err.status.as_u16() {
        400 => lang.t("error-400"),
        401 => lang.t("error-401"),
        403 => lang.t("error-403"),
        404 => lang.t("error-404"),
        409 => lang.t("error-409"),
        413 => lang.t("error-413"),
        422 => lang.t("error-422"),
        429 => lang.t("error-429"),
        _ => lang.t("error-other"),
    };
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            (head(&title, site))
            body {
                header.site { div.bar { a href="/" { (site) } } }
                main #main {
                    h1 { (title) }
                    p.error { (err.message) }
                    p { a href="/" { (lang.t("error-back-home")) } }
                }
            }
        }
    }
}
