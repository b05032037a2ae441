//! Comments and イイネ! from the post page's forms, on the same `enishi_db::reactions` calls
//! as the API (the parent's audience, blocks, notifications and federation all happen there).

use super::post_page::{self, Draft};
use super::posts::{href, refused_input};
use super::see_other;
use super::visit::Visit;
use crate::{AppError, AppState};
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use enishi_core::PostKind;
use enishi_db::{OpError, posts, reactions};
use serde::Deserialize;

/// The comment form's field.
#[derive(Debug, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    text: String,
}

/// Writes a comment as the API's `comment_*` does; refused text is shown again on the page.
async fn comment(
    state: &AppState,
    visit: &Visit,
    kind: PostKind,
    id: &str,
    text: String,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let viewer = visit.viewer();
    if let Err(wait) = state.access.actions.posting.admit(&me.actor.id) {
        let mut view = posts::get_visible(&state.db, &viewer, kind, id).await?;
        enishi_db::profiles::redact_nicknames(&state.db, &viewer, [&mut view.author]).await?;
        let seconds = super::wait_secs(wait);
        let draft = Draft {
            error: Some(visit.ta("posting-rate-limited", &[("seconds", seconds.into())])),
            text,
        };
        let r = post_page::render(state, visit, view, None, draft).await?;
        return Ok(super::rate_limited(r, wait));
    }
    let known = crate::mentions::known_in(state, &[&text]).await;
    match reactions::comment(&state.db, &state.settings, &viewer, kind, id, &text, &known).await {
        Ok(c) => Ok(see_other(&format!(
            "{}#comment-{}",
            href(kind, id),
            c.comment.public_id
        ))),
        Err(OpError::Invalid(e)) => {
            // Read again without a footprint: the visit to the page already left one.
            let mut view = posts::get_visible(&state.db, &viewer, kind, id).await?;
            enishi_db::profiles::redact_nicknames(&state.db, &viewer, [&mut view.author]).await?;
            let draft = Draft {
                error: Some(refused_input(visit, &state.settings, None, &e)),
                text,
            };
            post_page::render(state, visit, view, None, draft).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /diaries/{id}/comments`.
pub async fn comment_diary(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    comment(&state, &visit, PostKind::Diary, &id, form.text).await
}

/// `POST /voices/{id}/comments`.
pub async fn comment_voice(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    comment(&state, &visit, PostKind::Voice, &id, form.text).await
}

/// `POST /comments/{id}/delete`: as the API's `delete_comment` (the comment's author or the
/// post's author), then back to the post.
pub async fn delete_comment(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    visit.member()?;
    let viewer = visit.viewer();
    // Where to go back to; a comment the member may not see is a 404 here as in the API.
    let (_, parent) = reactions::get_visible_comment(&state.db, &viewer, &id).await?;
    reactions::delete_comment(&state.db, &viewer, &id).await?;
    Ok(see_other(&format!(
        "{}#comments",
        href(parent.post.kind, &parent.post.public_id)
    )))
}

/// Gives or withdraws イイネ! as the API's `like_*`/`unlike_*` do.
async fn like(
    state: &AppState,
    visit: &Visit,
    kind: PostKind,
    id: &str,
    give: bool,
) -> Result<Response, AppError> {
    visit.member()?;
    let viewer = visit.viewer();
    if give {
        reactions::like(&state.db, &state.settings, &viewer, kind, id).await?;
    } else {
        reactions::unlike(&state.db, &viewer, kind, id).await?;
    }
    Ok(see_other(&format!("{}#likes", href(kind, id))))
}

/// `POST /diaries/{id}/like`.
pub async fn like_diary(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    like(&state, &visit, PostKind::Diary, &id, true).await
}

/// `POST /diaries/{id}/unlike`.
pub async fn unlike_diary(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    like(&state, &visit, PostKind::Diary, &id, false).await
}

/// `POST /voices/{id}/like`.
pub async fn like_voice(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    like(&state, &visit, PostKind::Voice, &id, true).await
}

/// `POST /voices/{id}/unlike`.
pub async fn unlike_voice(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    like(&state, &visit, PostKind::Voice, &id, false).await
}
