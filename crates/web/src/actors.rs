//! Actor documents and their collections; the same URLs serve profile pages to browsers.

use crate::negotiate::{activity_json, wants_activity_json};
use crate::wellknown::live_member_actor;
use crate::{AppError, AppState, pages};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use enishi_apub::context::default_context;
use enishi_apub::convert::actor_to_wire;
use enishi_core::Actor;
use enishi_db::instance;
use serde_json::json;

/// Routes for `/users/{name}…` and `/actor`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users/{name}", get(member))
        .route("/users/{name}/outbox", get(outbox))
        .route("/users/{name}/followers", get(followers))
        .route("/users/{name}/following", get(following))
        .route("/actor", get(instance_actor))
}

async fn member_or_404(state: &AppState, name: &str) -> Result<Actor, AppError> {
    live_member_actor(state, name)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no member named {name:?}")))
}

async fn member(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let actor = member_or_404(&state, &name).await?;
    // The document and the page are public: they carry only what the member shows everyone
    // (a nickname or bio with a narrower audience is left out).
    let public =
        enishi_db::profiles::view(&state.db, &enishi_core::Viewer::ANONYMOUS, &actor).await?;
    if wants_activity_json(&headers) {
        return Ok(activity_json(&actor_to_wire(
            &public.actor,
            &state.settings,
        )));
    }
    Ok(pages::profile_page(&state, &public).into_response())
}

async fn instance_actor(State(state): State<AppState>) -> Result<Response, AppError> {
    let actor = instance::find_instance_actor(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("instance actor missing; start-up creates it"))?;
    Ok(activity_json(&actor_to_wire(&actor, &state.settings)))
}

/// An ordered collection with only its size (when the owner lets everyone know it). Listing
/// items needs authorised fetch, which comes with federation of content.
fn collection(id: String, total: Option<u64>) -> Response {
    let mut doc = json!({
        "id": id,
        "type": "OrderedCollection",
    });
    if let Some(total) = total {
        doc["totalItems"] = json!(total);
    }
    doc["@context"] = default_context();
    activity_json(&doc)
}

async fn outbox(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let actor = member_or_404(&state, &name).await?;
    let total = enishi_db::posts::count_public(&state.db, actor.id).await?;
    Ok(collection(format!("{}/outbox", actor.ap_id), Some(total)))
}

/// The friend and follow counts, if the member's friends list is public.
async fn public_counts(
    state: &AppState,
    actor: &enishi_core::Actor,
) -> Result<Option<(u64, u64)>, AppError> {
    let settings = enishi_db::profiles::settings_of(&state.db, actor.id).await?;
    // Collections are public documents: what an anonymous viewer may see of the friends list.
    let anyone = enishi_core::Viewer::ANONYMOUS;
    if !enishi_core::may_see(
        settings.friends_audience,
        anyone.kind,
        enishi_core::Relation::default(),
    ) {
        return Ok(None);
    }
    Ok(Some(enishi_db::social::counts(&state.db, actor.id).await?))
}

async fn followers(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let actor = member_or_404(&state, &name).await?;
    let counts = public_counts(&state, &actor).await?;
    Ok(collection(
        format!("{}/followers", actor.ap_id),
        counts.map(|c| c.0),
    ))
}

async fn following(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let actor = member_or_404(&state, &name).await?;
    let counts = public_counts(&state, &actor).await?;
    Ok(collection(
        format!("{}/following", actor.ap_id),
        counts.map(|c| c.1),
    ))
}
