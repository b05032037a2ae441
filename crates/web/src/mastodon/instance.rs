//! The instance as Mastodon apps read it (`/api/v1/instance`, `/api/v2/instance`): its name,
//! real limits and registration mode. And the endpoints for which Enishi has nothing to show
//! (lists, filters, custom emojis, announcements, markers, trends): valid empty answers, so that
//! apps that load them at start work.

use super::{Auth, MastoResult};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use enishi_core::{PostKind, RegistrationMode};
use serde_json::{Value, json};

/// What apps are told the server is: a Mastodon version whose API they know, then Enishi's.
pub fn version() -> String {
    format!("4.2.0 (compatible; Enishi {})", env!("CARGO_PKG_VERSION"))
}

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/instance", get(v1))
        .route("/api/v2/instance", get(v2))
        .route("/api/v1/preferences", get(preferences))
        .route("/api/v1/custom_emojis", get(empty_list))
        .route("/api/v1/lists", get(empty_list))
        .route("/api/v1/filters", get(empty_list))
        .route("/api/v2/filters", get(empty_list))
        .route("/api/v1/announcements", get(empty_list))
        .route("/api/v1/trends", get(empty_list))
        .route("/api/v1/trends/tags", get(empty_list))
        .route("/api/v1/trends/statuses", get(empty_list))
        .route("/api/v1/trends/links", get(empty_list))
        .route("/api/v1/followed_tags", get(empty_list))
        .route("/api/v1/markers", get(markers).post(markers))
        .route("/api/v1/mutes", get(empty_list))
        .route("/api/v1/domain_blocks", get(empty_list))
        .route("/api/v1/endorsements", get(empty_list))
        .route("/api/v1/conversations", get(empty_list))
        .route("/api/v1/scheduled_statuses", get(empty_list))
        .route("/api/v1/instance/peers", get(empty_list))
        .route("/api/v1/instance/activity", get(empty_list))
        .route("/api/v1/instance/rules", get(empty_list))
        .route("/api/v1/push/subscription", post(no_push).get(no_push))
}

struct Facts {
    title: String,
    registration: RegistrationMode,
    users: u64,
    statuses: u64,
    contact: Option<Value>,
}

async fn facts(state: &AppState) -> MastoResult<Facts> {
    let registration =
        enishi_db::instance::registration_mode(&state.db, state.settings.registration).await?;
    let usage = enishi_db::stats::usage(&state.db).await?;
    Ok(Facts {
        title: state.settings.name.clone(),
        registration,
        users: usage.total_users,
        statuses: usage.local_posts,
        contact: None,
    })
}

fn configuration(state: &AppState) -> Value {
    let limits = &state.settings.limits;
    json!({
        "urls": {"streaming": state.settings.url("/").as_str().trim_end_matches('/').replacen("http", "ws", 1)},
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": {
            // An untitled status is a voice post: apps count against its limit. (A diary,
            // with a `title`, may be longer: its own limit is in `enishi`.)
            "max_characters": limits.voice,
            "max_media_attachments": enishi_core::media::max_per_post(PostKind::Diary),
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": ["image/jpeg", "image/png", "image/webp", "image/gif"],
            "image_size_limit": 10 * 1024 * 1024,
            "image_matrix_limit": 2560 * 2560,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
            "description_limit": enishi_core::media::DESCRIPTION_MAX,
        },
        "polls": {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0},
        "translation": {"enabled": false},
        "vapid": {"public_key": ""},
    })
}

/// `GET /api/v1/instance`.
pub async fn v1(State(state): State<AppState>) -> MastoResult<Json<Value>> {
    let f = facts(&state).await?;
    Ok(Json(json!({
        "uri": state.settings.domain,
        "title": f.title,
        "short_description": "",
        "description": "",
        "email": "",
        "version": version(),
        "urls": {"streaming_api": state.settings.url("/").as_str().trim_end_matches('/').replacen("http", "ws", 1)},
        "stats": {"user_count": f.users, "status_count": f.statuses, "domain_count": 0},
        "thumbnail": null,
        "languages": ["ja", "en"],
        "registrations": f.registration != RegistrationMode::Closed,
        "approval_required": f.registration == RegistrationMode::Invite,
        "invites_enabled": f.registration == RegistrationMode::Invite,
        "configuration": configuration(&state),
        "contact_account": f.contact,
        "rules": [],
    })))
}

/// `GET /api/v2/instance`.
pub async fn v2(State(state): State<AppState>) -> MastoResult<Json<Value>> {
    let f = facts(&state).await?;
    Ok(Json(json!({
        "domain": state.settings.domain,
        "title": f.title,
        "version": version(),
        "description": "",
        "usage": {"users": {"active_month": f.users}},
        "thumbnail": {"url": state.settings.url(crate::pages::assets::DEFAULT_AVATAR_PATH).to_string()},
        "languages": ["ja", "en"],
        "configuration": configuration(&state),
        "registrations": {
            "enabled": f.registration != RegistrationMode::Closed,
            "approval_required": f.registration == RegistrationMode::Invite,
            "message": null,
            "url": state.settings.url("/signup").to_string(),
        },
        "contact": {"email": "", "account": f.contact},
        "rules": [],
    })))
}

async fn preferences(State(_state): State<AppState>, auth: Auth) -> MastoResult<Json<Value>> {
    let me = auth.member("read:accounts")?;
    Ok(Json(json!({
        "posting:default:visibility": super::entities::visibility(me.settings.default_audience),
        "posting:default:sensitive": false,
        "posting:default:language": me.language,
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    })))
}

async fn empty_list() -> Json<Value> {
    Json(json!([]))
}

async fn markers() -> Json<Value> {
    Json(json!({}))
}

async fn no_push() -> super::MastoError {
    super::MastoError::not_found()
}
