//! The page of one diary or voice post, for browsers at the post's own id URL: the post, its
//! イイネ! with who gave them, its comments and the forms to add to both.
//!
//! It reads exactly as the API does (`api::posts::read`: the audience rule, nickname
//! redaction, a footprint on a diary); a post the visitor may not see is a plain 404.

use super::posts::href;
use super::visit::Visit;
use super::{page, widgets};
use crate::{AppError, AppState};
use axum::response::Response;
use enishi_core::{Actor, Comment, PostKind};
use enishi_db::posts::PostView;
use enishi_db::reactions::{self, CommentView};
use maud::{Markup, PreEscaped, html};

/// Comments shown per page of a post.
pub const COMMENTS: u64 = 100;

/// A comment being written, shown again when it was refused.
#[derive(Debug, Default)]
pub struct Draft {
    /// What was written.
    pub text: String,
    /// Why it was refused.
    pub error: Option<String>,
}

/// `?after=` of a post page: the last comment of the page before.
#[derive(Debug, Default, serde::Deserialize)]
pub struct After {
    after: Option<String>,
}

/// The page of a post for a browser (GET at the post's id URL); `after` pages the comments.
pub async fn show(
    state: &AppState,
    visit: &Visit,
    kind: PostKind,
    id: &str,
    after: &After,
) -> Result<Response, AppError> {
    let after = super::posts::cursor(after.after.as_deref())?;
    let view = crate::api::posts::read(state, &visit.viewer(), kind, id).await?;
    render(state, visit, view, after, Draft::default()).await
}

/// The page of a post already read (and redacted) for `visit`.
pub async fn render(
    state: &AppState,
    visit: &Visit,
    view: PostView,
    after: Option<i64>,
    draft: Draft,
) -> Result<Response, AppError> {
    let viewer = visit.viewer();
    // The same reads as the API's comment and like lists: only the people the visitor may see.
    // Independent reads: on PostgreSQL they run side by side on pooled connections.
    let (mut comments, mut likers, liked) = tokio::try_join!(
        reactions::comments_of(&state.db, &viewer, &view, after, COMMENTS),
        reactions::likers_of(&state.db, &viewer, view.post.id),
        reactions::has_liked(&state.db, &viewer, view.post.id),
    )?;
    enishi_db::profiles::redact_nicknames(
        &state.db,
        &viewer,
        comments
            .iter_mut()
            .map(|c| &mut c.author)
            .chain(likers.iter_mut()),
    )
    .await?;
    let title = match (&view.post.title, view.post.kind) {
        (Some(t), PostKind::Diary) => t.clone(),
        _ => visit.ta(
            "posts-voice-heading",
            &[("name", widgets::name_of(&view.author).into())],
        ),
    };
    let more = (comments.len() as u64 == COMMENTS)
        .then(|| comments.last().map(|c| c.comment.id))
        .flatten();
    let body = html! {
        (article(visit, &view, &title))
        (likes(visit, &view, &likers, liked))
        (comment_section(visit, &view, &comments, more, &draft))
    };
    let mut r = page(state, visit, &title, body).await?;
    if draft.error.is_some() {
        *r.status_mut() = super::posts::REFUSED;
    }
    Ok(r)
}

/// The post itself, with the author's own buttons.
fn article(visit: &Visit, view: &PostView, title: &str) -> Markup {
    let post = &view.post;
    let own = visit.viewer().actor == Some(post.author);
    let direct = !view.author.is_local && post.audience == enishi_core::Audience::Private;
    let base = href(post.kind, &post.public_id);
    html! {
        article.card aria-labelledby="post-title" {
            h1 #post-title { (title) }
            p.meta {
                (widgets::actor_link(&view.author))
                " · " (widgets::audience(visit, post.audience, direct))
                " · " (widgets::time(post.created_at))
                @if post.updated_at > post.created_at {
                    " " span.hint { (visit.t("posts-edited")) }
                }
            }
            @if !view.author.is_local {
                p.origin {
                    (visit.ta("origin-remote", &[("server", view.author.domain.clone().into())]))
                    " · " a href=(post.ap_id.as_str()) rel="noopener nofollow" { (visit.t("posts-original")) }
                }
            }
            div.body { (widgets::post_body(post)) }
            (widgets::photos(post))
            @if own {
                div.row {
                    a.button.plain href=(format!("{base}/edit")) { (visit.t(edit_key(post.kind))) }
                    a.button.plain href=(format!("{base}/delete")) { (visit.t(delete_key(post.kind))) }
                }
            } @else if visit.member.is_some() {
                p { (widgets::report_link(visit, &view.author, Some(&post.public_id), Some("post-title"))) }
            }
        }
    }
}

fn edit_key(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Diary => "posts-edit-diary",
        PostKind::Voice => "posts-edit-voice",
    }
}

fn delete_key(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Diary => "posts-delete-diary",
        PostKind::Voice => "posts-delete-voice",
    }
}

/// イイネ!: the count, the toggle for members and who gave them.
fn likes(visit: &Visit, view: &PostView, likers: &[Actor], liked: bool) -> Markup {
    let base = href(view.post.kind, &view.post.public_id);
    html! {
        section #likes aria-labelledby="likes-heading" {
            h2 #likes-heading { (visit.ta("posts-likes", &[("count", likers.len().into())])) }
            @if visit.member.is_some() {
                @if liked {
                    form.inline method="post" action=(format!("{base}/unlike")) {
                        (widgets::csrf(visit))
                        button.plain type="submit" { (visit.t("posts-unlike")) }
                    }
                } @else {
                    form.inline method="post" action=(format!("{base}/like")) {
                        (widgets::csrf(visit))
                        button type="submit" { (visit.t("posts-like")) }
                    }
                }
            }
            @if likers.is_empty() {
                p.hint { (visit.t("posts-likes-none")) }
            } @else {
                ul.list {
                    @for a in likers { li { (widgets::actor_link(a)) } }
                }
            }
        }
    }
}

/// A comment's body: local ones rendered from their text, remote ones sanitised on arrival.
fn comment_body(c: &Comment) -> Markup {
    PreEscaped(enishi_core::render::comment_html(c))
}

/// The comments, each with a delete button for whom the API lets delete it, and the form.
fn comment_section(
    visit: &Visit,
    view: &PostView,
    comments: &[CommentView],
    more: Option<i64>,
    draft: &Draft,
) -> Markup {
    let me = visit.viewer().actor;
    let post = &view.post;
    let base = href(post.kind, &post.public_id);
    html! {
        section #comments aria-labelledby="comments-heading" {
            h2 #comments-heading { (visit.t("posts-comments")) }
            @if comments.is_empty() {
                p.hint { (visit.t("posts-comments-none")) }
            } @else {
                ol.list {
                    @for c in comments {
                        li id=(format!("comment-{}", c.comment.public_id)) {
                            p.meta id=(format!("comment-by-{}", c.comment.public_id)) {
                                (widgets::actor_link(&c.author))
                                " · " (widgets::time(c.comment.created_at))
                            }
                            div.body { (comment_body(&c.comment)) }
                            @if me.is_some() && (me == Some(c.comment.author) || me == Some(post.author)) {
                                form.inline method="post" action=(format!("/comments/{}/delete", c.comment.public_id)) {
                                    (widgets::csrf(visit))
                                    button.plain type="submit" { (visit.t("posts-comment-delete")) }
                                }
                            }
                            @if me.is_some() && me != Some(c.comment.author) {
                                (widgets::report_link(visit, &c.author, Some(&c.comment.public_id), Some(&format!("comment-by-{}", c.comment.public_id))))
                            }
                        }
                    }
                }
            }
            @if let Some(cursor) = more {
                nav.pager aria-label=(visit.t("pager-label")) {
                    a href=(format!("{base}?after={cursor}#comments")) { (visit.t("posts-comments-more")) " →" }
                }
            }
            @if visit.member.is_some() {
                form.stack method="post" action=(format!("{base}/comments")) {
                    (widgets::csrf(visit))
                    @if let Some(e) = &draft.error {
                        p.error role="alert" { (e) }
                    }
                    div {
                        label for="comment-text" { (visit.t("posts-comment-label")) }
                        textarea #comment-text name="text" rows="3" required { (draft.text) }
                    }
                    div { button type="submit" { (visit.t("posts-comment-submit")) } }
                }
            } @else {
                p { a href="/login" { (visit.t("posts-comment-login")) } }
            }
        }
    }
}
