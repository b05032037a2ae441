//! Diaries and voice posts as pages: their routes, and what the pages about them share (the
//! form fields, the cursor of a list, messages for refused input).
//!
//! The post page itself answers at the post's own id URL (see `objects.rs`, which sends
//! browsers to [`post_page::show`]); everything else is here.

use super::visit::Visit;
use super::{post_delete, post_forms, post_lists, post_page, post_reactions, voice_forms};
use crate::{AppError, AppState};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use enishi_core::{Audience, InstanceSettings, PostKind, ValidationError};
use enishi_db::posts::PostView;
use serde::Deserialize;

pub use post_page::{After, show};

/// Routes for writing, changing and reacting to posts, and for lists of them.
pub fn routes() -> Router<AppState> {
    use post_forms as f;
    use post_reactions as r;
    use voice_forms as v;
    Router::new()
        .route("/diaries/new", get(f::new_diary))
        .route("/diaries", post(f::create_diary))
        .route("/voices", post(v::create_voice))
        .route(
            "/diaries/{id}/edit",
            get(f::edit_diary_form).post(f::edit_diary),
        )
        .route(
            "/voices/{id}/edit",
            get(v::edit_voice_form).post(v::edit_voice),
        )
        .route(
            "/diaries/{id}/delete",
            get(post_delete::delete_diary_form).post(post_delete::delete_diary),
        )
        .route(
            "/voices/{id}/delete",
            get(post_delete::delete_voice_form).post(post_delete::delete_voice),
        )
        .route("/diaries/{id}/comments", post(r::comment_diary))
        .route("/voices/{id}/comments", post(r::comment_voice))
        .route("/comments/{id}/delete", post(r::delete_comment))
        .route("/diaries/{id}/like", post(r::like_diary))
        .route("/diaries/{id}/unlike", post(r::unlike_diary))
        .route("/voices/{id}/like", post(r::like_voice))
        .route("/voices/{id}/unlike", post(r::unlike_voice))
        .route("/timeline", get(post_lists::timeline))
        .route("/users/{name}/diaries", get(post_lists::member_diaries))
        .route("/tags/{tag}", get(post_lists::tagged))
}

/// The kind of post whose form `path` receives, when that form takes photos (writing a diary
/// or a voice post, and editing one).
pub fn takes_photos(path: &str) -> Option<PostKind> {
    let kind = |p: &str| match p {
        "diaries" => Some(PostKind::Diary),
        "voices" => Some(PostKind::Voice),
        _ => None,
    };
    let parts: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    match parts.as_slice() {
        [k] => kind(k),
        [k, id, "edit"] if !id.is_empty() => kind(k),
        _ => None,
    }
}

/// The page of a post on this instance.
pub fn href(kind: PostKind, public_id: &str) -> String {
    format!("/{}/{public_id}", kind.path())
}

/// `?before=` of a list page: the id of the last post of the page before.
#[derive(Debug, Default, Deserialize)]
pub struct Before {
    before: Option<String>,
}

impl Before {
    /// The cursor, or 400 for anything the pages did not give out.
    pub fn cursor(&self) -> Result<Option<i64>, AppError> {
        cursor(self.before.as_deref())
    }
}

/// A list cursor from a query (a row id), or 400 for anything the pages did not give out.
pub fn cursor(value: Option<&str>) -> Result<Option<i64>, AppError> {
    match value {
        None | Some("") => Ok(None),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0 && c.bytes().all(|b| b.is_ascii_digit()))
            .map(Some)
            .ok_or_else(|| {
                AppError::bad_request("invalid_cursor", format!("{c:?} is not a page cursor"))
            }),
    }
}

/// The audience chosen in a form, or a message saying it is not one.
pub fn audience_field(visit: &Visit, value: &str) -> Result<Audience, String> {
    value
        .parse::<Audience>()
        .map_err(|_| visit.t("posts-error-audience"))
}

/// What a form shows for input the shared checks refused, in the visitor's language: which
/// field, and the limit that applies to it.
pub fn refused_input(
    visit: &Visit,
    settings: &InstanceSettings,
    kind: Option<PostKind>,
    e: &ValidationError,
) -> String {
    let limits = &settings.limits;
    match (e.field, kind) {
        ("title", _) => visit.ta("posts-error-title", &[("count", limits.diary_title.into())]),
        ("body", _) => visit.ta("posts-error-body", &[("count", limits.diary_body.into())]),
        ("text", Some(PostKind::Voice)) => {
            visit.ta("posts-error-voice", &[("count", limits.voice.into())])
        }
        ("text", None) => visit.ta("posts-error-comment", &[("count", limits.comment.into())]),
        ("media_ids", Some(kind)) => super::post_photos::too_many(visit, kind),
        _ => e.message.clone(),
    }
}

/// The status of a form shown again because its input was refused.
pub const REFUSED: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// A post the member may change: 404 if they may not see it, 403 if it is not theirs (as the
/// API's edit and delete answer).
pub async fn own_post(
    state: &AppState,
    visit: &Visit,
    kind: PostKind,
    id: &str,
) -> Result<PostView, AppError> {
    let me = visit.member()?;
    let view = enishi_db::posts::get_visible(&state.db, &visit.viewer(), kind, id).await?;
    if view.post.author != me.actor.id {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            visit.t("posts-not-yours"),
        ));
    }
    Ok(view)
}
