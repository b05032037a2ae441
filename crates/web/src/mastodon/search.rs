//! Search for Mastodon apps: accounts by handle (fetched from their server when `resolve` is
//! asked by a member), posts by their URL or words, always through the audience rule.

use super::body::Params;
use super::entities::{self, account_full};
use super::{Auth, MastoError, MastoResult, Paging};
use crate::AppState;
use crate::api::{redact, resolve_known, resolve_or_fetch};
use axum::Json;
use axum::extract::State;
use axum::routing::get;
use enishi_core::Viewer;
use enishi_db::posts;
use serde::Deserialize;
use serde_json::{Value, json};

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/accounts/search", get(search_accounts))
        .route("/api/v2/search", get(search))
}

/// The longest search (a handle or a URL fits; a search is a scan of the posts one may see).
const MAX_QUERY: usize = 200;

#[derive(Deserialize)]
struct SearchIn {
    q: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    resolve: Option<String>,
    limit: Option<String>,
}

async fn search_accounts(
    State(state): State<AppState>,
    auth: Auth,
    Params(input): Params<SearchIn>,
) -> MastoResult<Json<Vec<Value>>> {
    let viewer = auth.viewer("read:accounts")?;
    searching(&state, &viewer)?;
    let q = input.q.unwrap_or_default();
    let resolve = super::body::flag(input.resolve.as_deref()) && viewer.actor.is_some();
    Ok(Json(find_accounts(&state, &viewer, &q, resolve).await?))
}

/// Spends one of a member's searches (anyone else finds only what is stored here, fetching
/// nothing, and is held by the server's general limits).
fn searching(state: &AppState, viewer: &Viewer) -> MastoResult<()> {
    if let Some(me) = viewer.actor {
        crate::rate_limits::admit(&state.access.actions.search, &me, "searches")?;
    }
    Ok(())
}

async fn find_accounts(
    state: &AppState,
    viewer: &Viewer,
    q: &str,
    resolve: bool,
) -> MastoResult<Vec<Value>> {
    let q = q.trim().trim_start_matches('@');
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let found = if resolve {
        resolve_or_fetch(state, q).await
    } else {
        resolve_known(state, q).await
    };
    Ok(match found {
        Ok(a) => match account_full(state, viewer, &a).await {
            Ok(v) => vec![v],
            Err(e) if e.0.status == axum::http::StatusCode::NOT_FOUND => Vec::new(),
            Err(e) => return Err(e),
        },
        Err(_) => Vec::new(),
    })
}

async fn search(
    State(state): State<AppState>,
    auth: Auth,
    Params(input): Params<SearchIn>,
) -> MastoResult<Json<Value>> {
    let viewer = auth.viewer("read:search")?;
    searching(&state, &viewer)?;
    let q = input.q.unwrap_or_default();
    if q.chars().count() > MAX_QUERY {
        return Err(MastoError::unprocessable(format!(
            "q: at most {MAX_QUERY} characters"
        )));
    }
    let kind = input.kind.unwrap_or_default();
    let limit = Paging {
        limit: input.limit,
        ..Default::default()
    }
    .limit()?;
    // Only members may make this server fetch from others.
    let resolve = super::body::flag(input.resolve.as_deref()) && viewer.actor.is_some();
    let accounts = if kind.is_empty() || kind == "accounts" {
        find_accounts(&state, &viewer, &q, resolve).await?
    } else {
        Vec::new()
    };
    let statuses = if (kind.is_empty() || kind == "statuses") && viewer.actor.is_some() {
        let list = match url::Url::parse(q.trim()) {
            // A post's URL finds that post, if it is kept here and the caller may see it.
            Ok(url) if matches!(url.scheme(), "http" | "https") => {
                match posts::find_by_ap_id(&state.db, &url).await? {
                    Some(p) => {
                        match posts::get_visible(&state.db, &viewer, p.kind, &p.public_id).await {
                            Ok(v) => vec![v],
                            Err(enishi_db::OpError::NotFound(_)) => Vec::new(),
                            Err(e) => return Err(e.into()),
                        }
                    }
                    None => Vec::new(),
                }
            }
            _ => posts::search(&state.db, &viewer, q.trim(), limit).await?,
        };
        let mut list = list;
        redact(&state, &viewer, list.iter_mut().map(|v| &mut v.author)).await?;
        entities::statuses(&state, &viewer, list).await?
    } else {
        Vec::new()
    };
    let tag = q.trim().trim_start_matches('#');
    let hashtags = if (kind.is_empty() || kind == "hashtags")
        && !tag.is_empty()
        && tag.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        vec![json!({
            "name": tag,
            "url": enishi_core::render::hashtag_url(&state.settings.url("/"), tag).to_string(),
            "history": [],
            "following": false,
        })]
    } else {
        Vec::new()
    };
    Ok(Json(json!({
        "accounts": accounts,
        "statuses": statuses,
        "hashtags": hashtags,
    })))
}
