//! Authorised fetch (DESIGN §5): an extractor for GETs that may carry an HTTP signature. The
//! federation crate has none for axum.

use crate::inbox::{header_pairs, refusal};
use crate::{AppError, AppState};
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use enishi_apub::inbox::verify::signer_of;
use enishi_apub::signatures::RequestParts;
use enishi_core::{Actor, Viewer};

/// The verified signer of a GET, if it was signed. A signature that does not verify is a 401;
/// no signature at all is `None` (each handler decides whether that is enough).
#[derive(Debug, Clone)]
pub struct SignedFetch(pub Option<Actor>);

impl SignedFetch {
    /// The viewer the audience rule should judge: the remote signer, or anonymous.
    pub fn viewer(&self) -> Viewer {
        match &self.0 {
            Some(a) => Viewer::remote(a.id),
            None => Viewer::ANONYMOUS,
        }
    }

    /// Requires a signature: 401 without one.
    pub fn required(&self) -> Result<&Actor, AppError> {
        self.0.as_ref().ok_or_else(|| {
            AppError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "signature_required",
                "this document needs a signed request (authorised fetch)",
            )
        })
    }
}

impl FromRequestParts<AppState> for SignedFetch {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if !parts.headers.contains_key("signature") {
            return Ok(SignedFetch(None));
        }
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let path = uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| uri.path().to_owned());
        let headers = header_pairs(&parts.headers);
        let request = RequestParts {
            method: parts.method.as_str(),
            scheme: state.settings.scheme.as_str(),
            path_and_query: &path,
            headers: &headers,
            body: None,
        };
        let signer = signer_of(&state.inbox, &request).await.map_err(refusal)?;
        Ok(SignedFetch(Some(signer)))
    }
}
