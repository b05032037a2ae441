//! Enishi's HTTP surface: HTML pages for browsers, the JSON API and the ActivityPub endpoints,
//! all on one axum router. Handlers never send HTTP themselves.

pub mod actors;
pub mod api;
pub mod error;
pub mod inbox;
pub mod metrics;
pub mod negotiate;
pub mod objects;
pub mod pages;
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
    Router::new()
        .merge(wellknown::routes())
        .merge(actors::routes())
        .merge(pages::routes())
        .merge(inbox::routes())
        .merge(objects::routes())
        .merge(api::routes())
        .route("/metrics", axum::routing::get(metrics::metrics))
        .fallback(error::not_found_fallback)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            wake,
            wake_delivery_workers,
        ))
        .layer(axum::middleware::from_fn(error::render_errors_for_browsers))
        .layer(FederationMiddleware::new(federation))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
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
