//! `GET /metrics`: the outbox queue and delivery counters in Prometheus text format.

use crate::{AppError, AppState};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use enishi_apub::outbox::Metrics;
use enishi_db::Db;
use std::fmt::Write as _;
use std::sync::Arc;

/// `/metrics` on the main address: only with the configured bearer token; without one set, or
/// with a wrong one, it is not there (404).
pub async fn metrics_with_token(
    state: State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let opens = match (&state.access.metrics_token, given) {
        (Some(token), Some(given)) => {
            use subtle::ConstantTimeEq;
            bool::from(token.as_bytes().ct_eq(given.as_bytes()))
        }
        _ => false,
    };
    if !opens {
        return Err(AppError::not_found("no such page"));
    }
    metrics(state).await
}

/// Renders the queue's gauges (from the database, so every process agrees) and this process's
/// delivery counters and rate-limit counts.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let mut out = render(&state.db, &state.metrics).await?;
    out.push_str(&state.access.login.render());
    out.push_str(&state.access.actions.render());
    out.push_str(&state.inbox.render_limits());
    Ok(text(out))
}

/// `/metrics` of an `enishi worker` process: the queue's gauges and its own delivery counters.
pub async fn worker_metrics(
    State((db, metrics)): State<(Db, Arc<Metrics>)>,
) -> Result<Response, AppError> {
    Ok(text(render(&db, &metrics).await?))
}

fn text(out: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        out,
    )
        .into_response()
}

/// The queue's gauges and `metrics`' counters, in Prometheus text format.
async fn render(db: &Db, metrics: &Metrics) -> Result<String, AppError> {
    let q = enishi_db::outbox::status(db).await?;
    let mut out = String::new();
    for (name, help, value) in [
        (
            "enishi_outbox_depth",
            "Deliveries not yet settled.",
            q.depth,
        ),
        ("enishi_outbox_due", "Deliveries due now.", q.due_now),
        (
            "enishi_outbox_retrying",
            "Deliveries waiting after a failed attempt.",
            q.retrying,
        ),
        ("enishi_outbox_dead", "Deliveries given up on.", q.dead),
        (
            "enishi_outbox_oldest_due_seconds",
            "How long the oldest due delivery has waited.",
            q.oldest_due_secs,
        ),
        (
            "enishi_outbox_unavailable_hosts",
            "Hosts resting after repeated failures.",
            q.unavailable_hosts.len() as u64,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    }
    out.push_str(&metrics.render());
    Ok(out)
}
