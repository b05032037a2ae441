//! Diaries, voice posts, their comments and likes, and the home timeline.
//!
//! Each route has a thin handler per kind (for the OpenAPI document); the work is shared.

use super::auth::{Caller, CurrentMember};
use super::dto::{ActorRef, CommentOut, DiaryOut, Page, PostOut, VoiceOut};
use super::{JsonBody, PageParams, PathParam, QueryParams, page, redact, resolve_known};
use crate::error::ErrorBody;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use enishi_core::{Audience, PostKind, Viewer};
use enishi_db::posts::{self, NewPost, PostEdit, PostView};
use enishi_db::{footprints, reactions};
use serde::Deserialize;
use utoipa::ToSchema;

/// A new diary.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiaryIn {
    /// Title (≤100 characters by default), not only white space.
    #[schema(min_length = 1)]
    pub title: String,
    /// Body, Markdown (≤10,000 characters by default), not only white space.
    #[schema(min_length = 1)]
    pub body: String,
    /// A warning shown before the text, which stays folded until opened (blank: none; at
    /// most 200 characters).
    #[schema(max_length = 200)]
    pub content_warning: Option<String>,
    /// Who may see it; the member's default audience if omitted.
    pub audience: Option<Audience>,
    /// Its photos, in order: ids from `POST /api/v1/media` (a diary takes 3, a voice post 1).
    #[serde(default)]
    pub media_ids: Vec<String>,
}

/// Changes to a diary; omitted parts stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiaryPatch {
    /// New title.
    #[schema(min_length = 1)]
    pub title: Option<String>,
    /// New body.
    #[schema(min_length = 1)]
    pub body: Option<String>,
    /// A new content warning (an empty one takes it away; at most 200 characters).
    #[schema(max_length = 200)]
    pub content_warning: Option<String>,
    /// New audience.
    pub audience: Option<Audience>,
    /// Its photos from now on, in order (adds, removes and reorders); omitted: unchanged.
    pub media_ids: Option<Vec<String>>,
}

/// A new voice post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoiceIn {
    /// Text (≤150 characters by default), not only white space.
    #[schema(min_length = 1)]
    pub text: String,
    /// A warning shown before the text, which stays folded until opened (blank: none; at
    /// most 200 characters).
    #[schema(max_length = 200)]
    pub content_warning: Option<String>,
    /// Who may see it; the member's default audience if omitted.
    pub audience: Option<Audience>,
    /// Its photos, in order: ids from `POST /api/v1/media` (a diary takes 3, a voice post 1).
    #[serde(default)]
    pub media_ids: Vec<String>,
}

/// Changes to a voice post; omitted parts stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoicePatch {
    /// New text.
    #[schema(min_length = 1)]
    pub text: Option<String>,
    /// A new content warning (an empty one takes it away; at most 200 characters).
    #[schema(max_length = 200)]
    pub content_warning: Option<String>,
    /// New audience.
    pub audience: Option<Audience>,
    /// Its photos from now on, in order (adds, removes and reorders); omitted: unchanged.
    pub media_ids: Option<Vec<String>>,
}

/// A comment to write.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    /// Text (≤1,000 characters by default), not only white space.
    #[schema(min_length = 1)]
    pub text: String,
}

// --- shared work -------------------------------------------------------------------------------

/// Reads a post as `viewer` may see it, nicknames redacted, leaving a footprint on a diary
/// for a logged-in reader (the diary page reads through this too).
pub(crate) async fn read(
    state: &AppState,
    viewer: &Viewer,
    kind: PostKind,
    id: &str,
) -> Result<PostView, AppError> {
    let mut view = posts::get_visible(&state.db, viewer, kind, id).await?;
    redact(state, viewer, [&mut view.author]).await?;
    if kind == PostKind::Diary
        && let Some(me) = viewer.actor
    {
        footprints::record(
            &state.db,
            me,
            view.post.author,
            footprints::Target::Diary(view.post.id, view.post.public_id.clone()),
        )
        .await?;
    }
    Ok(view)
}

async fn by_member(
    state: &AppState,
    caller: &Caller,
    handle: &str,
    kind: PostKind,
    params: &PageParams,
) -> Result<(Vec<PostView>, u64), AppError> {
    let (cursor, limit) = params.parse()?;
    let author = resolve_known(state, handle).await?;
    let list = member_posts(state, &caller.viewer(), &author, kind, cursor, limit).await?;
    Ok((list, limit))
}

/// `author`'s posts of `kind` that `viewer` may see, newest first, nicknames redacted; a
/// block hides the member entirely (404). The member's diary page lists through this too.
pub(crate) async fn member_posts(
    state: &AppState,
    viewer: &Viewer,
    author: &enishi_core::Actor,
    kind: PostKind,
    cursor: Option<i64>,
    limit: u64,
) -> Result<Vec<PostView>, AppError> {
    enishi_db::profiles::view(&state.db, viewer, author).await?;
    let mut list = posts::list_by_author(&state.db, viewer, author.id, kind, cursor, limit).await?;
    redact(state, viewer, list.iter_mut().map(|v| &mut v.author)).await?;
    Ok(list)
}

async fn comments(
    state: &AppState,
    caller: &Caller,
    kind: PostKind,
    id: &str,
    params: &PageParams,
) -> Result<Json<Page<CommentOut>>, AppError> {
    let (cursor, limit) = params.parse()?;
    let viewer = caller.viewer();
    let parent = posts::get_visible(&state.db, &viewer, kind, id).await?;
    let mut list = reactions::comments_of(&state.db, &viewer, &parent, cursor, limit).await?;
    redact(state, &viewer, list.iter_mut().map(|c| &mut c.author)).await?;
    Ok(Json(page(list, limit, |c| c.comment.id, CommentOut::from)))
}

async fn comment(
    state: &AppState,
    me: &CurrentMember,
    kind: PostKind,
    id: &str,
    text: &str,
) -> Result<(StatusCode, Json<CommentOut>), AppError> {
    posting(state, me)?;
    let known = crate::mentions::known_in(state, &[text]).await;
    let c = reactions::comment(
        &state.db,
        &state.settings,
        &me.viewer(),
        kind,
        id,
        text,
        &known,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CommentOut::from(c))))
}

/// Spends one of the member's posting allowance (diaries, voice posts, comments and
/// introductions); 429 when it is used up.
pub(crate) fn posting(state: &AppState, me: &CurrentMember) -> Result<(), AppError> {
    crate::rate_limits::admit(&state.access.actions.posting, &me.member.actor.id, "posts")
}

async fn likes(
    state: &AppState,
    caller: &Caller,
    kind: PostKind,
    id: &str,
) -> Result<Json<Page<ActorRef>>, AppError> {
    let viewer = caller.viewer();
    let mut list = reactions::likers(&state.db, &viewer, kind, id).await?;
    redact(state, &viewer, list.iter_mut()).await?;
    Ok(Json(Page {
        items: list.iter().map(ActorRef::from).collect(),
        next: None,
    }))
}

// --- diaries -----------------------------------------------------------------------------------

/// Writes a diary.
#[utoipa::path(post, path = "/api/v1/diaries", tag = "diaries", security(("bearer" = [])), request_body = DiaryIn,
    responses((status = 201, body = DiaryOut), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody, description = "a photo in media_ids is attached elsewhere (`media_attached`) or is no upload of the member's (`media_unknown`)"), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "rate limited (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn create_diary(
    State(state): State<AppState>,
    me: CurrentMember,
    JsonBody(input): JsonBody<DiaryIn>,
) -> Result<(StatusCode, Json<DiaryOut>), AppError> {
    posting(&state, &me)?;
    let known = crate::mentions::known_in(&state, &[&input.body]).await;
    let new = NewPost {
        kind: PostKind::Diary,
        title: Some(&input.title),
        body: &input.body,
        content_warning: input.content_warning.as_deref(),
        audience: input.audience,
        known: &known,
        media_ids: &input.media_ids,
    };
    let view = posts::create(&state.db, &state.settings, &me.member, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(DiaryOut::of(view, &state.settings.url("/"))),
    ))
}

/// Reads a diary (leaves a footprint for a logged-in reader).
#[utoipa::path(get, path = "/api/v1/diaries/{id}", tag = "diaries", security((), ("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 200, body = DiaryOut), (status = 404, body = ErrorBody)))]
pub async fn get_diary(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Json<DiaryOut>, AppError> {
    Ok(Json(DiaryOut::of(
        read(&state, &caller.viewer(), PostKind::Diary, &id).await?,
        &state.settings.url("/"),
    )))
}

/// Edits a diary (its author only).
#[utoipa::path(patch, path = "/api/v1/diaries/{id}", tag = "diaries", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    request_body = DiaryPatch,
    responses((status = 200, body = DiaryOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "a photo in media_ids is attached elsewhere (`media_attached`) or is no upload of the member's (`media_unknown`)"), (status = 422, body = ErrorBody)))]
pub async fn edit_diary(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
    JsonBody(input): JsonBody<DiaryPatch>,
) -> Result<Json<DiaryOut>, AppError> {
    let known = crate::mentions::known_in(&state, &[input.body.as_deref().unwrap_or("")]).await;
    let edit = PostEdit {
        title: input.title.as_deref(),
        body: input.body.as_deref(),
        content_warning: input.content_warning.as_deref(),
        audience: input.audience,
        known: &known,
        media_ids: input.media_ids.as_deref(),
    };
    Ok(Json(DiaryOut::of(
        posts::edit(
            &state.db,
            &state.settings,
            &me.viewer(),
            PostKind::Diary,
            &id,
            edit,
        )
        .await?,
        &state.settings.url("/"),
    )))
}

/// Deletes a diary (its author only).
#[utoipa::path(delete, path = "/api/v1/diaries/{id}", tag = "diaries", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_diary(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<StatusCode, AppError> {
    posts::delete(&state.db, &me.viewer(), PostKind::Diary, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member's diaries that the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/users/{handle}/diaries", tag = "diaries", security((), ("bearer" = [])), params(("handle" = String, Path, description = "handle"), PageParams),
    responses((status = 200, body = Page<DiaryOut>), (status = 404, body = ErrorBody)))]
pub async fn member_diaries(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(handle): PathParam<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<Page<DiaryOut>>, AppError> {
    let (list, limit) = by_member(&state, &caller, &handle, PostKind::Diary, &params).await?;
    let base = state.settings.url("/");
    Ok(Json(page(
        list,
        limit,
        |v| v.post.id.0,
        |v| DiaryOut::of(v, &base),
    )))
}

/// Comments on a diary.
#[utoipa::path(get, path = "/api/v1/diaries/{id}/comments", tag = "comments", security((), ("bearer" = [])), params(("id" = String, Path, description = "public id"), PageParams),
    responses((status = 200, body = Page<CommentOut>), (status = 404, body = ErrorBody)))]
pub async fn diary_comments(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<Page<CommentOut>>, AppError> {
    comments(&state, &caller, PostKind::Diary, &id, &params).await
}

/// Comments on a diary the caller may see.
#[utoipa::path(post, path = "/api/v1/diaries/{id}/comments", tag = "comments", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    request_body = CommentIn,
    responses((status = 201, body = CommentOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "rate limited (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn comment_diary(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
    JsonBody(input): JsonBody<CommentIn>,
) -> Result<(StatusCode, Json<CommentOut>), AppError> {
    comment(&state, &me, PostKind::Diary, &id, &input.text).await
}

/// Likes a diary (イイネ!).
#[utoipa::path(post, path = "/api/v1/diaries/{id}/like", tag = "likes", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn like_diary(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<StatusCode, AppError> {
    reactions::like(
        &state.db,
        &state.settings,
        &me.viewer(),
        PostKind::Diary,
        &id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Withdraws a like of a diary.
#[utoipa::path(delete, path = "/api/v1/diaries/{id}/like", tag = "likes", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unlike_diary(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<StatusCode, AppError> {
    reactions::unlike(&state.db, &me.viewer(), PostKind::Diary, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who liked a diary.
#[utoipa::path(get, path = "/api/v1/diaries/{id}/likes", tag = "likes", security((), ("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 200, body = Page<ActorRef>), (status = 404, body = ErrorBody)))]
pub async fn diary_likes(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Json<Page<ActorRef>>, AppError> {
    likes(&state, &caller, PostKind::Diary, &id).await
}

// --- voice posts -------------------------------------------------------------------------------

/// Writes a voice post.
#[utoipa::path(post, path = "/api/v1/voices", tag = "voices", security(("bearer" = [])), request_body = VoiceIn,
    responses((status = 201, body = VoiceOut), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody, description = "a photo in media_ids is attached elsewhere (`media_attached`) or is no upload of the member's (`media_unknown`)"), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "rate limited (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn create_voice(
    State(state): State<AppState>,
    me: CurrentMember,
    JsonBody(input): JsonBody<VoiceIn>,
) -> Result<(StatusCode, Json<VoiceOut>), AppError> {
    posting(&state, &me)?;
    let known = crate::mentions::known_in(&state, &[&input.text]).await;
    let new = NewPost {
        kind: PostKind::Voice,
        title: None,
        body: &input.text,
        content_warning: input.content_warning.as_deref(),
        audience: input.audience,
        known: &known,
        media_ids: &input.media_ids,
    };
    let view = posts::create(&state.db, &state.settings, &me.member, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(VoiceOut::of(view, &state.settings.url("/"))),
    ))
}

/// Reads a voice post.
#[utoipa::path(get, path = "/api/v1/voices/{id}", tag = "voices", security((), ("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 200, body = VoiceOut), (status = 404, body = ErrorBody)))]
pub async fn get_voice(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Json<VoiceOut>, AppError> {
    Ok(Json(VoiceOut::of(
        read(&state, &caller.viewer(), PostKind::Voice, &id).await?,
        &state.settings.url("/"),
    )))
}

/// Edits a voice post (its author only).
#[utoipa::path(patch, path = "/api/v1/voices/{id}", tag = "voices", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    request_body = VoicePatch,
    responses((status = 200, body = VoiceOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "a photo in media_ids is attached elsewhere (`media_attached`) or is no upload of the member's (`media_unknown`)"), (status = 422, body = ErrorBody)))]
pub async fn edit_voice(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
    JsonBody(input): JsonBody<VoicePatch>,
) -> Result<Json<VoiceOut>, AppError> {
    let known = crate::mentions::known_in(&state, &[input.text.as_deref().unwrap_or("")]).await;
    let edit = PostEdit {
        title: None,
        body: input.text.as_deref(),
        content_warning: input.content_warning.as_deref(),
        audience: input.audience,
        known: &known,
        media_ids: input.media_ids.as_deref(),
    };
    Ok(Json(VoiceOut::of(
        posts::edit(
            &state.db,
            &state.settings,
            &me.viewer(),
            PostKind::Voice,
            &id,
            edit,
        )
        .await?,
        &state.settings.url("/"),
    )))
}

/// Deletes a voice post (its author only).
#[utoipa::path(delete, path = "/api/v1/voices/{id}", tag = "voices", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_voice(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<StatusCode, AppError> {
    posts::delete(&state.db, &me.viewer(), PostKind::Voice, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member's voice posts that the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/users/{handle}/voices", tag = "voices", security((), ("bearer" = [])), params(("handle" = String, Path, description = "handle"), PageParams),
    responses((status = 200, body = Page<VoiceOut>), (status = 404, body = ErrorBody)))]
pub async fn member_voices(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(handle): PathParam<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<Page<VoiceOut>>, AppError> {
    let (list, limit) = by_member(&state, &caller, &handle, PostKind::Voice, &params).await?;
    let base = state.settings.url("/");
    Ok(Json(page(
        list,
        limit,
        |v| v.post.id.0,
        |v| VoiceOut::of(v, &base),
    )))
}

/// Comments on a voice post.
#[utoipa::path(get, path = "/api/v1/voices/{id}/comments", tag = "comments", security((), ("bearer" = [])), params(("id" = String, Path, description = "public id"), PageParams),
    responses((status = 200, body = Page<CommentOut>), (status = 404, body = ErrorBody)))]
pub async fn voice_comments(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<Page<CommentOut>>, AppError> {
    comments(&state, &caller, PostKind::Voice, &id, &params).await
}

/// Comments on a voice post the caller may see.
#[utoipa::path(post, path = "/api/v1/voices/{id}/comments", tag = "comments", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    request_body = CommentIn,
    responses((status = 201, body = CommentOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "rate limited (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn comment_voice(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
    JsonBody(input): JsonBody<CommentIn>,
) -> Result<(StatusCode, Json<CommentOut>), AppError> {
    comment(&state, &me, PostKind::Voice, &id, &input.text).await
}

/// Likes a voice post.
#[utoipa::path(post, path = "/api/v1/voices/{id}/like", tag = "likes", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn like_voice(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<StatusCode, AppError> {
    reactions::like(
        &state.db,
        &state.settings,
        &me.viewer(),
        PostKind::Voice,
        &id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Withdraws a like of a voice post.
#[utoipa::path(delete, path = "/api/v1/voices/{id}/like", tag = "likes", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unlike_voice(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<StatusCode, AppError> {
    reactions::unlike(&state.db, &me.viewer(), PostKind::Voice, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who liked a voice post.
#[utoipa::path(get, path = "/api/v1/voices/{id}/likes", tag = "likes", security((), ("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 200, body = Page<ActorRef>), (status = 404, body = ErrorBody)))]
pub async fn voice_likes(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Json<Page<ActorRef>>, AppError> {
    likes(&state, &caller, PostKind::Voice, &id).await
}

// --- shared by both kinds -----------------------------------------------------------------------

/// Deletes a comment (its author, or the author of the post).
#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "comments", security(("bearer" = [])), params(("id" = String, Path, description = "public id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_comment(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<StatusCode, AppError> {
    reactions::delete_comment(&state.db, &me.viewer(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's home timeline: their own, their friends' and followed accounts' diaries and
/// voice posts that they may see, newest first.
#[utoipa::path(get, path = "/api/v1/timeline", tag = "timeline", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<PostOut>), (status = 401, body = ErrorBody)))]
pub async fn timeline(
    State(state): State<AppState>,
    me: CurrentMember,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<Page<PostOut>>, AppError> {
    let (cursor, limit) = params.parse()?;
    let viewer = me.viewer();
    let mut list = posts::timeline(&state.db, &viewer, cursor, limit).await?;
    redact(&state, &viewer, list.iter_mut().map(|v| &mut v.author)).await?;
    let mut boosters = enishi_db::boosts::boosters(&state.db, &viewer, &list).await?;
    redact(&state, &viewer, boosters.values_mut().map(|b| &mut b.actor)).await?;
    let base = state.settings.url("/");
    Ok(Json(page(
        list,
        limit,
        |v| v.post.id.0,
        |v| {
            let by = boosters.get(&v.post.id).map(|b| &b.actor);
            PostOut::of(v, &base).boosted_by(by)
        },
    )))
}

/// The diaries and voice posts with a hashtag (any case, with or without `#`) that the caller
/// may see, newest first.
#[utoipa::path(get, path = "/api/v1/tags/{tag}", tag = "timeline", security((), ("bearer" = [])), params(("tag" = String, Path, description = "the hashtag"), PageParams),
    responses((status = 200, body = Page<PostOut>), (status = 400, body = ErrorBody)))]
pub async fn tagged(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(tag): PathParam<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<Page<PostOut>>, AppError> {
    let (cursor, limit) = params.parse()?;
    let viewer = caller.viewer();
    let tag = tag.trim_start_matches('#');
    let mut list = posts::tagged(&state.db, &viewer, tag, cursor, limit).await?;
    redact(&state, &viewer, list.iter_mut().map(|v| &mut v.author)).await?;
    let base = state.settings.url("/");
    Ok(Json(page(
        list,
        limit,
        |v| v.post.id.0,
        |v| PostOut::of(v, &base),
    )))
}
