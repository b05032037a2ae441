//! A page form as the browser sent it: urlencoded (every form) or `multipart/form-data` (the
//! forms that carry photos), read into one shape so that a handler does not care which.
//!
//! The body arrives already limited by the router's `limit_bodies` (large enough for a form's
//! photos only on the routes that take them) and already buffered by `visit::check_forms`.

use crate::{AppError, AppState};
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use bytes::Bytes;

/// A file sent with a form.
#[derive(Debug, Clone)]
pub struct SentFile {
    /// The form field's name.
    pub field: String,
    /// The name the browser gave the file (only ever shown back, escaped, in messages).
    pub file_name: String,
    /// Its bytes, as sent: nothing about them is trusted before `enishi_media::process`.
    pub bytes: Bytes,
}

/// A form's text fields and files, in the order sent.
#[derive(Debug, Clone, Default)]
pub struct SentForm {
    /// Text fields.
    pub fields: Vec<(String, String)>,
    /// Files picked in file inputs (an input left empty sends no file).
    pub files: Vec<SentFile>,
}

impl SentForm {
    /// The first value of the text field `name`, or "" when not sent.
    pub fn text(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether the text field `name` was sent (a button's name, a ticked checkbox).
    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == name)
    }
}

/// Whether a `Content-Type` is a multipart form.
pub fn is_multipart(content_type: &str) -> bool {
    content_type
        .get(..19)
        .is_some_and(|p| p.eq_ignore_ascii_case("multipart/form-data"))
}

/// Whether a `Content-Type` is an urlencoded form.
pub fn is_urlencoded(content_type: &str) -> bool {
    content_type
        .get(..33)
        .is_some_and(|p| p.eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

fn invalid(e: impl std::fmt::Display) -> AppError {
    AppError::bad_request("invalid_form", format!("the form could not be read: {e}"))
}

/// The first field of a multipart form, if it is the text field `name`: the form token is
/// checked from it without reading the files after it.
pub async fn first_field(content_type: &str, body: Bytes, name: &str) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let mut form =
        multer::Multipart::new(axum::body::Body::from(body).into_data_stream(), boundary);
    let field = form.next_field().await.ok()??;
    if field.name() != Some(name) || field.file_name().is_some() {
        return None;
    }
    field.text().await.ok()
}

async fn read_multipart(content_type: &str, body: Bytes) -> Result<SentForm, AppError> {
    let boundary = multer::parse_boundary(content_type).map_err(invalid)?;
    let mut form =
        multer::Multipart::new(axum::body::Body::from(body).into_data_stream(), boundary);
    let mut sent = SentForm::default();
    while let Some(field) = form.next_field().await.map_err(invalid)? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let bytes = field.bytes().await.map_err(invalid)?;
                // A file input left empty still sends its part, with no name and no bytes.
                if !(file_name.is_empty() && bytes.is_empty()) {
                    sent.files.push(SentFile {
                        field: name,
                        file_name,
                        bytes,
                    });
                }
            }
            None => {
                let value = field.text().await.map_err(invalid)?;
                sent.fields.push((name, value));
            }
        }
    }
    Ok(sent)
}

impl FromRequest<AppState> for SentForm {
    type Rejection = AppError;

    async fn from_request(request: Request, _: &AppState) -> Result<Self, AppError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        // No limit of its own: the body is bounded by `limit_bodies` for this route.
        let body = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .map_err(|_| {
                AppError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the form is larger than this page takes",
                )
            })?;
        if is_multipart(&content_type) {
            read_multipart(&content_type, body).await
        } else if is_urlencoded(&content_type) {
            let fields = serde_urlencoded::from_bytes(&body).map_err(invalid)?;
            Ok(SentForm {
                fields,
                files: Vec::new(),
            })
        } else {
            Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the page's form",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert!(is_multipart("multipart/form-data; boundary=x"));
        assert!(is_multipart("Multipart/Form-Data; boundary=x"));
        assert!(!is_multipart("multipart/mixed; boundary=x"));
        assert!(is_urlencoded("application/x-www-form-urlencoded"));
        assert!(is_urlencoded(
            "application/x-www-form-urlencoded; charset=UTF-8"
        ));
        assert!(!is_urlencoded("text/plain"));
    }

    fn body(parts: &[(&str, Option<&str>, &str)]) -> Bytes {
        let mut s = String::new();
        for (name, file, value) in parts {
            s.push_str("--B\r\n");
            match file {
                Some(f) => s.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )),
                None => s.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                )),
            }
            s.push_str(value);
            s.push_str("\r\n");
        }
        s.push_str("--B--\r\n");
        Bytes::from(s)
    }

    #[tokio::test]
    async fn the_token_must_be_the_first_field() {
        let ct = "multipart/form-data; boundary=B";
        let first = body(&[("csrf", None, "tok"), ("title", None, "x")]);
        assert_eq!(first_field(ct, first, "csrf").await.as_deref(), Some("tok"));
        let later = body(&[("title", None, "x"), ("csrf", None, "tok")]);
        assert_eq!(first_field(ct, later, "csrf").await, None);
        let as_file = body(&[("csrf", Some("csrf.txt"), "tok")]);
        assert_eq!(first_field(ct, as_file, "csrf").await, None);
        assert_eq!(
            first_field("multipart/form-data", body(&[]), "csrf").await,
            None
        );
    }

    #[tokio::test]
    async fn empty_file_inputs_send_no_file() {
        let sent = read_multipart(
            "multipart/form-data; boundary=B",
            body(&[
                ("csrf", None, "tok"),
                ("file-0", Some(""), ""),
                ("file-1", Some("cat.png"), "not really"),
                ("file-2", Some("empty.jpg"), ""),
            ]),
        )
        .await
        .unwrap();
        assert_eq!(sent.text("csrf"), "tok");
        let names: Vec<_> = sent.files.iter().map(|f| f.file_name.as_str()).collect();
        assert_eq!(names, ["cat.png", "empty.jpg"]);
        let fields: Vec<_> = sent.files.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["file-1", "file-2"]);
    }
}
