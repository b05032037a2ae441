//! Content negotiation between ActivityStreams JSON and HTML on the same URLs.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The response content type of ActivityStreams documents.
pub const ACTIVITY_JSON_UTF8: &str = "application/activity+json; charset=utf-8";

fn accept(headers: &HeaderMap) -> String {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
        .to_ascii_lowercase()
}

/// Whether the client asked for ActivityStreams: `application/activity+json`, or
/// `application/ld+json` (with or without the ActivityStreams profile).
pub fn wants_activity_json(headers: &HeaderMap) -> bool {
    let accept = accept(headers);
    accept.split(',').any(|item| {
        let media = item.split(';').next().unwrap_or("").trim();
        media == "application/activity+json" || media == "application/ld+json"
    })
}

/// Whether the client is a browser that wants a page rather than JSON.
pub fn prefers_html(headers: &HeaderMap) -> bool {
    let accept = accept(headers);
    accept.contains("text/html") && !wants_activity_json(headers)
}

/// Serialises an ActivityStreams document with the right content type.
pub fn activity_json<T: Serialize>(doc: &T) -> Response {
    match serde_json::to_vec(doc) {
        Ok(body) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(ACTIVITY_JSON_UTF8),
                ),
                (header::VARY, HeaderValue::from_static("Accept")),
            ],
            body,
        )
            .into_response(),
        Err(e) => crate::AppError::internal(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(accept: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::ACCEPT, accept.parse().unwrap());
        m
    }

    #[test]
    fn negotiation() {
        assert!(wants_activity_json(&h("application/activity+json")));
        assert!(wants_activity_json(&h(
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        )));
        assert!(wants_activity_json(&h(
            "Application/Activity+JSON, text/html;q=0.1"
        )));
        assert!(!wants_activity_json(&h(
            "text/html,application/xhtml+xml,*/*;q=0.8"
        )));
        assert!(prefers_html(&h(
            "text/html,application/xhtml+xml,*/*;q=0.8"
        )));
        assert!(!prefers_html(&h("application/json")));
        assert!(!prefers_html(&HeaderMap::new()));
    }
}
