//! Server-rendered, mobile-first HTML that works without JavaScript.

use crate::{AppError, AppState};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use enishi_core::RegistrationMode;
use enishi_db::profiles::ProfileView;
use maud::{DOCTYPE, Markup, html};

/// Routes for plain pages.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;line-height:1.5;color:#222;background:#fffdf8}\
header{border-bottom:2px solid #e8a33d;margin-bottom:1rem}header a{color:#b05c00;text-decoration:none;font-weight:bold}\
.handle{color:#666}.card{background:#fff;border:1px solid #eee;border-radius:8px;padding:1rem;margin:1rem 0}";

fn layout(title: &str, site: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (site) }
                style { (STYLE) }
            }
            body {
                header { a href="/" { (site) } }
                main { (body) }
            }
        }
    }
}

async fn home(State(state): State<AppState>) -> Markup {
    let s = &state.settings;
    let joining = match s.registration {
        RegistrationMode::Open => "Anyone may join.",
        RegistrationMode::Invite => "Joining is by invitation from a member.",
        RegistrationMode::Closed => "New accounts are created by the administrator.",
    };
    layout(
        "Home",
        &s.name,
        html! {
            h1 { (s.name) }
            p { "A community on Enishi (縁): mutual friendships, diaries, voice posts and introductions, each with its own audience." }
            p { (joining) }
        },
    )
}

/// A member's profile page as an anonymous visitor may see it.
pub fn profile_page(state: &AppState, view: &ProfileView) -> Markup {
    let actor = &view.actor;
    let nickname = actor
        .display_name
        .clone()
        .unwrap_or_else(|| actor.username.clone());
    layout(
        &nickname,
        &state.settings.name,
        html! {
            div.card {
                h1 { (nickname) }
                p.handle { "@" (actor.handle()) }
                @if let Some(bio) = &actor.summary {
                    // Bios are escaped (local) or sanitised (remote) HTML before storage.
                    div.bio { (maud::PreEscaped(bio)) }
                }
                @if !view.fields.is_empty() {
                    dl {
                        @for field in &view.fields {
                            dt { (field.name) }
                            dd { (field.value) }
                        }
                    }
                }
            }
        },
    )
}

/// A diary or voice post's page (the caller has checked that the visitor may see it).
pub fn post_page(state: &AppState, view: &enishi_db::posts::PostView) -> Markup {
    let post = &view.post;
    let author = view
        .author
        .display_name
        .clone()
        .unwrap_or_else(|| view.author.username.clone());
    let title = post.title.clone().unwrap_or_else(|| author.clone());
    let html_body = post
        .content_html
        .clone()
        .unwrap_or_else(|| enishi_core::content::text_to_html(&post.body));
    layout(
        &title,
        &state.settings.name,
        html! {
            article.card {
                @if let Some(t) = &post.title { h1 { (t) } }
                p.handle { (author) " @" (view.author.handle()) " · " (post.created_at.format("%Y-%m-%d %H:%M")) }
                // Local bodies are escaped by text_to_html; remote ones were sanitised on arrival.
                div { (maud::PreEscaped(html_body)) }
            }
        },
    )
}

/// The HTML rendering of an error, for browsers.
pub fn error_page(err: &AppError) -> Markup {
    layout(
        err.status.canonical_reason().unwrap_or("Error"),
        "Enishi",
        html! {
            h1 { (err.status.as_u16()) " " (err.status.canonical_reason().unwrap_or("")) }
            p { (err.message) }
        },
    )
}
