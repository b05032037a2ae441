//! The cache of other servers' attachments and avatars. Their URLs here are handed out with
//! the post (or profile) like an upload's; the first request for one fetches the file through
//! the outgoing-request policy (size-capped, time-limited), re-encodes it like an upload (so
//! no metadata and no decoder surprises reach members), stores it, and evicts the longest
//! unused files when the cache is over its size. Members' browsers never contact the other
//! server.

use crate::{AppError, AppState};
use enishi_core::media::Variant;
use enishi_db::media::{FetchState, Servable};
use enishi_db::remote_media::{self, CachedFile};
use enishi_media::MediaError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long one fetch of another server's file may take, start to end.
pub const FETCH_TIME: Duration = Duration::from_secs(20);

/// The cache's size and the fetches under way.
#[derive(Clone)]
pub struct RemoteCache {
    /// Most bytes the cached files may take.
    pub max_bytes: u64,
    /// How long one fetch may take.
    pub fetch_time: Duration,
    /// One fetch per file at a time: those who ask meanwhile wait for it.
    fills: Arc<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Default for RemoteCache {
    fn default() -> Self {
        Self::new(1 << 30)
    }
}

impl RemoteCache {
    /// A cache of at most `max_bytes`.
    pub fn new(max_bytes: u64) -> Self {
        RemoteCache {
            max_bytes,
            fetch_time: FETCH_TIME,
            fills: Arc::default(),
        }
    }

    fn fill_lock(&self, id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut fills = self.fills.lock().unwrap_or_else(|e| e.into_inner());
        fills.entry(id).or_default().clone()
    }

    fn filled(&self, id: i64) {
        let mut fills = self.fills.lock().unwrap_or_else(|e| e.into_inner());
        fills.remove(&id);
    }
}

/// Where the files of `found` are (store key and content type), fetching them first when they
/// are another server's and not cached; `None` when there is nothing to serve (a type only
/// linked to, or a fetch that failed a moment ago).
pub async fn ready(
    state: &AppState,
    found: &Servable,
) -> Result<Option<(String, String)>, AppError> {
    match found.state {
        FetchState::Stored => Ok(Some((found.stored_key.clone(), found.content_type.clone()))),
        FetchState::Cached => {
            if let Err(e) = remote_media::touch(&state.db, found.id).await {
                tracing::warn!(error = %e, "noting the use of a cached file");
            }
            Ok(Some((found.stored_key.clone(), found.content_type.clone())))
        }
        FetchState::Linked => Ok(None),
        FetchState::Pending | FetchState::Failed => {
            if !remote_media::due(found.state, found.fetched_at) {
                return Ok(None);
            }
            let cache = &state.media.cache;
            let lock = cache.fill_lock(found.id);
            let _turn = lock.lock().await;
            let filled = fill(state, found).await;
            cache.filled(found.id);
            filled
        }
    }
}

/// Fetches, re-encodes and stores one file.
async fn fill(state: &AppState, found: &Servable) -> Result<Option<(String, String)>, AppError> {
    // Someone else may have filled it while this request waited for its turn.
    let now = enishi_db::media::servable_by_id(&state.db, found.id).await?;
    let Some(now) = now.filter(|n| n.stored_key == found.stored_key) else {
        return Ok(None);
    };
    match now.state {
        FetchState::Cached => return Ok(Some((now.stored_key, now.content_type))),
        s if !remote_media::due(s, now.fetched_at) => return Ok(None),
        _ => {}
    }
    let Some(url) = now
        .remote_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
    else {
        return Ok(None);
    };
    let hub = &state.media;
    let bytes = match state
        .fetcher()
        .file(&url, hub.limits.max_bytes, hub.cache.fetch_time)
        .await
    {
        Ok(b) => b,
        Err(e) => {
            tracing::info!(url = %url, error = %e, "fetching another server's file");
            remote_media::fetch_failed(&state.db, now.id, false).await?;
            return Ok(None);
        }
    };
    let processed = {
        let _turn = hub
            .turns
            .clone()
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        let limits = hub.limits;
        tokio::task::spawn_blocking(move || enishi_media::process(&bytes, &limits))
            .await
            .map_err(AppError::internal)?
    };
    let processed = match processed {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(url = %url, error = %e, "another server's file is not a usable image");
            // Only an empty answer may be a passing fault; the rest will not get better.
            let unreadable = !matches!(e, MediaError::Empty);
            remote_media::fetch_failed(&state.db, now.id, unreadable).await?;
            return Ok(None);
        }
    };
    let ext = enishi_core::media::ext_of(processed.content_type);
    let original = format!("{}.{ext}", Variant::Original.stem());
    let preview = format!("{}.{ext}", Variant::Preview.stem());
    let file = CachedFile {
        content_type: processed.content_type,
        width: processed.width,
        height: processed.height,
        preview_width: processed.preview_width,
        preview_height: processed.preview_height,
        blurhash: &processed.blurhash.clone(),
        size: (processed.original.len() + processed.preview.len()) as u64,
    };
    let key = now.stored_key.clone();
    let put = async {
        hub.store.put(&key, &original, processed.original).await?;
        hub.store.put(&key, &preview, processed.preview).await
    }
    .await;
    let recorded = match put {
        Ok(()) => remote_media::cached(&state.db, now.id, &key, file).await,
        Err(e) => {
            tracing::warn!(error = %e, "storing another server's file");
            Ok(false)
        }
    };
    if !matches!(recorded, Ok(true)) {
        remove(state, &key, ext).await;
        recorded?;
        return Ok(None);
    }
    for gone in remote_media::evict(&state.db, hub.cache.max_bytes, now.id).await? {
        remove(state, &gone.stored_key, gone.ext).await;
    }
    Ok(Some((key, processed.content_type.to_owned())))
}

/// Deletes both files under `key`; a failure leaves them to the prune.
async fn remove(state: &AppState, key: &str, ext: &str) {
    for v in [Variant::Original, Variant::Preview] {
        let name = format!("{}.{ext}", v.stem());
        if let Err(e) = state.media.store.delete(key, &name).await {
            tracing::warn!(error = %e, "removing a cached file");
        }
    }
}
