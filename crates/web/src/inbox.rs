//! The inboxes: `POST /inbox` (shared) and `POST /users/{name}/inbox`. Everything is decided in
//! `enishi_apub::inbox`; this only turns HTTP into its input and its verdict into HTTP.

use crate::{AppError, AppState};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::post;
use enishi_apub::inbox::{InboundRequest, InboxError, Outcome, handle};

/// Inbox routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inbox", post(inbox))
        .route("/users/{name}/inbox", post(inbox))
}

/// Header pairs with lower-case names, as the signature code reads them.
pub fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect()
}

/// The HTTP face of an inbox refusal; the full reason is logged, and the client gets
/// [`InboxError::public_message`] (never what happened when we fetched something: a 401 says
/// only "signature could not be verified").
pub fn refusal(e: InboxError) -> AppError {
    if let InboxError::RateLimited(wait) = e {
        let mut err = AppError::too_many_requests(wait);
        err.message = e.to_string();
        return err;
    }
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    if status.is_server_error() {
        return AppError::internal(e);
    }
    tracing::info!(status = status.as_u16(), reason = %e, "refused an inbound request");
    AppError::new(status, e.code(), e.public_message())
}

async fn inbox(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| uri.path().to_owned());
    let request = InboundRequest {
        method: method.as_str(),
        path_and_query: &path,
        headers: header_pairs(&headers),
        body: &body,
    };
    match handle(&state.inbox, &request).await {
        Ok(Outcome::Handled | Outcome::Duplicate | Outcome::Ignored(_)) => Ok(StatusCode::ACCEPTED),
        Err(e) => Err(refusal(e)),
    }
}
