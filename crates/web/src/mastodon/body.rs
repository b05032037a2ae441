//! Parameters of a Mastodon API request, wherever the app put them: the query string, or a
//! body sent as JSON, a form (`application/x-www-form-urlencoded`) or multipart. Apps differ,
//! and Mastodon accepts all of them.
//!
//! Everything is gathered into one JSON object whose leaves are strings (a JSON `true` or `3`
//! becomes `"true"` or `"3"`, as a form would send it); `name[]=a&name[]=b` and repeated names
//! become lists. Handlers' parameter structs then read strings and say what they expect.

use super::MastoError;
use crate::AppState;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A handler's parameters, deserialized from the query and the body together.
pub struct Params<T>(pub T);

fn insert(map: &mut Map<String, Value>, key: &str, value: String) {
    let (name, listed) = match key.strip_suffix("[]") {
        Some(n) => (n, true),
        None => (key, false),
    };
    match map.get_mut(name) {
        Some(Value::Array(list)) => list.push(Value::String(value)),
        Some(old) => {
            let first = old.take();
            *old = Value::Array(vec![first, Value::String(value)]);
        }
        None if listed => {
            map.insert(name.to_owned(), Value::Array(vec![Value::String(value)]));
        }
        None => {
            map.insert(name.to_owned(), Value::String(value));
        }
    }
}

/// JSON with every scalar leaf as a string.
fn stringly(v: Value) -> Value {
    match v {
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Array(a) => Value::Array(a.into_iter().map(stringly).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, stringly(v))).collect()),
        other => other,
    }
}

fn invalid(message: impl Into<String>) -> MastoError {
    MastoError::unprocessable(message)
}

impl<T: DeserializeOwned> FromRequest<AppState> for Params<T> {
    type Rejection = MastoError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, MastoError> {
        let mut map = Map::new();
        if let Some(q) = req.uri().query() {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                insert(&mut map, &k, v.into_owned());
            }
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut parts = Multipart::from_request(req, state)
                .await
                .map_err(|e| invalid(format!("the multipart body is malformed: {e}")))?;
            while let Some(field) = parts
                .next_field()
                .await
                .map_err(|e| invalid(format!("the multipart body is malformed: {e}")))?
            {
                let Some(name) = field.name().map(str::to_owned) else {
                    continue;
                };
                let text = field
                    .text()
                    .await
                    .map_err(|_| invalid(format!("{name}: not text")))?;
                insert(&mut map, &name, text);
            }
        } else {
            let body = axum::body::to_bytes(req.into_body(), crate::MAX_BODY_BYTES)
                .await
                .map_err(|_| {
                    MastoError::new(
                        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "the body is too large",
                    )
                })?;
            if body.iter().any(|b| !b.is_ascii_whitespace()) {
                if content_type.starts_with("application/json") {
                    let value: Value = serde_json::from_slice(&body)
                        .map_err(|e| invalid(format!("the body is not JSON: {e}")))?;
                    let Value::Object(fields) = stringly(value) else {
                        return Err(invalid("the body must be a JSON object"));
                    };
                    map.extend(fields);
                } else {
                    // Forms, and bodies sent without a type (some apps do).
                    for (k, v) in url::form_urlencoded::parse(&body) {
                        insert(&mut map, &k, v.into_owned());
                    }
                }
            }
        }
        // No text anywhere may hold a NUL character (PostgreSQL cannot store one).
        if map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)) {
            return Err(invalid("text must not contain a NUL character"));
        }
        serde_json::from_value(Value::Object(map))
            .map(Params)
            .map_err(|e| invalid(e.to_string()))
    }
}

fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// A boolean as apps send it: `true`/`false`, `1`/`0`, `on`.
pub fn flag(v: Option<&str>) -> bool {
    matches!(v, Some("true" | "1" | "on" | "yes"))
}

/// A list parameter that may also come as one value.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// Nothing.
    #[default]
    None,
    /// One value.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}
