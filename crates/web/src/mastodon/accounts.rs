//! Accounts, relationships and friend requests as Mastodon apps see them.
//!
//! Following is befriending: `follow` sends a friend request (to a member here or an account
//! elsewhere), `follow_requests` are the requests made to the member, and `unfollow` ends the
//! friendship.

use super::body::{OneOrMany, Params};
use super::entities::{self, account, account_full, own_account, relationship};
use super::{Auth, MastoError, MastoResult, Paging, numeric_id, paged};
use crate::AppState;
use crate::api::{redact, resolve_known};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, patch, post};
use enishi_core::{Actor, ActorId, PostKind, Viewer};
use enishi_db::social::{self as ops, Direction};
use enishi_db::{actors, posts, profiles};
use serde::Deserialize;
use serde_json::Value;

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/api/v1/accounts/verify_credentials",
            get(verify_credentials),
        )
        .route(
            "/api/v1/accounts/update_credentials",
            patch(update_credentials),
        )
        .route("/api/v1/accounts/lookup", get(lookup))
        .route("/api/v1/accounts/relationships", get(relationships))
        .route("/api/v1/accounts/{id}", get(get_account))
        .route("/api/v1/accounts/{id}/statuses", get(account_statuses))
        .route("/api/v1/accounts/{id}/follow", post(follow))
        .route("/api/v1/accounts/{id}/unfollow", post(unfollow))
        .route("/api/v1/accounts/{id}/followers", get(friends))
        .route("/api/v1/accounts/{id}/following", get(friends))
        .route("/api/v1/follow_requests", get(follow_requests))
        .route(
            "/api/v1/follow_requests/{id}/authorize",
            post(authorize_request),
        )
        .route("/api/v1/follow_requests/{id}/reject", post(reject_request))
}

/// The account with row id `id`, as far as this server shows it to anyone: a live member or a
/// remote account not suspended here (404 otherwise).
async fn account_by_id(state: &AppState, viewer: &Viewer, id: &str) -> MastoResult<Actor> {
    let id = numeric_id(id)?;
    let actor = actors::find_by_id(&state.db.conn, ActorId(id))
        .await?
        .ok_or_else(MastoError::not_found)?;
    let mut actor = resolve_known(state, actor.ap_id.as_str())
        .await
        .map_err(|_| MastoError::not_found())?;
    redact(state, viewer, [&mut actor]).await?;
    Ok(actor)
}

async fn verify_credentials(State(state): State<AppState>, auth: Auth) -> MastoResult<Json<Value>> {
    let me = auth.member("profile")?;
    Ok(Json(own_account(&state, me).await?))
}

/// `PATCH /api/v1/accounts/update_credentials`'s parameters (the profile's nickname and bio).
#[derive(Deserialize)]
pub struct CredentialsIn {
    display_name: Option<String>,
    note: Option<String>,
}

async fn update_credentials(
    State(state): State<AppState>,
    auth: Auth,
    Params(input): Params<CredentialsIn>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:accounts")?;
    let edit = profiles::ProfileEdit {
        nickname: input.display_name,
        bio: input.note,
        ..Default::default()
    };
    profiles::update(&state.db, me.actor.id, edit).await?;
    let fresh = enishi_db::accounts::find_by_username(&state.db, &me.actor.username)
        .await?
        .ok_or_else(MastoError::not_found)?;
    Ok(Json(own_account(&state, &fresh).await?))
}

#[derive(Deserialize)]
struct LookupIn {
    acct: Option<String>,
}

async fn lookup(
    State(state): State<AppState>,
    auth: Auth,
    Params(input): Params<LookupIn>,
) -> MastoResult<Json<Value>> {
    let viewer = auth.viewer("read:accounts")?;
    let acct = input
        .acct
        .ok_or_else(|| MastoError::unprocessable("acct: can't be blank"))?;
    // `name@this.domain` is a member here.
    let local_suffix = format!("@{}", state.settings.domain);
    let handle = acct
        .trim_start_matches('@')
        .strip_suffix(&local_suffix)
        .unwrap_or(acct.trim_start_matches('@'));
    let mut actor = resolve_known(&state, handle)
        .await
        .map_err(|_| MastoError::not_found())?;
    redact(&state, &viewer, [&mut actor]).await?;
    Ok(Json(account_full(&state, &viewer, &actor).await?))
}

async fn get_account(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let viewer = auth.viewer("read:accounts")?;
    let actor = account_by_id(&state, &viewer, &id).await?;
    Ok(Json(account_full(&state, &viewer, &actor).await?))
}

#[derive(Deserialize)]
struct StatusesIn {
    #[serde(flatten)]
    paging: PagingIn,
    exclude_reblogs: Option<String>,
    only_media: Option<String>,
    pinned: Option<String>,
}

/// [`Paging`] as a flattened part of other parameters.
#[derive(Deserialize, Default)]
pub struct PagingIn {
    max_id: Option<String>,
    since_id: Option<String>,
    min_id: Option<String>,
    limit: Option<String>,
}

impl PagingIn {
    /// As [`Paging`].
    pub fn paging(self) -> Paging {
        Paging {
            max_id: self.max_id,
            since_id: self.since_id,
            min_id: self.min_id,
            limit: self.limit,
        }
    }
}

async fn account_statuses(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(input): Params<StatusesIn>,
) -> MastoResult<Response> {
    let viewer = auth.viewer("read:statuses")?;
    let actor = account_by_id(&state, &viewer, &id).await?;
    // Someone who blocks the reader is as unknown here as on Enishi's own API.
    profiles::view(&state.db, &viewer, &actor).await?;
    let paging = input.paging.paging();
    let limit = paging.limit()?;
    // Nothing is pinned, and only posts with photos are asked for by galleries.
    if super::body::flag(input.pinned.as_deref()) {
        return Ok(paged(&state, "", Vec::<Value>::new(), &[], limit));
    }
    let _ = &input.exclude_reblogs;
    let window = paging.window()?;
    let mut list = Vec::new();
    for kind in [PostKind::Diary, PostKind::Voice] {
        list.extend(
            posts::list_by_author(&state.db, &viewer, actor.id, kind, window, limit).await?,
        );
    }
    // The two kinds' pages merged: the newest of them, or the nearest above `min_id`.
    if window.nearest_after {
        list.sort_by_key(|v| v.post.id.0);
        list.truncate(limit as usize);
    }
    list.sort_by_key(|v| std::cmp::Reverse(v.post.id.0));
    list.truncate(limit as usize);
    if super::body::flag(input.only_media.as_deref()) {
        list.retain(|v| !v.post.media.is_empty());
    }
    for v in &mut list {
        v.author = actor.clone();
    }
    let ids: Vec<i64> = list.iter().map(|v| v.post.id.0).collect();
    let items = entities::statuses(&state, &viewer, list).await?;
    Ok(paged(
        &state,
        &format!("/api/v1/accounts/{}/statuses", actor.id.0),
        items,
        &ids,
        limit,
    ))
}

async fn follow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:follows")?;
    let viewer = Viewer::member(me.actor.id);
    let target = account_by_id(&state, &viewer, &id).await?;
    crate::rate_limits::admit(
        &state.access.actions.friend_requests,
        &me.actor.id,
        "friend requests",
    )?;
    let rel = ops::relationship(&state.db, me.actor.id, target.id).await?;
    // Following someone already a friend, or already asked, changes nothing (as Mastodon).
    if !rel.friend && !rel.requested {
        ops::request_friendship(&state.db, &state.settings, &me.actor, &target, None).await?;
    }
    let rel = ops::relationship(&state.db, me.actor.id, target.id).await?;
    Ok(Json(relationship(target.id.0, &rel)))
}

async fn unfollow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:follows")?;
    let viewer = Viewer::member(me.actor.id);
    let target = account_by_id(&state, &viewer, &id).await?;
    match ops::unfriend(&state.db, &me.actor, &target).await {
        // Unfollowing someone not followed is no error in Mastodon.
        Ok(()) | Err(enishi_db::OpError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let rel = ops::relationship(&state.db, me.actor.id, target.id).await?;
    Ok(Json(relationship(target.id.0, &rel)))
}

#[derive(Deserialize)]
struct RelationshipsIn {
    #[serde(default)]
    id: OneOrMany,
}

async fn relationships(
    State(state): State<AppState>,
    auth: Auth,
    Params(input): Params<RelationshipsIn>,
) -> MastoResult<Json<Vec<Value>>> {
    let me = auth.member("read:follows")?;
    let mut out = Vec::new();
    let viewer = Viewer::member(me.actor.id);
    for id in input.id.to_vec().iter().take(40) {
        // Only accounts the member may look at, as Enishi's own relationship endpoint: one
        // who blocks them is as unknown as one that does not exist.
        let Ok(other) = account_by_id(&state, &viewer, id).await else {
            continue;
        };
        if profiles::view(&state.db, &viewer, &other).await.is_err() {
            continue;
        }
        let rel = ops::relationship(&state.db, me.actor.id, other.id).await?;
        out.push(relationship(other.id.0, &rel));
    }
    Ok(Json(out))
}

/// Friends of an account, as far as the viewer may see them (followers and following are
/// both the friends: friendship is mutual).
async fn friends(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Vec<Value>>> {
    let viewer = auth.viewer("read:accounts")?;
    let actor = account_by_id(&state, &viewer, &id).await?;
    let view = profiles::view(&state.db, &viewer, &actor).await?;
    if !view.friends_visible {
        return Ok(Json(Vec::new()));
    }
    let mut list = ops::friends(&state.db, &viewer, actor.id, None, 40).await?;
    redact(&state, &viewer, list.iter_mut()).await?;
    Ok(Json(list.iter().map(|a| account(&state, a)).collect()))
}

async fn follow_requests(
    State(state): State<AppState>,
    auth: Auth,
) -> MastoResult<Json<Vec<Value>>> {
    let me = auth.member("read:follows")?;
    let mut list = ops::requests(&state.db, me.actor.id, Direction::Incoming).await?;
    // Requests from limited servers wait apart, as on the pages.
    list.retain(|r| !state.inbox.is_limited(&r.from));
    let viewer = Viewer::member(me.actor.id);
    let mut from: Vec<Actor> = list.into_iter().map(|r| r.from).collect();
    redact(&state, &viewer, from.iter_mut()).await?;
    Ok(Json(from.iter().map(|a| account(&state, a)).collect()))
}

/// The pending request to the member from account `id`.
async fn request_from(state: &AppState, me: &enishi_core::Member, id: &str) -> MastoResult<i64> {
    let id = numeric_id(id)?;
    ops::requests(&state.db, me.actor.id, Direction::Incoming)
        .await?
        .into_iter()
        .find(|r| r.from.id.0 == id)
        .map(|r| r.id)
        .ok_or_else(MastoError::not_found)
}

async fn authorize_request(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:follows")?;
    let request = request_from(&state, me, &id).await?;
    let friend = ops::accept_request(&state.db, &state.settings, &me.actor, request).await?;
    let rel = ops::relationship(&state.db, me.actor.id, friend.id).await?;
    Ok(Json(relationship(friend.id.0, &rel)))
}

async fn reject_request(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:follows")?;
    let request = request_from(&state, me, &id).await?;
    ops::reject_request(&state.db, &me.actor, request).await?;
    let other = numeric_id(&id)?;
    let rel = ops::relationship(&state.db, me.actor.id, ActorId(other)).await?;
    Ok(Json(relationship(other, &rel)))
}
