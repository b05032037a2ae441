//! `GET /healthz` and `GET /readyz`: whether the process is up, and whether the instance can do
//! its work. Proxies and container engines probe the first (a process whose database is down
//! still answers it, so that one database hiccup does not take every web process out of the
//! load balancer at once); monitoring and orchestrators probe the second.
//!
//! Neither says more than "ok" or "failing" per check: the causes go to the log, not to whoever
//! asks.

use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

/// A delivery that a worker could take, waiting longer than this, means no worker is taking
/// deliveries (or they are far behind): `/readyz` fails its `queue` check. Deliveries held for a
/// resting host, or behind an earlier one to the same inbox, do not count.
pub const QUEUE_STUCK_AFTER: Duration = Duration::from_secs(15 * 60);

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/readyz", axum::routing::get(readyz))
}

/// 200 whenever the process answers HTTP.
async fn healthz() -> Response {
    no_store(Json(json!({ "status": "ok" })).into_response())
}

/// 200 when the database answers, its schema is this build's, and the delivery queue moves;
/// 503 naming the failing checks otherwise.
async fn readyz(State(state): State<AppState>) -> Response {
    let database = match enishi_db::ping(&state.db).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            false
        }
    };
    let migrations = database
        && match enishi_db::pending_migrations(&state.db).await {
            Ok(0) => true,
            Ok(n) => {
                tracing::warn!(pending = n, "readiness: migrations are pending");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "readiness: cannot read the applied migrations");
                false
            }
        };
    let queue = database
        && match enishi_db::delivery_health::oldest_takeable_secs(&state.db).await {
            Ok(waited) if waited <= QUEUE_STUCK_AFTER.as_secs() => true,
            Ok(waited) => {
                tracing::warn!(
                    waited_secs = waited,
                    "readiness: a delivery any worker could take has waited too long; are workers running?"
                );
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "readiness: cannot read the delivery queue");
                false
            }
        };
    let word = |ok: bool| if ok { "ok" } else { "failing" };
    let checks = json!({
        "database": word(database),
        "migrations": word(migrations),
        "queue": word(queue),
    });
    if database && migrations && queue {
        return no_store(Json(json!({ "status": "ready", "checks": checks })).into_response());
    }
    let failing: Vec<&str> = [
        ("database", database),
        ("migrations", migrations),
        ("queue", queue),
    ]
    .into_iter()
    .filter(|(_, ok)| !ok)
    .map(|(name, _)| name)
    .collect();
    let error = AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not_ready",
        format!("not ready: {} failing", failing.join(", ")),
    );
    // The error's usual shape, with the checks beside it.
    let body = json!({
        "error": error.code,
        "message": error.message,
        "status": "not_ready",
        "checks": checks,
    });
    let mut response = (error.status, Json(body)).into_response();
    response.extensions_mut().insert(error);
    no_store(response)
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}
