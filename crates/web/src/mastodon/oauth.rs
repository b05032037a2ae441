//! OAuth 2 for Mastodon apps: registering an app (`POST /api/v1/apps`), the token endpoint
//! (authorization_code with optional PKCE S256, client_credentials, password), revocation
//! (RFC 7009) and the server's metadata (RFC 8414). The approval page, which needs the
//! member's browser session, is `pages::oauth_authorize`.

use super::body::{OneOrMany, Params};
use super::{Auth, MastoError, MastoResult};
use crate::AppState;
use crate::limits::ClientAddr;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use enishi_core::scopes::{KNOWN, Scopes};
use enishi_db::oauth::{self, App, GrantError, NewApp};
use serde::Deserialize;
use serde_json::{Value, json};

/// Where an app without a web page of its own gets its code shown.
pub const OUT_OF_BAND: &str = "urn:ietf:wg:oauth:2.0:oob";

/// Whether `uri` may be registered as a redirect URI: the out-of-band name, or any absolute
/// URI — apps use their own schemes (`com.tapbots.Ivory.10217:/request_token`).
pub fn valid_redirect_uri(uri: &str) -> bool {
    uri == OUT_OF_BAND
        || (uri.len() <= 2000
            && !uri.chars().any(char::is_whitespace)
            && url::Url::parse(uri)
                .is_ok_and(|u| u.scheme() != "javascript" && u.scheme() != "data"))
}

/// `POST /api/v1/apps`'s parameters.
#[derive(Deserialize)]
pub struct AppIn {
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: OneOrMany,
    scopes: Option<String>,
    website: Option<String>,
}

fn app_json(app: &App, secret: Option<&str>) -> Value {
    let uris: Vec<&str> = oauth::redirect_uris(app).collect();
    let scopes = oauth::app_scopes(app).to_text();
    let mut v = json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "redirect_uri": uris.join("\n"),
        "redirect_uris": uris,
        "scopes": scopes.split(' ').collect::<Vec<_>>(),
        "vapid_key": null,
    });
    if let Some(secret) = secret {
        v["client_id"] = app.client_id.clone().into();
        v["client_secret"] = secret.into();
        v["client_secret_expires_at"] = 0.into();
    }
    v
}

/// Registers an app.
pub async fn create_app(
    State(state): State<AppState>,
    client: crate::limits::ClientAddr,
    Params(input): Params<AppIn>,
) -> MastoResult<Json<Value>> {
    crate::rate_limits::admit(&state.access.actions.apps, &client.0, "app registrations")?;
    let name = input
        .client_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| MastoError::unprocessable("client_name: can't be blank"))?;
    if name.chars().count() > 100 {
        return Err(MastoError::unprocessable(
            "client_name: at most 100 characters",
        ));
    }
    // Mastodon takes several URIs in one string, one per line, as well as a list.
    let uris: Vec<String> = input
        .redirect_uris
        .to_vec()
        .iter()
        .flat_map(|u| u.lines().map(str::trim).map(str::to_owned))
        .filter(|u| !u.is_empty())
        .collect();
    if uris.is_empty() {
        return Err(MastoError::unprocessable("redirect_uris: can't be blank"));
    }
    if let Some(bad) = uris.iter().find(|u| !valid_redirect_uri(u)) {
        return Err(MastoError::unprocessable(format!(
            "redirect_uris: {bad:?} is not an absolute URI"
        )));
    }
    let scopes = Scopes::parse(input.scopes.as_deref().unwrap_or("read"))
        .map_err(|e| MastoError::unprocessable(format!("scopes: {e}")))?;
    let website = input
        .website
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty());
    if let Some(w) = website
        && url::Url::parse(w).map_or(true, |u| !matches!(u.scheme(), "http" | "https"))
    {
        return Err(MastoError::unprocessable("website: must be an http(s) URL"));
    }
    let (app, secret) = oauth::register_app(
        &state.db,
        NewApp {
            name,
            website,
            redirect_uris: &uris,
            scopes: &scopes,
        },
    )
    .await?;
    Ok(Json(app_json(&app, Some(&secret))))
}

/// The app a token belongs to (`GET /api/v1/apps/verify_credentials`).
pub async fn verify_app(State(state): State<AppState>, auth: Auth) -> MastoResult<Json<Value>> {
    let app = match (&auth.app, &auth.member) {
        (Some(app), _) => Some(app.clone()),
        (None, Some((_, grant))) => match grant.app_id {
            Some(id) => oauth::app_by_id(&state.db, id).await?,
            None => None,
        },
        (None, None) => None,
    };
    let app = app.ok_or_else(|| {
        MastoError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The access token is invalid",
        )
    })?;
    let mut v = app_json(&app, None);
    if let Some(obj) = v.as_object_mut() {
        obj.remove("redirect_uri");
    }
    Ok(Json(v))
}

/// An error of the token and revocation endpoints, in RFC 6749's shape.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_client() -> Self {
        OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        )
    }
}

impl From<GrantError> for OAuthError {
    fn from(e: GrantError) -> Self {
        match e {
            GrantError::InvalidGrant => OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
            ),
            GrantError::InvalidScope => OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "The requested scope is invalid, unknown, or malformed.",
            ),
        }
    }
}

impl From<MastoError> for OAuthError {
    fn from(e: MastoError) -> Self {
        OAuthError {
            status: e.0.status,
            error: if e.0.status.is_server_error() {
                "server_error"
            } else {
                "invalid_request"
            },
            description: if e.0.status.is_server_error() {
                "something went wrong on the server; it has been logged".into()
            } else {
                e.0.message
            },
        }
    }
}

impl From<enishi_db::DbErr> for OAuthError {
    fn from(e: enishi_db::DbErr) -> Self {
        MastoError::from(e).into()
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response();
        // Marks the body as one of ours, so that `error::json_errors` leaves it as it is.
        r.extensions_mut().insert(crate::AppError::new(
            self.status,
            self.error,
            self.description,
        ));
        r
    }
}

/// `POST /oauth/token`'s parameters.
#[derive(Deserialize)]
pub struct TokenIn {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code_verifier: Option<String>,
    scope: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

fn required<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str, OAuthError> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
}

fn requested_scopes(text: Option<&str>) -> Result<Scopes, OAuthError> {
    Scopes::parse(text.unwrap_or("read")).map_err(|_| GrantError::InvalidScope.into())
}

/// Issues a token.
pub async fn token(
    State(state): State<AppState>,
    client: ClientAddr,
    params: Result<Params<TokenIn>, MastoError>,
) -> Response {
    match issue(&state, client, params).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn issue(
    state: &AppState,
    client: ClientAddr,
    params: Result<Params<TokenIn>, MastoError>,
) -> Result<Value, OAuthError> {
    let Params(input) = params?;
    let grant_type = required(&input.grant_type, "grant_type")?;
    let client_id = required(&input.client_id, "client_id")?;
    let secret = required(&input.client_secret, "client_secret")?;
    let app = oauth::authenticate_app(&state.db, client_id, secret)
        .await?
        .ok_or_else(OAuthError::invalid_client)?;
    let (token, scopes) = match grant_type {
        "authorization_code" => {
            let code = required(&input.code, "code")?;
            let redirect = required(&input.redirect_uri, "redirect_uri")?;
            oauth::redeem_code(
                &state.db,
                &app,
                code,
                redirect,
                input.code_verifier.as_deref(),
            )
            .await??
        }
        "client_credentials" => {
            let scopes = requested_scopes(input.scope.as_deref())?;
            (oauth::app_token(&state.db, &app, &scopes).await??, scopes)
        }
        "password" => {
            let username = required(&input.username, "username")?;
            let password = required(&input.password, "password")?;
            if let Err(limited) = state.access.login.admit(client.0, username) {
                let wait = limited.wait().as_secs().max(1);
                return Err(OAuthError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "invalid_request",
                    format!("too many attempts; try again in {wait} s"),
                ));
            }
            let scopes = requested_scopes(input.scope.as_deref())?;
            let result =
                oauth::password_grant(&state.db, &app, username, password, &scopes).await?;
            if result == Err(GrantError::InvalidGrant) {
                state.access.login.failed(username);
            }
            (result?, scopes)
        }
        other => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant_type {other:?} is not supported"),
            ));
        }
    };
    Ok(json!({
        "access_token": token,
        "token_type": "Bearer",
        "scope": scopes.to_text(),
        "created_at": chrono::Utc::now().timestamp(),
    }))
}

/// `POST /oauth/revoke`'s parameters.
#[derive(Deserialize)]
pub struct RevokeIn {
    client_id: Option<String>,
    client_secret: Option<String>,
    token: Option<String>,
}

/// Revokes a token the app holds.
pub async fn revoke(
    State(state): State<AppState>,
    params: Result<Params<RevokeIn>, MastoError>,
) -> Response {
    let result: Result<(), OAuthError> = async {
        let Params(input) = params?;
        let token = required(&input.token, "token")?;
        let client_id = required(&input.client_id, "client_id")?;
        let secret = required(&input.client_secret, "client_secret")?;
        let app = oauth::authenticate_app(&state.db, client_id, secret)
            .await?
            .ok_or_else(|| {
                OAuthError::new(
                    StatusCode::FORBIDDEN,
                    "unauthorized_client",
                    "You are not authorized to revoke this token",
                )
            })?;
        oauth::revoke(&state.db, &app, token).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Json(json!({})).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The authorization server's metadata (RFC 8414).
pub async fn metadata(State(state): State<AppState>) -> Json<Value> {
    let url = |p: &str| state.settings.url(p).to_string();
    Json(json!({
        "issuer": url("/"),
        "authorization_endpoint": url("/oauth/authorize"),
        "token_endpoint": url("/oauth/token"),
        "revocation_endpoint": url("/oauth/revoke"),
        "app_registration_endpoint": url("/api/v1/apps"),
        "service_documentation": "https://docs.joinmastodon.org/",
        "scopes_supported": KNOWN,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }))
}
