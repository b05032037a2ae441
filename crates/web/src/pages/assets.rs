//! Static files served from the binary under content-hashed names, so that they can be cached
//! for a year (`immutable`) and a new release is fetched at once.

use crate::AppState;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::hash::{Hash, Hasher};
use std::sync::LazyLock;

const STYLE: &str = include_str!("../../assets/style.css");

/// The picture shown for an account without one (Mastodon apps need an image URL).
const AVATAR: &[u8] = include_bytes!("../../assets/avatar.png");

/// The URL path of the picture of an account without one.
pub const DEFAULT_AVATAR_PATH: &str = "/assets/avatar.png";

static STYLE_PATH: LazyLock<String> = LazyLock::new(|| {
    // SipHash with fixed keys: stable for the same bytes and the same build, which is all a
    // cache-busting name needs.
    let mut h = std::hash::DefaultHasher::new();
    STYLE.hash(&mut h);
    format!("/assets/style.{:016x}.css", h.finish())
});

/// The stylesheet's URL path.
pub fn stylesheet_path() -> &'static str {
    &STYLE_PATH
}

/// Routes for the static files.
pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{file}", get(asset))
}

async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> impl IntoResponse {
    if format!("/assets/{file}") == *STYLE_PATH {
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            STYLE,
        )
            .into_response()
    } else if format!("/assets/{file}") == DEFAULT_AVATAR_PATH {
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            AVATAR,
        )
            .into_response()
    } else {
        crate::AppError::not_found(format!("no file {file:?}")).into_response()
    }
}
