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
        }
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
        response.extensions_mut().insert(self);
        response
    }
}

/// Answers unknown paths with the standard 404 body.
pub async fn not_found_fallback() -> AppError {
    AppError::not_found("no such page")
}

/// Re-renders errors as an HTML page for browsers, which asked for HTML rather than JSON.
pub async fn render_errors_for_browsers(request: Request, next: Next) -> Response {
    let html = prefers_html(request.headers());
    let response = next.run(request).await;
    if !html {
        return response;
    }
    match response.extensions().get::<AppError>() {
        Some(err) => {
            let page = crate::pages::error_page(err);
            (err.status, page).into_response()
        }
        None => response,
    }
}
