//! Who is looking at a page: the browser session (a cookie whose secret is checked against
//! `browser_session`), the form token against cross-site requests, and the language.
//!
//! Every state-changing page request passes [`check_forms`]: same-origin `Origin` when the
//! browser sends one, and a `csrf` form field equal to the visitor's token cookie (the
//! double-submit pattern; the cookie is `SameSite=Lax` and, over https, `__Host-` so that no
//! other host can plant it).

use super::i18n::Lang;
use crate::{AppError, AppState};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use cookie::{Cookie, SameSite};
use enishi_core::{Member, Scheme, Viewer};
use enishi_db::browser_sessions;

/// Cookie names and attributes for this instance's scheme.
#[derive(Debug, Clone, Copy)]
pub struct CookieNames {
    secure: bool,
}

impl CookieNames {
    /// Cookie names for the instance's scheme.
    pub fn for_scheme(scheme: Scheme) -> Self {
        Self {
            secure: scheme == Scheme::Https,
        }
    }

    /// The session cookie's name.
    pub fn session(self) -> &'static str {
        if self.secure {
            "__Host-enishi_session"
        } else {
            "enishi_session"
        }
    }

    /// The form token cookie's name.
    pub fn csrf(self) -> &'static str {
        if self.secure {
            "__Host-enishi_csrf"
        } else {
            "enishi_csrf"
        }
    }

    /// The language cookie (for visitors who switch language without an account).
    pub fn lang(self) -> &'static str {
        if self.secure {
            "__Host-enishi_lang"
        } else {
            "enishi_lang"
        }
    }

    /// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, path `/`, `Secure` over https; no
    /// `max_age` makes it last for the browser session.
    pub fn set(self, name: &str, value: &str, max_age: Option<cookie::time::Duration>) -> String {
        let mut c = Cookie::build((name.to_owned(), value.to_owned()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure);
        if let Some(age) = max_age {
            c = c.max_age(age);
        }
        c.build().encoded().to_string()
    }

    /// A `Set-Cookie` value that removes the cookie.
    pub fn clear(self, name: &str) -> String {
        self.set(name, "", Some(cookie::time::Duration::ZERO))
    }
}

/// The value of the named cookie in a request.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse_encoded(v.to_owned()))
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The visitor's form token, as [`browser_cookies`] found or made it.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Gives every browser a form token cookie: read from the request, or made and set on the
/// response. Runs on every request (it is cheap) so that any page can render a form.
pub async fn browser_cookies(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let names = CookieNames::for_scheme(state.settings.scheme);
    let existing = cookie_value(request.headers(), names.csrf()).filter(|v| v.len() >= 32);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => match browser_sessions::random_secret() {
            Ok(t) => (t, true),
            Err(e) => return axum::response::IntoResponse::into_response(AppError::internal(e)),
        },
    };
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if fresh
        && is_html
        && let Ok(v) = HeaderValue::from_str(&names.set(names.csrf(), &token, None))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// Why a form was refused.
fn refused() -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        "form_expired",
        "the form was not sent from this site or has expired; reload the page and try again",
    )
}

/// Guards every state-changing page request: the `Origin` (when sent) must be this instance,
/// and the form must carry `csrf` equal to the token cookie. An urlencoded form may carry it
/// anywhere; a multipart one (the forms with photos) as its first field, where the pages put
/// it, so that nothing after it matters to the check.
pub async fn check_forms(State(state): State<AppState>, request: Request, next: Next) -> Response {
    use super::sent_form::{first_field, is_multipart, is_urlencoded};
    use axum::response::IntoResponse;
    // Pages change state only through POST forms; other methods go on to the router, which
    // answers 405 for them.
    if *request.method() != Method::POST {
        return next.run(request).await;
    }
    let origin_ok = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|o| o == state.settings.origin());
    if !origin_ok {
        return refused().into_response();
    }
    let Some(CsrfToken(expected)) = request.extensions().get::<CsrfToken>().cloned() else {
        return refused().into_response();
    };
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // Only the forms that take photos are sent as multipart; anywhere else it is refused like
    // any other body that is not the page's form.
    let path = request.uri().path();
    let multipart = is_multipart(&content_type)
        && (super::posts::takes_photos(path).is_some() || super::profile_images::receives(path));
    if !multipart && !is_urlencoded(&content_type) {
        return AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the page's form (application/x-www-form-urlencoded)",
        )
        .into_response();
    }
    // The whole body is buffered before the check. That is bounded: `limit_bodies` caps it at
    // `body_limit` for this path (1 MiB, or a form's photos at their size limit on the routes
    // that take them), the same bound used here.
    let limit = crate::body_limit(&state, request.uri().path());
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the form is larger than the limit of {limit} bytes"),
            )
            .into_response();
        }
    };
    let sent = if multipart {
        first_field(&content_type, bytes.clone(), "csrf").await
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|fields| fields.into_iter().find(|(k, _)| k == "csrf"))
            .map(|(_, v)| v)
    };
    let matches = sent.is_some_and(|s| {
        use subtle::ConstantTimeEq;
        s.len() == expected.len() && bool::from(s.as_bytes().ct_eq(expected.as_bytes()))
    });
    if !matches {
        return refused().into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// The visitor of a page: a logged-in member (by session cookie) or an anonymous visitor,
/// their language and their form token.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The member, when logged in.
    pub member: Option<Member>,
    /// The browser session's row id, when logged in.
    pub session_id: Option<i64>,
    /// The language pages are shown in.
    pub lang: Lang,
    /// The token every form carries as `csrf`.
    pub csrf: String,
    /// Cookie names for this instance.
    pub cookies: CookieNames,
}

impl Visit {
    /// An anonymous visitor without a form token (for pages rendered outside a request's
    /// context).
    pub fn anonymous(lang: Lang) -> Visit {
        Visit {
            member: None,
            session_id: None,
            lang,
            csrf: String::new(),
            cookies: CookieNames { secure: false },
        }
    }

    /// The visitor as the audience rule sees them.
    pub fn viewer(&self) -> Viewer {
        self.member
            .as_ref()
            .map_or(Viewer::ANONYMOUS, |m| Viewer::member(m.actor.id))
    }

    /// The message `key` in the visitor's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The message `key` with arguments.
    pub fn ta(&self, key: &str, args: &[(&'static str, super::i18n::Arg)]) -> String {
        self.lang.ta(key, args)
    }

    /// The logged-in member, or a redirect to the login page.
    pub fn member(&self) -> Result<&Member, AppError> {
        self.member.as_ref().ok_or_else(login_required)
    }

    /// The logged-in member who moderates (or administers), or 403 (a redirect to log in for
    /// visitors).
    pub fn moderator(&self) -> Result<&Member, AppError> {
        let m = self.member()?;
        if m.moderates() {
            Ok(m)
        } else {
            Err(AppError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                self.t("error-moderators-only"),
            ))
        }
    }

    /// The logged-in member, who must be an admin (403 otherwise).
    pub fn admin(&self) -> Result<&Member, AppError> {
        let m = self.member()?;
        if m.is_admin {
            Ok(m)
        } else {
            Err(AppError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                self.t("error-admins-only"),
            ))
        }
    }
}

/// An error that the HTML error renderer turns into a redirect to `/login`.
fn login_required() -> AppError {
    AppError::new(
        StatusCode::UNAUTHORIZED,
        "login_required",
        "log in to see this page",
    )
}

/// The language of a request without a member: the language cookie, else `Accept-Language`.
pub fn request_lang(headers: &HeaderMap, names: CookieNames) -> Lang {
    cookie_value(headers, names.lang())
        .and_then(|v| Lang::parse(&v))
        .unwrap_or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map_or(Lang::En, Lang::from_accept_language)
        })
}

impl FromRequestParts<AppState> for Visit {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(v) = parts.extensions.get::<Visit>() {
            return Ok(v.clone());
        }
        let names = CookieNames::for_scheme(state.settings.scheme);
        let session = match cookie_value(&parts.headers, names.session()) {
            Some(secret) if !secret.is_empty() => {
                browser_sessions::authenticate(&state.db, &secret).await?
            }
            _ => None,
        };
        let (member, session_id) = match session {
            Some((m, id)) => (Some(m), Some(id)),
            None => (None, None),
        };
        let lang = member
            .as_ref()
            .and_then(|m| m.language.as_deref())
            .and_then(Lang::parse)
            .unwrap_or_else(|| request_lang(&parts.headers, names));
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let visit = Visit {
            member,
            session_id,
            lang,
            csrf,
            cookies: names,
        };
        parts.extensions.insert(visit.clone());
        Ok(visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_over_https_are_host_only_and_secure() {
        let https = CookieNames::for_scheme(Scheme::Https);
        assert_eq!(https.session(), "__Host-enishi_session");
        let set = https.set(https.session(), "abc", None);
        for part in [
            "__Host-enishi_session=abc",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
        ] {
            assert!(set.contains(part), "{set}");
        }
        assert!(
            !set.contains("Domain"),
            "a __Host- cookie has no Domain: {set}"
        );
        let http = CookieNames::for_scheme(Scheme::Http);
        let set = http.set(http.session(), "abc", None);
        assert!(
            set.starts_with("enishi_session=abc") && !set.contains("Secure"),
            "{set}"
        );
        assert!(http.clear(http.csrf()).contains("Max-Age=0"));
    }

    #[test]
    fn cookie_values_are_found_among_several_headers() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; enishi_csrf=tok"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("enishi_session=s3"),
        );
        assert_eq!(cookie_value(&h, "enishi_csrf").as_deref(), Some("tok"));
        assert_eq!(cookie_value(&h, "enishi_session").as_deref(), Some("s3"));
        assert_eq!(cookie_value(&h, "nope"), None);
    }
}
