//! Enishi's HTTP surface: HTML pages for browsers, the JSON API and the ActivityPub endpoints,
//! all on one axum router. Handlers never send HTTP themselves.

pub mod actors;
pub mod api;
pub mod archive;
pub mod error;
pub mod health;
pub mod inbox;
pub mod limits;
pub mod mastodon;
pub mod media;
pub mod media_cache;
pub mod mentions;
pub mod metrics;
pub mod negotiate;
pub mod objects;
pub mod pages;
pub mod rate_limits;
pub mod signed;
pub mod state;
pub mod wellknown;

pub use error::AppError;
pub use state::AppState;

use activitypub_federation::config::{FederationConfig, FederationMiddleware};
use axum::Router;
use axum::http::{HeaderValue, header};
use enishi_apub::FederationData;
use tower_http::set_header::SetResponseHeaderLayer;

/// Largest request body accepted anywhere (inboxes included, DESIGN §8).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole application router.
pub fn router(state: AppState, federation: FederationConfig<FederationData>) -> Router {
    let wake = state.clone();
    let outer = state.clone();
    let routes = Router::new()
        .merge(wellknown::routes())
        .merge(actors::routes())
        .merge(pages::routes(state.clone()))
        .merge(inbox::routes())
        .merge(objects::routes())
        .merge(api::routes())
        .merge(mastodon::routes())
        .merge(health::routes())
        .route("/metrics", axum::routing::get(metrics::metrics_with_token))
        .fallback(error::not_found_fallback)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            wake,
            wake_delivery_workers,
        ));
    // The layers below wrap the whole router as one service (a layer on a router with routes
    // wraps each route separately, inside axum's method dispatch): so they also see axum's own
    // answers, such as a 405 with its `Allow` header.
    Router::new()
        .fallback_service(routes)
        .layer(axum::middleware::from_fn(mastodon::trailing_slash))
        .layer(axum::middleware::from_fn(refuse_nul_in_url))
        .layer(FederationMiddleware::new(federation))
        .layer(axum::middleware::from_fn_with_state(
            outer.clone(),
            limit_bodies,
        ))
        .layer(axum::middleware::from_fn(error::limit_headers))
        // Outside every layer that can refuse a request, so that all their refusals get the
        // JSON error body (and, for browsers on pages, the HTML one).
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(axum::middleware::from_fn_with_state(
            outer.clone(),
            error::render_errors_for_browsers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            outer,
            pages::visit::browser_cookies,
        ))
        .layer(axum::middleware::from_fn(mastodon::cors))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// Limits request bodies: [`MAX_BODY_BYTES`] everywhere but where photos are uploaded. A body
/// announced larger is refused before it is read (413); one that grows past the limit fails
/// its reading the same way.
async fn limit_bodies(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let limit = body_limit(&state, request.uri().path());
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return AppError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than the limit of {limit} bytes"),
        )
        .into_response();
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// The largest request body `path` takes: [`MAX_BODY_BYTES`], except where photos are
/// uploaded (the API's upload, and the page forms that carry a post's photos).
pub(crate) fn body_limit(state: &AppState, path: &str) -> usize {
    if media::takes_uploads(path) {
        state.media.upload_body_limit()
    } else if let Some(kind) = pages::posts::takes_photos(path) {
        state
            .media
            .form_body_limit(enishi_core::media::max_per_post(kind))
    } else {
        MAX_BODY_BYTES
    }
}

/// Refuses a URL whose path or query carries an encoded NUL character (`%00`): no name, id or
/// parameter contains one, and PostgreSQL could not even look it up.
async fn refuse_nul_in_url(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let uri = request.uri();
    let has_nul = |s: &str| s.to_ascii_lowercase().contains("%00");
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        return AppError::bad_request(
            "invalid_url",
            "the URL contains a NUL character (%00), which no name or id has",
        )
        .into_response();
    }
    next.run(request).await
}

/// A router serving only `GET /metrics`, without a token, for a separate listen address.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(metrics::metrics))
        .with_state(state)
}

/// The same for an `enishi worker` process, which has no web state: the queue's gauges and the
/// worker's own delivery counters.
pub fn worker_metrics_router(
    db: enishi_db::Db,
    metrics: std::sync::Arc<enishi_apub::outbox::Metrics>,
) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(metrics::worker_metrics))
        .with_state((db, metrics))
}

/// After a successful change, wakes this process's delivery workers: the change may have
/// queued activities, and waiting for the next poll would only add latency.
async fn wake_delivery_workers(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let response = next.run(request).await;
    if writes && response.status().is_success() {
        state.outbox_wake.notify_one();
    }
    response
}
