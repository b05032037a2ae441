//! Deleting diaries and voice posts: a page that asks first (there is no script for a
//! dialog), then the same `enishi_db::posts::delete` as the API (author only).

use super::posts::{href, own_post};
use super::visit::Visit;
use super::{page, see_other, widgets};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::response::Response;
use enishi_core::PostKind;
use enishi_db::posts;
use maud::html;

/// The question before deleting (no script to ask it in a dialog).
async fn delete_form(
    state: &AppState,
    visit: &Visit,
    kind: PostKind,
    id: &str,
) -> Result<Response, AppError> {
    let view = own_post(state, visit, kind, id).await?;
    let heading = match kind {
        PostKind::Diary => visit.t("posts-delete-diary-question"),
        PostKind::Voice => visit.t("posts-delete-voice-question"),
    };
    let what = match &view.post.title {
        Some(t) => t.clone(),
        None => super::home::excerpt(&view.post.body, 80),
    };
    let back = href(kind, id);
    let body = html! {
        h1 { (heading) }
        p { (what) }
        p.hint { (visit.t("posts-delete-warning")) }
        form.row method="post" action=(format!("{back}/delete")) {
            (widgets::csrf(visit))
            button.danger type="submit" { (visit.t("posts-delete-confirm")) }
            a.button.plain href=(back) { (visit.t("posts-cancel")) }
        }
    };
    page(state, visit, &heading, body).await
}

/// `GET /diaries/{id}/delete`.
pub async fn delete_diary_form(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    delete_form(&state, &visit, PostKind::Diary, &id).await
}

/// `GET /voices/{id}/delete`.
pub async fn delete_voice_form(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    delete_form(&state, &visit, PostKind::Voice, &id).await
}

/// Deletes a post as the API's delete does (author only), then shows where it was listed.
async fn delete(
    state: &AppState,
    visit: &Visit,
    kind: PostKind,
    id: &str,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    posts::delete(&state.db, &visit.viewer(), kind, id).await?;
    Ok(match kind {
        PostKind::Diary => see_other(&format!("/users/{}/diaries", me.actor.username)),
        PostKind::Voice => see_other("/"),
    })
}

/// `POST /diaries/{id}/delete`.
pub async fn delete_diary(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    delete(&state, &visit, PostKind::Diary, &id).await
}

/// `POST /voices/{id}/delete`.
pub async fn delete_voice(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    delete(&state, &visit, PostKind::Voice, &id).await
}
