//! Photos over HTTP: uploads (`POST /api/v1/media`), alt text, and serving the files at
//! `/media/{key}/{file}` with the audience kept by the key (see `enishi_core::media`).

use crate::api::auth::CurrentMember;
use crate::api::dto::MediaOut;
use crate::api::{JsonBody, PathParam};
use crate::error::ErrorBody;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enishi_core::ValidationError;
use enishi_core::media::{Variant, check_description};
use enishi_media::{MediaError, MediaStore, ProcessLimits};
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::Semaphore;
use utoipa::ToSchema;

/// What handlers need for photos: the store, the limits, and the turns for processing.
#[derive(Clone)]
pub struct MediaHub {
    /// Where the files are.
    pub store: MediaStore,
    /// Upload limits.
    pub limits: ProcessLimits,
    /// Decoding a photo takes a core and tens of megabytes: at most this many at once, so a
    /// burst of uploads queues instead of exhausting memory.
    pub turns: Arc<Semaphore>,
    /// Uploads whose bodies are being read or held, at most twice the turns: the rest wait
    /// with their bytes still in the network's buffers rather than in memory, so a burst of
    /// uploads costs a few bodies, not all of them.
    pub intake: Arc<Semaphore>,
    /// The cache of other servers' files.
    pub cache: crate::media_cache::RemoteCache,
}

impl MediaHub {
    /// A hub over `store`, processing as many photos at once as there are cores.
    pub fn new(store: MediaStore, limits: ProcessLimits) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        MediaHub {
            store,
            limits,
            turns: Arc::new(Semaphore::new(cores)),
            intake: Arc::new(Semaphore::new(cores * 2)),
            cache: crate::media_cache::RemoteCache::default(),
        }
    }

    /// The same hub, its cache of other servers' files holding at most `bytes`, each fetched
    /// within `fetch_time`.
    pub fn with_cache(mut self, bytes: u64, fetch_time: std::time::Duration) -> Self {
        self.cache = crate::media_cache::RemoteCache::new(bytes);
        self.cache.fetch_time = fetch_time;
        self
    }

    /// The largest request body an upload may have: the file and room for the form around it.
    pub fn upload_body_limit(&self) -> usize {
        self.limits.max_bytes + 64 * 1024
    }

    /// The largest body of a page form that takes up to `photos` photos: each photo at the
    /// upload limit, plus what any other form may send for its text.
    pub fn form_body_limit(&self, photos: usize) -> usize {
        photos * self.limits.max_bytes + crate::MAX_BODY_BYTES
    }
}

/// How long an upload's body may take to arrive once its turn to be read has come.
const UPLOAD_READ_TIME: std::time::Duration = std::time::Duration::from_secs(60);

/// Whether `path` takes uploads (and so the larger body limit).
pub fn takes_uploads(path: &str) -> bool {
    // The Mastodon API uploads at `/api/v2/media` (the trailing slash is tolerated there).
    matches!(
        path.trim_end_matches('/'),
        "/api/v1/media" | "/api/v2/media"
    ) || crate::pages::profile_images::receives(path)
}

fn refused(e: MediaError) -> AppError {
    match e {
        MediaError::TooLarge(_) => AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            e.to_string(),
        ),
        MediaError::Unsupported => AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            e.to_string(),
        ),
        MediaError::Empty | MediaError::TooManyPixels { .. } | MediaError::Broken(_) => {
            ValidationError::new("file", e.to_string()).into()
        }
    }
}

/// The form of an upload, as read from the multipart body.
struct Upload {
    file: bytes::Bytes,
    description: Option<String>,
}

async fn read_upload(mut form: Multipart) -> Result<Upload, AppError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::new(status, "payload_too_large", "the upload is too large")
        } else {
            AppError::bad_request("invalid_multipart", e.body_text())
        }
    };
    let mut file = None;
    let mut description = None;
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "file" => file = Some(field.bytes().await.map_err(bad)?),
            "description" => description = Some(field.text().await.map_err(bad)?),
            other => {
                return Err(ValidationError::new(
                    "form",
                    format!("unknown field {other:?}; expected file and description"),
                )
                .into());
            }
        }
    }
    let file = file.ok_or_else(|| ValidationError::new("file", "is required"))?;
    Ok(Upload { file, description })
}

/// The multipart form of an upload (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MediaUpload {
    /// A JPEG, PNG, WebP or GIF image (the first frame of a GIF), at most 10 MiB and 40
    /// megapixels by default.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
    /// Alt text, at most 1,500 characters.
    description: Option<String>,
}

/// Uploads a photo. It is re-encoded (EXIF, GPS included, is dropped), thumbnailed and kept
/// unattached until a diary or voice post names it in `media_ids`; unattached ones are removed
/// after a day.
#[utoipa::path(post, path = "/api/v1/media", tag = "media", security(("bearer" = [])),
    request_body(content = MediaUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = MediaOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    me: CurrentMember,
    form: Multipart,
) -> Result<(StatusCode, Json<MediaOut>), AppError> {
    let _intake = state
        .media
        .intake
        .clone()
        .acquire_owned()
        .await
        .map_err(AppError::internal)?;
    // A client that trickles its body must not hold a place for long.
    let upload = tokio::time::timeout(UPLOAD_READ_TIME, read_upload(form))
        .await
        .map_err(|_| {
            AppError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "the upload did not arrive within {} seconds",
                    UPLOAD_READ_TIME.as_secs()
                ),
            )
        })??;
    let description = check_description(upload.description.as_deref())?;
    let media = store_upload(&state, &me.member.actor, upload.file, description).await?;
    Ok((
        StatusCode::CREATED,
        Json(MediaOut::new(&media, &state.settings.url("/"))),
    ))
}

/// Why an upload was not kept: the file itself (the member can pick another), or a failure of
/// ours.
#[derive(Debug)]
pub enum UploadError {
    /// The file was refused.
    Refused(MediaError),
    /// Processing or storing failed; the cause is logged by whoever answers with it.
    Failed(AppError),
}

impl From<UploadError> for AppError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Refused(e) => refused(e),
            UploadError::Failed(e) => e,
        }
    }
}

/// Processes and stores an upload by `owner` (for the API and the pages' forms).
pub async fn store_upload(
    state: &AppState,
    owner: &enishi_core::Actor,
    file: bytes::Bytes,
    description: Option<String>,
) -> Result<enishi_core::media::Media, AppError> {
    Ok(keep_upload(state, owner, file, description).await?)
}

/// [`store_upload`], telling a refused file apart from a failure (the pages' forms show the
/// first in the member's language, next to the form).
pub async fn keep_upload(
    state: &AppState,
    owner: &enishi_core::Actor,
    file: bytes::Bytes,
    description: Option<String>,
) -> Result<enishi_core::media::Media, UploadError> {
    let hub = &state.media;
    let processed = {
        let _turn = hub
            .turns
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| UploadError::Failed(AppError::internal(e)))?;
        let limits = hub.limits;
        tokio::task::spawn_blocking(move || enishi_media::process(&file, &limits))
            .await
            .map_err(|e| UploadError::Failed(AppError::internal(e)))?
            .map_err(UploadError::Refused)?
    };
    let key = enishi_db::media::new_key();
    let ext = enishi_core::media::ext_of(processed.content_type);
    let original = format!("{}.{ext}", Variant::Original.stem());
    let preview = format!("{}.{ext}", Variant::Preview.stem());
    let size = (processed.original.len() + processed.preview.len()) as u64;
    let stored = async {
        hub.store.put(&key, &original, processed.original).await?;
        hub.store.put(&key, &preview, processed.preview).await
    }
    .await;
    let new = enishi_db::media::NewMedia {
        key: &key,
        content_type: processed.content_type,
        width: processed.width,
        height: processed.height,
        preview_width: processed.preview_width,
        preview_height: processed.preview_height,
        blurhash: &processed.blurhash,
        description,
        size,
    };
    let recorded = match stored {
        Ok(()) => enishi_db::media::create(&state.db, owner.id, new)
            .await
            .map_err(AppError::from),
        Err(e) => Err(AppError::internal(e)),
    };
    if recorded.is_err() {
        // Nothing half-written: files without a row would never be served, but they would
        // take room until the next prune.
        for f in [&original, &preview] {
            if let Err(e) = hub.store.delete(&key, f).await {
                tracing::warn!(error = %e, "removing the files of a failed upload");
            }
        }
    }
    recorded.map_err(UploadError::Failed)
}

/// Changes to a photo.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaPatch {
    /// New alt text (at most 1,500 characters); empty removes it.
    pub description: Option<String>,
}

/// Reads one of the member's own photos.
#[utoipa::path(get, path = "/api/v1/media/{id}", tag = "media", security(("bearer" = [])), params(("id" = String, Path, description = "media id")),
    responses((status = 200, body = MediaOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_own(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
) -> Result<Json<MediaOut>, AppError> {
    let media = enishi_db::media::find_own(&state.db, me.member.actor.id, &id).await?;
    Ok(Json(MediaOut::new(&media, &state.settings.url("/"))))
}

/// Changes the alt text of one of the member's own photos.
#[utoipa::path(put, path = "/api/v1/media/{id}", tag = "media", security(("bearer" = [])), params(("id" = String, Path, description = "media id")),
    request_body = MediaPatch,
    responses((status = 200, body = MediaOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn describe(
    State(state): State<AppState>,
    me: CurrentMember,
    PathParam(id): PathParam<String>,
    JsonBody(input): JsonBody<MediaPatch>,
) -> Result<Json<MediaOut>, AppError> {
    let description = check_description(input.description.as_deref())?;
    let media = enishi_db::media::describe(&state.db, me.member.actor.id, &id, description).await?;
    Ok(Json(MediaOut::new(&media, &state.settings.url("/"))))
}

/// `GET /media/{key}/{file}`: the file, if the key is alive. The same 404 for a key that never
/// was, one that died, and a file name that does not fit: nothing tells them apart.
pub async fn serve(
    State(state): State<AppState>,
    axum::extract::Path((key, file)): axum::extract::Path<(String, String)>,
) -> Result<Response, AppError> {
    use enishi_db::media::FetchState;
    let gone = || AppError::not_found("no such file");
    if !enishi_core::media::is_key(&key) {
        return Err(gone());
    }
    let Some(found) = enishi_db::media::servable(&state.db, &key).await? else {
        return Err(gone());
    };
    let variant = match found.state {
        FetchState::Stored => {
            Variant::from_file_name(&file, enishi_core::media::ext_of(&found.content_type))
        }
        // Another server's file: its URLs went out before its type was known.
        _ => Variant::from_any_file_name(&file),
    }
    .ok_or_else(gone)?;
    let Some((stored_key, content_type)) = crate::media_cache::ready(&state, &found).await? else {
        return Err(gone());
    };
    let name = format!(
        "{}.{}",
        variant.stem(),
        enishi_core::media::ext_of(&content_type)
    );
    let Some(bytes) = state
        .media
        .store
        .get(&stored_key, &name)
        .await
        .map_err(AppError::internal)?
    else {
        return Err(gone());
    };
    let cache = if found.public {
        "public, max-age=31536000, immutable"
    } else {
        // The URL is the capability: the browser may keep it, shared caches may not.
        "private, max-age=86400"
    };
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        bytes,
    )
        .into_response())
}
