//! The one error type at the HTTP boundary.
//!
//! Clients get a stable snake_case `error` code and a message meant for people; internal
//! causes go to the log only. Browsers get the same as a small HTML page.

use crate::negotiate::prefers_html;
use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use enishi_core::ValidationError;
use serde::Serialize;

/// An error answered to a client.
#[derive(Debug, Clone)]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// The input field at fault, for validation errors.
    pub field: Option<String>,
    /// Seconds to wait before trying again (`Retry-After`, with 429).
    pub retry_after: Option<u64>,
}

/// The JSON body of every error: `{"error": code, "message": …}`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code.
    pub error: String,
    /// Human-readable message.
    pub message: String,
    /// The input field at fault, for `validation_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// 429 `rate_limited`, with `Retry-After` (whole seconds, rounded up).
    pub fn too_many_requests(wait: std::time::Duration) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many attempts; try again in {secs} s"),
        );
        err.retry_after = Some(secs.max(1));
        err
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 400 with a specific code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 500 `internal_error`; logs the cause, which the client never sees.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong on the server; it has been logged",
        )
    }
}

impl From<enishi_db::DbErr> for AppError {
    fn from(e: enishi_db::DbErr) -> Self {
        AppError::internal(e)
    }
}

impl From<ValidationError> for AppError {
    fn from(e: ValidationError) -> Self {
        let mut err = AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            e.to_string(),
        );
        err.field = Some(e.field.to_owned());
        err
    }
}

impl From<enishi_db::OpError> for AppError {
    fn from(e: enishi_db::OpError) -> Self {
        use enishi_db::OpError;
        match e {
            OpError::NotFound(m) => AppError::not_found(m),
            OpError::Forbidden(m) => AppError::new(StatusCode::FORBIDDEN, "forbidden", m),
            OpError::Conflict(code, m) => AppError::new(StatusCode::CONFLICT, code, m),
            OpError::Invalid(v) => v.into(),
            OpError::Db(e) => AppError::internal(e),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.to_owned(),
            message: self.message.clone(),
            field: self.field.clone(),
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// Answers unknown paths with the standard 404 body.
pub async fn not_found_fallback() -> AppError {
    AppError::not_found("no such page")
}

/// Most header lines a request may carry before it is refused with 431.
pub const MAX_HEADER_COUNT: usize = 100;
/// Most bytes of header names and values a request may carry before it is refused with 431.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Refuses requests with too many or too large headers: 431 with the JSON error body. The
/// connection layer's own limits are set well above these (see `enishi_server`), so that every
/// such request reaches this check rather than hyper's empty 431.
pub async fn limit_headers(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADER_COUNT || bytes > MAX_HEADER_BYTES {
        return AppError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!(
                "the request has {} header lines and {bytes} bytes of headers; at most \
                 {MAX_HEADER_COUNT} lines and {MAX_HEADER_BYTES} bytes are accepted",
                headers.len()
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// The stable code and a message for an error status that no handler described: axum's 405,
/// the body limit's 413, an extractor's rejection.
fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        409 => "conflict",
        411 => "length_required",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "too_many_requests",
        431 => "headers_too_large",
        501 => "not_implemented",
        503 => "unavailable",
        s if s >= 500 => "internal_error",
        _ => "bad_request",
    }
}

/// Gives every error response the JSON error body, whatever layer produced it: responses that
/// did not come from an [`AppError`] (axum's 405 and path rejections, the body limit's 413, …)
/// are rewritten, keeping their status and headers (`Allow`, `Retry-After`, …).
pub async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    // A page that renders its own refusal (a form shown again with its error) is HTML
    // already: only answers without a body of ours get the JSON shape.
    let own_page = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<AppError>().is_some()
        || own_page
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = parts
                .headers
                .get(axum::http::header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            format!("{method} is not allowed here; this path takes {allow}")
        }
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is larger than the limit of {} bytes",
            crate::MAX_BODY_BYTES
        ),
        _ => {
            let plain = parts
                .headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.starts_with("text/plain"));
            let text = if plain {
                axum::body::to_bytes(body, 2048)
                    .await
                    .ok()
                    .and_then(|b| String::from_utf8(b.to_vec()).ok())
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
            } else {
                None
            };
            text.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned())
        }
    };
    if status.is_server_error() {
        tracing::error!(%status, %message, "an error response without a cause");
    }
    let mut fresh = AppError::new(status, code_for(status), message).into_response();
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            fresh.headers_mut().append(name, value.clone());
        }
    }
    fresh
}

/// Whether `path` belongs to the JSON API or an inbox, whose errors are always JSON.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/inbox" || path.ends_with("/inbox")
}

/// Re-renders errors as an HTML page for browsers, which asked for HTML rather than JSON. The
/// API and the inboxes always answer JSON.
pub async fn render_errors_for_browsers(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    request: Request,
    next: Next,
) -> Response {
    let html = prefers_html(request.headers()) && !is_api_path(request.uri().path());
    let names = crate::pages::visit::CookieNames::for_scheme(state.settings.scheme);
    let lang = crate::pages::visit::request_lang(request.headers(), names);
    let response = next.run(request).await;
    if !html {
        return response;
    }
    match response.extensions().get::<AppError>() {
        // A page that needs a member sends a visitor to the login form.
        Some(err) if err.code == "login_required" => {
            axum::response::Redirect::to("/login").into_response()
        }
        Some(err) => {
            let page = crate::pages::error_page(err, lang, &state.settings.name);
            let mut html = (err.status, page).into_response();
            for (name, value) in response.headers() {
                if name != axum::http::header::CONTENT_TYPE
                    && name != axum::http::header::CONTENT_LENGTH
                {
                    html.headers_mut().append(name, value.clone());
                }
            }
            html
        }
        None => response,
    }
}
