//! Diaries, voice posts and comments at their ActivityPub ids: ActivityStreams JSON behind
//! authorised fetch (DESIGN §5) and a page for browsers.

use crate::negotiate::{activity_json, wants_activity_json};
use crate::signed::SignedFetch;
use crate::{AppError, AppState, pages};
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use enishi_apub::context::default_context;
use enishi_apub::federate::{comment_object, post_object};
use enishi_core::{PostKind, Viewer};
use enishi_db::{OpError, posts, reactions};

/// Routes for `/diaries/{id}`, `/voices/{id}` and `/comments/{id}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/diaries/{id}", get(diary))
        .route("/voices/{id}", get(voice))
        .route("/comments/{id}", get(comment))
        .route(
            "/diaries/{id}/replies",
            get(
                |State(s): State<AppState>, Path(id): Path<String>, signed: SignedFetch| {
                    reactions_of(s, PostKind::Diary, id, signed, false)
                },
            ),
        )
        .route(
            "/voices/{id}/replies",
            get(
                |State(s): State<AppState>, Path(id): Path<String>, signed: SignedFetch| {
                    reactions_of(s, PostKind::Voice, id, signed, false)
                },
            ),
        )
        .route(
            "/diaries/{id}/likes",
            get(
                |State(s): State<AppState>, Path(id): Path<String>, signed: SignedFetch| {
                    reactions_of(s, PostKind::Diary, id, signed, true)
                },
            ),
        )
        .route(
            "/voices/{id}/likes",
            get(
                |State(s): State<AppState>, Path(id): Path<String>, signed: SignedFetch| {
                    reactions_of(s, PostKind::Voice, id, signed, true)
                },
            ),
        )
}

/// Unsigned requests for what they may not see learn only that a signature is needed;
/// signed ones by someone not allowed get a plain 404 (existence is not revealed).
fn hidden(signed: &SignedFetch, what: String) -> AppError {
    if signed.0.is_none() {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "signature_required",
            format!("{what} needs a signed request (authorised fetch)"),
        )
    } else {
        AppError::not_found(format!("no {what}"))
    }
}

async fn post(
    state: AppState,
    kind: PostKind,
    id: String,
    signed: SignedFetch,
) -> Result<Response, AppError> {
    let what = format!("{} {id:?}", kind.as_str());
    let viewer = signed.viewer();
    let view = match posts::get_visible(&state.db, &viewer, kind, &id).await {
        Ok(v) if v.author.is_local => v,
        Ok(_) | Err(OpError::NotFound(_)) => return Err(hidden(&signed, what)),
        Err(e) => return Err(e.into()),
    };
    let mut object = post_object(&view).ok_or_else(|| hidden(&signed, what))?;
    object["@context"] = default_context();
    Ok(activity_json(&object))
}

/// A post's id URL: ActivityStreams JSON for ActivityPub clients, the post's page for
/// browsers. The page judges the logged-in member (not a signature), and a post they may not
/// see is a plain 404 there.
async fn post_or_page(
    state: AppState,
    kind: PostKind,
    id: String,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, AppError> {
    if wants_activity_json(&headers) {
        let (mut parts, _) = request.into_parts();
        let signed = SignedFetch::from_request_parts(&mut parts, &state).await?;
        return post(state, kind, id, signed).await;
    }
    let (mut parts, _) = request.into_parts();
    let visit = pages::Visit::from_request_parts(&mut parts, &state).await?;
    let Query(after) = Query::<pages::posts::After>::from_request_parts(&mut parts, &state)
        .await
        .map_err(|e| AppError::bad_request("invalid_query", e.body_text()))?;
    pages::posts::show(&state, &visit, kind, &id, &after).await
}

async fn diary(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, AppError> {
    post_or_page(state, PostKind::Diary, id, headers, request).await
}

async fn voice(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, AppError> {
    post_or_page(state, PostKind::Voice, id, headers, request).await
}

async fn comment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    signed: SignedFetch,
) -> Result<Response, AppError> {
    let what = format!("comment {id:?}");
    let viewer: Viewer = signed.viewer();
    let (comment, parent) = match reactions::get_visible_comment(&state.db, &viewer, &id).await {
        Ok((c, p)) if c.author.is_local => (c, p),
        Ok(_) | Err(OpError::NotFound(_)) => return Err(hidden(&signed, what)),
        Err(e) => return Err(e.into()),
    };
    let mut object = comment_object(&comment.comment, &comment.author, &parent)
        .ok_or_else(|| hidden(&signed, what))?;
    object["@context"] = default_context();
    Ok(activity_json(&object))
}

/// An ordered collection of ids, for a signed request.
pub(crate) fn id_collection(id: String, items: Vec<String>) -> Response {
    let mut doc = serde_json::json!({
        "id": id,
        "type": "OrderedCollection",
        "totalItems": items.len(),
        "orderedItems": items,
    });
    doc["@context"] = default_context();
    activity_json(&doc)
}

/// The replies or likes of a local post, for a signer allowed to see the post: only the
/// comments and likers they may see (blocks hide people).
async fn reactions_of(
    state: AppState,
    kind: PostKind,
    id: String,
    signed: SignedFetch,
    likes: bool,
) -> Result<Response, AppError> {
    signed.required()?;
    let what = format!("{} {id:?}", kind.as_str());
    let viewer = signed.viewer();
    let view = match posts::get_visible(&state.db, &viewer, kind, &id).await {
        Ok(v) if v.author.is_local => v,
        Ok(_) | Err(OpError::NotFound(_)) => return Err(hidden(&signed, what)),
        Err(e) => return Err(e.into()),
    };
    let (suffix, items) = if likes {
        let likers = reactions::likers_of(&state.db, &viewer, view.post.id).await?;
        (
            "likes",
            likers.iter().map(|a| a.ap_id.to_string()).collect(),
        )
    } else {
        let comments = reactions::comments_of(&state.db, &viewer, &view, None, 1000).await?;
        (
            "replies",
            comments
                .iter()
                .map(|c| c.comment.ap_id.to_string())
                .collect(),
        )
    };
    Ok(id_collection(
        format!("{}/{suffix}", view.post.ap_id),
        items,
    ))
}
