//! Timelines for Mastodon apps: home (the member's own posts, their friends', the accounts
//! they follow and what those passed on, shown as reblogs), public (this instance's public
//! posts: Enishi keeps no federated firehose) and by hashtag. Paging follows Mastodon's
//! `max_id`, `since_id` and `min_id`.

use super::accounts::PagingIn;
use super::body::Params;
use super::{Auth, MastoResult, entities, paged};
use crate::AppState;
use crate::api::redact;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use enishi_core::{PostId, Viewer};
use enishi_db::boosts::Booster;
use enishi_db::posts::{self, PostView};
use serde::Deserialize;
use std::collections::HashMap;

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/timelines/home", get(home))
        .route("/api/v1/timelines/public", get(public))
        .route("/api/v1/timelines/tag/{tag}", get(tag))
}

/// A page of posts as statuses, with `Link` headers.
async fn timeline_page(
    state: &AppState,
    viewer: &Viewer,
    path: &str,
    mut list: Vec<PostView>,
    limit: u64,
    boosts: &HashMap<PostId, Booster>,
) -> MastoResult<Response> {
    redact(state, viewer, list.iter_mut().map(|v| &mut v.author)).await?;
    let ids: Vec<i64> = list.iter().map(|v| v.post.id.0).collect();
    let mut items = entities::statuses(state, viewer, list).await?;
    // A post there only because someone passed it on shows as their reblog.
    for (item, id) in items.iter_mut().zip(&ids) {
        if let Some(b) = boosts.get(&PostId(*id)) {
            *item = super::reblogs::wrapper(state, b, item.take());
        }
    }
    Ok(paged(state, path, items, &ids, limit))
}

async fn home(
    State(state): State<AppState>,
    auth: Auth,
    Params(input): Params<PagingIn>,
) -> MastoResult<Response> {
    let me = auth.member("read:statuses")?;
    let viewer = Viewer::member(me.actor.id);
    let paging = input.paging();
    let limit = paging.limit()?;
    let mut window = paging.window()?;
    window.before = super::reblogs::cursor(&state, window.before).await?;
    window.after = super::reblogs::cursor(&state, window.after).await?;
    let list = posts::timeline(&state.db, &viewer, window, limit).await?;
    let mut boosts = enishi_db::boosts::boosters(&state.db, &viewer, &list).await?;
    redact(&state, &viewer, boosts.values_mut().map(|b| &mut b.actor)).await?;
    timeline_page(
        &state,
        &viewer,
        "/api/v1/timelines/home",
        list,
        limit,
        &boosts,
    )
    .await
}

#[derive(Deserialize)]
struct PublicIn {
    #[serde(flatten)]
    paging: PagingIn,
    local: Option<String>,
    remote: Option<String>,
    only_media: Option<String>,
}

/// The public timeline: this instance's public posts (Enishi keeps no federated firehose).
async fn public(
    State(state): State<AppState>,
    auth: Auth,
    Params(input): Params<PublicIn>,
) -> MastoResult<Response> {
    let viewer = auth.viewer("read:statuses")?;
    let _ = (&input.local, &input.only_media);
    let paging = input.paging.paging();
    let limit = paging.limit()?;
    let list = if super::body::flag(input.remote.as_deref()) {
        Vec::new()
    } else {
        posts::local_public(&state.db, &viewer, paging.window()?, limit).await?
    };
    timeline_page(
        &state,
        &viewer,
        "/api/v1/timelines/public",
        list,
        limit,
        &Default::default(),
    )
    .await
}

async fn tag(
    State(state): State<AppState>,
    auth: Auth,
    Path(tag): Path<String>,
    Params(input): Params<PagingIn>,
) -> MastoResult<Response> {
    let viewer = auth.viewer("read:statuses")?;
    let paging = input.paging();
    let limit = paging.limit()?;
    let tag = tag.trim_start_matches('#').to_owned();
    let list = posts::tagged(&state.db, &viewer, &tag, paging.window()?, limit).await?;
    timeline_page(
        &state,
        &viewer,
        &format!("/api/v1/timelines/tag/{tag}"),
        list,
        limit,
        &Default::default(),
    )
    .await
}
