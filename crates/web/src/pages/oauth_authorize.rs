//! `/oauth/authorize`: a member approves (or refuses) a Mastodon app's request for access, in
//! the browser where they are logged in (the login page first if they are not).
//!
//! Nothing is sent back to a redirect URI before the app and the URI are known to belong
//! together: an unknown app or a URI it did not register gets an error page here, so that
//! this page cannot be used to send people to arbitrary places.

use super::visit::Visit;
use super::{page, page_with, see_other, widgets};
use crate::mastodon::oauth::OUT_OF_BAND;
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use enishi_core::scopes::Scopes;
use enishi_db::oauth::{self, App};
use maud::{Markup, html};
use serde::Deserialize;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/oauth/authorize", get(ask).post(decide))
}

/// The request's parameters, in the query (GET) or the approval form (POST).
#[derive(Deserialize, Default)]
pub struct AuthorizeIn {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// `approve` or `deny` (the form's buttons).
    decision: Option<String>,
}

/// A request whose app and redirect URI belong together.
struct Checked {
    app: App,
    redirect_uri: String,
    /// The scopes, or the error to send back to the app (RFC 6749 §4.1.2.1).
    scopes: Result<Scopes, &'static str>,
}

async fn error_page(
    state: &AppState,
    visit: &Visit,
    status: StatusCode,
    message: &str,
) -> Result<Response, AppError> {
    let title = visit.t("oauth-error-title");
    let body = html! {
        h1 { (title) }
        p role="alert" { (message) }
    };
    page_with(status, state, visit, &title, body).await
}

/// Checks the app and its redirect URI; `Err` is the page to show instead.
async fn check(
    state: &AppState,
    visit: &Visit,
    input: &AuthorizeIn,
) -> Result<Result<Checked, Response>, AppError> {
    let app = match input.client_id.as_deref() {
        Some(id) => oauth::find_app(&state.db, id).await?,
        None => None,
    };
    let Some(app) = app else {
        let r = error_page(
            state,
            visit,
            StatusCode::BAD_REQUEST,
            &visit.t("oauth-unknown-app"),
        )
        .await?;
        return Ok(Err(r));
    };
    let registered: Vec<&str> = oauth::redirect_uris(&app).collect();
    // Without one, the app's only URI is meant (RFC 6749 §3.1.2.3).
    let redirect_uri = match input.redirect_uri.as_deref() {
        Some(u) if registered.contains(&u) => Some(u.to_owned()),
        None if registered.len() == 1 => Some(registered[0].to_owned()),
        _ => None,
    };
    let Some(redirect_uri) = redirect_uri else {
        let r = error_page(
            state,
            visit,
            StatusCode::BAD_REQUEST,
            &visit.t("oauth-unknown-redirect"),
        )
        .await?;
        return Ok(Err(r));
    };
    let scopes = if input.response_type.as_deref() != Some("code") {
        Err("unsupported_response_type")
    } else if input.code_challenge.is_some()
        && input.code_challenge_method.as_deref().unwrap_or("plain") != "S256"
    {
        // Only S256: a plain challenge protects nothing that S256 does not do better.
        Err("invalid_request")
    } else {
        match Scopes::parse(input.scope.as_deref().unwrap_or("read")) {
            Ok(s) if oauth::app_scopes(&app).covers(&s) => Ok(s),
            _ => Err("invalid_scope"),
        }
    };
    Ok(Ok(Checked {
        app,
        redirect_uri,
        scopes,
    }))
}

/// Sends the browser back to the app with `params` (or shows them for out-of-band apps).
fn back_to_app(redirect_uri: &str, params: &[(&str, &str)]) -> Result<Response, AppError> {
    let mut url = url::Url::parse(redirect_uri).map_err(AppError::internal)?;
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    let mut r = see_other(url.as_str());
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

fn with_state<'a>(params: &mut Vec<(&'a str, &'a str)>, state: &'a Option<String>) {
    if let Some(s) = state {
        params.push(("state", s));
    }
}

async fn ask(
    State(state): State<AppState>,
    visit: Visit,
    Query(input): Query<AuthorizeIn>,
    uri: axum::http::Uri,
) -> Result<Response, AppError> {
    let checked = match check(&state, &visit, &input).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let scopes = match checked.scopes {
        Ok(s) => s,
        // Anyone may register an app with any redirect URI: sending a visitor there before
        // they chose anything would make this page an open redirect. The error stays here.
        Err(error) => {
            let message = visit.ta("oauth-bad-request", &[("error", error.into())]);
            return error_page(&state, &visit, StatusCode::BAD_REQUEST, &message).await;
        }
    };
    if visit.member.is_none() {
        let here = uri
            .path_and_query()
            .map_or("/oauth/authorize", |p| p.as_str());
        let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
        return Ok(see_other(&format!("/login?next={next}")));
    }
    let title = visit.t("oauth-title");
    let body = approval(&visit, &checked.app, &checked.redirect_uri, &scopes, &input);
    let mut r = page(&state, &visit, &title, body).await?;
    allow_redirect(&mut r, &checked.redirect_uri);
    Ok(r)
}

/// The approval form's page may send its form on to the app's redirect URI: the CSP's
/// `form-action` (which browsers also apply to the redirect after the form) names it.
fn allow_redirect(r: &mut Response, redirect_uri: &str) {
    let Ok(url) = url::Url::parse(redirect_uri) else {
        return;
    };
    let source = match url.scheme() {
        "http" | "https" => url.origin().ascii_serialization(),
        scheme => format!("{scheme}:"),
    };
    let csp = format!(
        "default-src 'none'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; form-action 'self' {source}; frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn approval(
    visit: &Visit,
    app: &App,
    redirect_uri: &str,
    scopes: &Scopes,
    input: &AuthorizeIn,
) -> Markup {
    let hidden = |name: &str, value: Option<&str>| {
        html! {
            @if let Some(v) = value {
                input type="hidden" name=(name) value=(v);
            }
        }
    };
    let scope_text = scopes.to_text();
    html! {
        h1 { (visit.t("oauth-title")) }
        p { (visit.ta("oauth-asks", &[("app", app.name.clone().into())])) }
        @if let Some(site) = &app.website {
            p { (visit.t("oauth-website")) " " (site) }
        }
        h2 { (visit.t("oauth-scopes")) }
        ul {
            @for s in scope_text.split(' ') {
                li { code { (s) } }
            }
        }
        form.stack method="post" action="/oauth/authorize" {
            (widgets::csrf(visit))
            (hidden("client_id", Some(&app.client_id)))
            (hidden("redirect_uri", Some(redirect_uri)))
            (hidden("scope", Some(&scope_text)))
            (hidden("state", input.state.as_deref()))
            (hidden("code_challenge", input.code_challenge.as_deref()))
            (hidden("code_challenge_method", input.code_challenge_method.as_deref()))
            (hidden("response_type", Some("code")))
            div.actions {
                button type="submit" name="decision" value="approve" { (visit.t("oauth-approve")) }
                " "
                button type="submit" name="decision" value="deny" { (visit.t("oauth-deny")) }
            }
        }
    }
}

async fn decide(
    State(state): State<AppState>,
    visit: Visit,
    Form(input): Form<AuthorizeIn>,
) -> Result<Response, AppError> {
    let Some(member) = visit.member.clone() else {
        return Ok(see_other("/login"));
    };
    let checked = match check(&state, &visit, &input).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    // An out-of-band app has nowhere to be sent back to: its refusals stay on the page.
    let oob = checked.redirect_uri == OUT_OF_BAND;
    let scopes = match checked.scopes {
        Ok(s) if input.decision.as_deref() == Some("approve") => s,
        Ok(_) if oob => {
            let message = visit.ta("oauth-denied", &[("app", checked.app.name.clone().into())]);
            return error_page(&state, &visit, StatusCode::OK, &message).await;
        }
        Err(error) if oob => {
            let message = visit.ta("oauth-bad-request", &[("error", error.into())]);
            return error_page(&state, &visit, StatusCode::BAD_REQUEST, &message).await;
        }
        Ok(_) => {
            let mut params = vec![("error", "access_denied")];
            with_state(&mut params, &input.state);
            return back_to_app(&checked.redirect_uri, &params);
        }
        Err(error) => {
            let mut params = vec![("error", error)];
            with_state(&mut params, &input.state);
            return back_to_app(&checked.redirect_uri, &params);
        }
    };
    let code = oauth::issue_code(
        &state.db,
        &checked.app,
        member.account_id,
        &checked.redirect_uri,
        &scopes,
        input.code_challenge.as_deref().filter(|c| !c.is_empty()),
    )
    .await?;
    if oob {
        let title = visit.t("oauth-code-title");
        let body = html! {
            h1 { (title) }
            p { (visit.ta("oauth-code-copy", &[("app", checked.app.name.clone().into())])) }
            p { code #authorization-code { (code) } }
        };
        let mut r = page(&state, &visit, &title, body).await?;
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(r);
    }
    let mut params = vec![("code", code.as_str())];
    with_state(&mut params, &input.state);
    back_to_app(&checked.redirect_uri, &params)
}
