//! Photos for Mastodon apps: `POST /api/v2/media` uploads one (with its alt text) the way
//! Enishi's own upload does — the same checks, limits, stripping of metadata and store — and
//! answers with Mastodon's MediaAttachment. Statuses then take its id in `media_ids`.

use super::{Auth, MastoResult};
use crate::AppState;
use crate::api::auth::CurrentMember;
use crate::api::dto::MediaOut;
use axum::Json;
use axum::extract::{Multipart, State};
use axum::routing::post;
use serde_json::{Value, json};

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    // The size is `limit_bodies`' to enforce (the upload limit), not axum's 2 MB default.
    axum::Router::new().route(
        "/api/v2/media",
        post(upload).layer(axum::extract::DefaultBodyLimit::disable()),
    )
}

/// A photo as Mastodon's MediaAttachment.
pub fn attachment(m: &MediaOut) -> Value {
    json!({
        "id": m.id,
        "type": "image",
        "url": m.url,
        "preview_url": m.preview_url,
        "remote_url": null,
        "text_url": null,
        "description": m.description,
        "blurhash": m.blurhash,
        "meta": {
            "original": {"width": m.width, "height": m.height},
            "small": {"width": m.width, "height": m.height},
        },
    })
}

pub(super) async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    form: Multipart,
) -> MastoResult<Json<Value>> {
    let member = auth.member("write:media")?.clone();
    let me = CurrentMember {
        member,
        token: auth.token().unwrap_or_default().to_owned(),
    };
    let (_, Json(media)) = crate::media::upload(State(state), me, form).await?;
    Ok(Json(attachment(&media)))
}
