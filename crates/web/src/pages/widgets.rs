//! Small pieces every page uses: the form token, audience labels, names with their origin,
//! post bodies, times, empty states and "older" links.

use super::Visit;
use enishi_core::{Actor, Audience, Post};
use maud::{Markup, PreEscaped, html};

/// The hidden form token every state-changing form carries.
pub fn csrf(visit: &Visit) -> Markup {
    html! { input type="hidden" name="csrf" value=(visit.csrf); }
}

/// The message key naming an audience.
pub fn audience_key(a: Audience) -> &'static str {
    match a {
        Audience::Public => "audience-public",
        Audience::Members => "audience-members",
        Audience::FriendsOfFriends => "audience-friends_of_friends",
        Audience::Friends => "audience-friends",
        Audience::Private => "audience-private",
    }
}

fn audience_icon(a: Audience) -> &'static str {
    match a {
        Audience::Public => "🌐",
        Audience::Members => "🏠",
        Audience::FriendsOfFriends => "👥",
        Audience::Friends => "🤝",
        Audience::Private => "🔒",
    }
}

/// An audience as an icon plus a text label (never the icon alone). A post from another
/// server addressed to named people only is labelled "direct", not "only me".
pub fn audience(visit: &Visit, a: Audience, direct: bool) -> Markup {
    let (icon, label) = if direct {
        ("✉️", visit.t("audience-direct"))
    } else {
        (audience_icon(a), visit.t(audience_key(a)))
    };
    html! {
        span.audience {
            span aria-hidden="true" { (icon) }
            " " (label)
        }
    }
}

/// An `<select name=audience>` with every audience, `selected` chosen.
pub fn audience_select(visit: &Visit, id: &str, name: &str, selected: Audience) -> Markup {
    html! {
        select id=(id) name=(name) {
            @for a in Audience::ALL {
                option value=(a.as_str()) selected[a == selected] {
                    (audience_icon(a)) " " (visit.t(audience_key(a)))
                }
            }
        }
    }
}

/// The name to show for an actor: nickname (already redacted where not visible) or username.
pub fn name_of(actor: &Actor) -> &str {
    actor
        .display_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(&actor.username)
}

/// The page of an actor on this instance (members and known remote actors alike).
pub fn profile_href(actor: &Actor) -> String {
    if actor.is_local {
        format!("/users/{}", actor.username)
    } else {
        format!("/@{}", actor.handle())
    }
}

/// A link to the report form for `target`, with the post or comment `object` (a public id)
/// when the report is about one; `described_by` names what it reports, for screen readers.
pub fn report_link(
    visit: &Visit,
    target: &Actor,
    object: Option<&str>,
    described_by: Option<&str>,
) -> Markup {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("target", &target.api_handle());
    if let Some(o) = object {
        query.append_pair("object", o);
    }
    html! {
        a.report href=(format!("/report?{}", query.finish())) rel="nofollow" aria-describedby=[described_by] {
            (visit.t("report-link"))
        }
    }
}

/// A linked name with the handle; remote actors show their server as their origin.
pub fn actor_link(actor: &Actor) -> Markup {
    html! {
        a href=(profile_href(actor)) { (name_of(actor)) }
        " "
        span.handle { "@" (actor.handle()) }
    }
}

/// A post's body: local diaries rendered from Markdown, local voice posts from text, both
/// sanitised; remote ones were sanitised when they arrived. Behind its content warning, if it
/// has one, folded until the reader opens it.
pub fn post_body(post: &Post) -> Markup {
    let body = PreEscaped(enishi_core::render::post_html(post));
    match &post.content_warning {
        Some(cw) => html! {
            details.content-warning {
                summary { (cw) }
                (body)
            }
        },
        None => body,
    }
}

/// A post's photos as thumbnails, each linking to the full image. Their URLs are shown only
/// with the post, so only to those who may see it; the alt text is the image's `alt`.
pub fn photos(post: &Post) -> Markup {
    use enishi_core::media::Variant;
    html! {
        @if !post.media.is_empty() {
            div.photos {
                @for m in &post.media {
                    @if let Some(link) = &m.link {
                        // Another server's file that is not served from here: a link the
                        // member chooses to follow, never an embed.
                        a.attachment-link href=(link) rel="nofollow noopener noreferrer" {
                            (m.description.as_deref().unwrap_or(link))
                        }
                    } @else {
                        a href=(m.path(Variant::Original)) {
                            @if m.preview_width > 0 && m.preview_height > 0 {
                                img src=(m.path(Variant::Preview))
                                    alt=(m.description.as_deref().unwrap_or(""))
                                    width=(m.preview_width) height=(m.preview_height) loading="lazy";
                            } @else {
                                img src=(m.path(Variant::Preview))
                                    alt=(m.description.as_deref().unwrap_or("")) loading="lazy";
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A time as the pages show it (UTC, to the minute), in a `<time>` element.
pub fn time(t: chrono::DateTime<chrono::Utc>) -> Markup {
    html! { time datetime=(t.to_rfc3339()) { (t.format("%Y-%m-%d %H:%M")) } }
}

/// An empty state that tells a member what to do next.
pub fn empty(text: &str, action: Option<(&str, String)>) -> Markup {
    html! {
        div.empty {
            p { (text) }
            @if let Some((href, label)) = action {
                a.button href=(href) { (label) }
            }
        }
    }
}

/// A link to the next (older) page of a list, when there may be one.
pub fn older(visit: &Visit, base: &str, next: Option<i64>) -> Markup {
    html! {
        @if let Some(cursor) = next {
            nav.pager aria-label=(visit.t("pager-label")) {
                a href=(format!("{base}{}before={cursor}", if base.contains('?') { "&" } else { "?" })) { (visit.t("pager-older")) " →" }
            }
        }
    }
}
