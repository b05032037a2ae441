//! Actor documents and their collections; the same URLs serve profile pages to browsers.

use crate::negotiate::{activity_json, wants_activity_json};
use crate::signed::SignedFetch;
use crate::wellknown::live_member_actor;
use crate::{AppError, AppState, pages};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
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
        .route("/users/{name}/featured", get(featured))
        .route("/users/{name}/following", get(following))
        .route("/users/{name}/introductions", get(introductions))
        .route(
            "/users/{name}/followers_synchronization",
            get(followers_synchronization),
        )
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
    visit: pages::Visit,
) -> Result<Response, AppError> {
    let actor = member_or_404(&state, &name).await?;
    if wants_activity_json(&headers) {
        // The document is public: it carries only what the member shows everyone (a nickname
        // or bio with a narrower audience is left out).
        let public =
            enishi_db::profiles::view(&state.db, &enishi_core::Viewer::ANONYMOUS, &actor).await?;
        let mut doc = actor_to_wire(
            &public.actor,
            &public.fields,
            &public.images,
            &state.settings,
        );
        // Moves: the member's accounts elsewhere, and where they moved.
        let moves = enishi_db::moves::state(&state.db, actor.id).await?;
        doc.also_known_as = moves
            .also_known_as
            .iter()
            .map(|u| serde_json::Value::String(u.to_string()))
            .collect();
        doc.moved_to = moves.moved_to;
        return Ok(activity_json(&doc));
    }
    // Browsers get the profile page as the visitor may see it.
    pages::profile::show(&state, &visit, &actor, None).await
}

async fn instance_actor(State(state): State<AppState>) -> Result<Response, AppError> {
    let actor = instance::find_instance_actor(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("instance actor missing; start-up creates it"))?;
    Ok(activity_json(&actor_to_wire(
        &actor,
        &[],
        &Default::default(),
        &state.settings,
    )))
}

/// An ordered collection with only its size, when that may be told.
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

/// A member's pinned posts (Mastodon's `featured`), which Mastodon fetches for every account
/// it learns of. Enishi has no pinning yet, so the collection is empty, but it exists: a
/// missing one is an error on the reader's side.
async fn featured(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let actor = member_or_404(&state, &name).await?;
    let mut doc = json!({
        "id": format!("{}/featured", actor.ap_id),
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    });
    doc["@context"] = default_context();
    Ok(activity_json(&doc))
}

/// A member's followers (= friends) or following, for a signed request (authorised fetch):
/// listed when the signer may see the member's friends list, each person as far as the signer
/// may see them; otherwise only the collection's id.
async fn people(
    state: &AppState,
    actor: &Actor,
    signed: &SignedFetch,
    followers: bool,
) -> Result<Response, AppError> {
    let signer = signed.required()?;
    let id = format!(
        "{}/{}",
        actor.ap_id,
        if followers { "followers" } else { "following" }
    );
    let settings = enishi_db::profiles::settings_of(&state.db, actor.id).await?;
    let viewer = signed.viewer();
    let rel = enishi_db::relations::relation(&state.db.conn, &viewer, actor.id).await?;
    if signer.is_local || !enishi_core::may_see(settings.friends_audience, viewer.kind, rel) {
        return Ok(collection(id, None));
    }
    let list = if followers {
        enishi_db::social::friends(&state.db, &viewer, actor.id, None, 5000).await?
    } else {
        enishi_db::social::following(&state.db, &viewer, actor.id, 5000).await?
    };
    let items: Vec<String> = list.iter().map(|a| a.ap_id.to_string()).collect();
    Ok(crate::objects::id_collection(id, items))
}

async fn followers(
    State(state): State<AppState>,
    Path(name): Path<String>,
    signed: SignedFetch,
) -> Result<Response, AppError> {
    let actor = member_or_404(&state, &name).await?;
    people(&state, &actor, &signed, true).await
}

async fn following(
    State(state): State<AppState>,
    Path(name): Path<String>,
    signed: SignedFetch,
) -> Result<Response, AppError> {
    let actor = member_or_404(&state, &name).await?;
    people(&state, &actor, &signed, false).await
}

/// FEP-8fcf: the member's followers (= friends) on the requesting server, for a request signed
/// by an actor of that server; it compares them with its own view.
async fn followers_synchronization(
    State(state): State<AppState>,
    Path(name): Path<String>,
    signed: SignedFetch,
) -> Result<Response, AppError> {
    let actor = member_or_404(&state, &name).await?;
    let signer = signed.required()?;
    let items =
        enishi_db::inbound::social::followers_on(&state.db, actor.id, &signer.domain).await?;
    Ok(crate::objects::id_collection(
        format!("{}/followers_synchronization", actor.ap_id),
        items,
    ))
}

/// The member's introductions collection (`enishi:introductions`), for a signed request: the
/// introductions the signer may see under the section's audience.
async fn introductions(
    State(state): State<AppState>,
    Path(name): Path<String>,
    signed: SignedFetch,
) -> Result<Response, AppError> {
    let actor = member_or_404(&state, &name).await?;
    signed.required()?;
    let list =
        enishi_db::introductions::list_for_subject(&state.db, &signed.viewer(), actor.id).await?;
    let items: Vec<String> = list
        .iter()
        .map(|v| v.introduction.ap_id.to_string())
        .collect();
    Ok(crate::objects::id_collection(
        format!("{}/introductions", actor.ap_id),
        items,
    ))
}
