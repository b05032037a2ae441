//! Joining and leaving: sign up, log in, log out, change password, the member's own sessions
//! and the language switch.

use super::visit::Visit;
use super::{page, page_with, see_other, widgets};
use crate::limits::ClientAddr;
use crate::{AppError, AppState};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use enishi_core::RegistrationMode;
use enishi_db::accounts::{self, CreateMemberError, NewMember, SignUpError};
use enishi_db::browser_sessions;
use maud::{Markup, html};
use serde::Deserialize;

/// Routes for joining and leaving.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/signup", get(signup_form).post(signup))
        .route(
            "/settings/password",
            get(password_form).post(change_password),
        )
        .route("/settings/sessions", get(sessions))
        .route("/settings/sessions/end", post(end_session))
        .route("/language", post(set_language))
}

fn field_error(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.error role="alert" { (m) }
        }
    }
}

/// Where a login may send the member on: a path of this site (the OAuth approval page, for
/// one), never another site (`//evil.example`, `/\evil.example`).
pub fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.starts_with("/\\")
            && !n.chars().any(|c| c.is_control() || c == '\\')
    })
}

fn login_body(visit: &Visit, username: &str, next: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        h1 { (visit.t("login-title")) }
        (field_error(error))
        form.stack method="post" action="/login" {
            (widgets::csrf(visit))
            @if let Some(next) = safe_next(next) {
                input type="hidden" name="next" value=(next);
            }
            div {
                label for="username" { (visit.t("field-username")) }
                input #username type="text" name="username" value=(username) autocomplete="username" autocapitalize="none" required;
            }
            div {
                label for="password" { (visit.t("field-password")) }
                input #password type="password" name="password" autocomplete="current-password" required;
            }
            div { button type="submit" { (visit.t("login-submit")) } }
        }
        p { (visit.t("login-no-account")) " " a href="/signup" { (visit.t("nav-signup")) } }
    }
}

/// `?next=` of the login page.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    visit: Visit,
    axum::extract::Query(query): axum::extract::Query<NextQuery>,
) -> Result<Response, AppError> {
    if visit.member.is_some() {
        return Ok(see_other(safe_next(query.next.as_deref()).unwrap_or("/")));
    }
    page(
        &state,
        &visit,
        &visit.t("login-title"),
        login_body(&visit, "", query.next.as_deref(), None),
    )
    .await
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    /// Where to go after logging in (a path here).
    next: Option<String>,
}

fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// Starts a browser session and sends its cookie with a redirect.
async fn start_session(
    state: &AppState,
    visit: &Visit,
    account_id: i64,
    headers: &HeaderMap,
    to: &str,
) -> Result<Response, AppError> {
    let secret = browser_sessions::create(&state.db, account_id, &user_agent(headers)).await?;
    let mut r = see_other(to);
    let cookie = visit.cookies.set(
        visit.cookies.session(),
        &secret,
        Some(cookie::time::Duration::days(
            browser_sessions::IDLE_LIFETIME.num_days(),
        )),
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
    );
    Ok(r)
}

async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    visit: Visit,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let title = visit.t("login-title");
    if let Err(limited) = state.access.login.admit(client.0, &form.username) {
        let wait = limited.wait().as_secs().max(1);
        let msg = visit.ta("login-rate-limited", &[("seconds", wait.into())]);
        let mut r = page_with(
            StatusCode::TOO_MANY_REQUESTS,
            &state,
            &visit,
            &title,
            login_body(&visit, &form.username, form.next.as_deref(), Some(&msg)),
        )
        .await?;
        r.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&wait.to_string()).map_err(AppError::internal)?,
        );
        return Ok(r);
    }
    match accounts::authenticate(&state.db, &form.username, &form.password).await? {
        Some(member) => {
            let to = safe_next(form.next.as_deref()).unwrap_or("/");
            start_session(&state, &visit, member.account_id, &headers, to).await
        }
        None => {
            state.access.login.failed(&form.username);
            // One answer for an unknown account, a wrong password and a suspended member.
            page_with(
                StatusCode::UNAUTHORIZED,
                &state,
                &visit,
                &title,
                login_body(
                    &visit,
                    &form.username,
                    form.next.as_deref(),
                    Some(&visit.t("login-failed")),
                ),
            )
            .await
        }
    }
}

async fn logout(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    if let (Some(m), Some(id)) = (&visit.member, visit.session_id) {
        browser_sessions::end(&state.db, m.account_id, id).await?;
    }
    let mut r = see_other("/");
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&visit.cookies.clear(visit.cookies.session()))
            .map_err(AppError::internal)?,
    );
    Ok(r)
}

fn signup_body(
    visit: &Visit,
    mode: RegistrationMode,
    form: &SignupForm,
    error: Option<&str>,
) -> Markup {
    html! {
        h1 { (visit.t("signup-title")) }
        @match mode {
            RegistrationMode::Closed => {
                p { (visit.t("front-joining-closed")) }
            }
            _ => {
                @if mode == RegistrationMode::Invite { p { (visit.t("front-joining-invite")) } }
                (field_error(error))
                form.stack method="post" action="/signup" {
                    (widgets::csrf(visit))
                    @if mode == RegistrationMode::Invite {
                        div {
                            label for="invite" { (visit.t("field-invite")) }
                            input #invite type="text" name="invite" value=(form.invite) autocomplete="off" autocapitalize="none" required;
                        }
                    }
                    div {
                        label for="username" { (visit.t("field-username")) }
                        input #username type="text" name="username" value=(form.username) autocomplete="username" autocapitalize="none" aria-describedby="username-hint" required;
                        p.hint #username-hint { (visit.t("signup-username-hint")) }
                    }
                    div {
                        label for="password" { (visit.t("field-password")) }
                        input #password type="password" name="password" autocomplete="new-password" aria-describedby="password-hint" required;
                        p.hint #password-hint { (visit.t("signup-password-hint")) }
                    }
                    div { button type="submit" { (visit.t("signup-submit")) } }
                }
            }
        }
    }
}

/// The sign-up form's fields.
#[derive(Deserialize, Default)]
pub struct SignupForm {
    #[serde(default)]
    invite: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn signup_form(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    if visit.member.is_some() {
        return Ok(see_other("/"));
    }
    let mode =
        enishi_db::instance::registration_mode(&state.db, state.settings.registration).await?;
    let body = signup_body(&visit, mode, &SignupForm::default(), None);
    page(&state, &visit, &visit.t("signup-title"), body).await
}

async fn signup(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    visit: Visit,
    Form(form): Form<SignupForm>,
) -> Result<Response, AppError> {
    let mode =
        enishi_db::instance::registration_mode(&state.db, state.settings.registration).await?;
    let title = visit.t("signup-title");
    let again = |status: StatusCode, msg: String| {
        let body = signup_body(&visit, mode, &form, Some(&msg));
        let (state, visit, title) = (&state, &visit, &title);
        async move { page_with(status, state, visit, title, body).await }
    };
    // Every attempt counts against the address, both as a login would and as a sign-up.
    let limited = match state.access.login.admit(client.0, &form.username) {
        Err(limited) => Some(limited.wait()),
        Ok(()) => state.access.actions.signup.admit(&client.0).err(),
    };
    if let Some(wait) = limited {
        let wait = wait.as_secs().max(1);
        let mut r = again(
            StatusCode::TOO_MANY_REQUESTS,
            visit.ta("login-rate-limited", &[("seconds", wait.into())]),
        )
        .await?;
        r.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, wait.into());
        return Ok(r);
    }
    let keys = tokio::task::spawn_blocking(enishi_apub::keys::generate_actor_keys)
        .await
        .map_err(AppError::internal)?;
    let new = NewMember {
        username: &form.username,
        password: &form.password,
        is_admin: false,
        keys,
    };
    let invite = (!form.invite.is_empty()).then_some(form.invite.as_str());
    match accounts::sign_up(&state.db, &state.settings, mode, invite, new).await {
        Ok(member) => start_session(&state, &visit, member.account_id, &headers, "/").await,
        Err(SignUpError::Closed) => {
            again(StatusCode::FORBIDDEN, visit.t("front-joining-closed")).await
        }
        Err(SignUpError::InviteRefused) => {
            state.access.login.failed(&form.username);
            again(StatusCode::FORBIDDEN, visit.t("signup-invite-refused")).await
        }
        Err(SignUpError::Create(CreateMemberError::UsernameTaken(_))) => {
            again(StatusCode::CONFLICT, visit.t("signup-username-taken")).await
        }
        Err(SignUpError::Create(CreateMemberError::Invalid(v))) => {
            let key = if v.field == "password" {
                "signup-password-hint"
            } else {
                "signup-username-hint"
            };
            again(StatusCode::UNPROCESSABLE_ENTITY, visit.t(key)).await
        }
        Err(SignUpError::Create(CreateMemberError::Db(e))) => Err(e.into()),
    }
}

fn password_body(visit: &Visit, message: Option<Markup>) -> Markup {
    html! {
        h1 { (visit.t("password-title")) }
        @if let Some(m) = message { (m) }
        form.stack method="post" action="/settings/password" {
            (widgets::csrf(visit))
            div {
                label for="current" { (visit.t("field-current-password")) }
                input #current type="password" name="current" autocomplete="current-password" required;
            }
            div {
                label for="new" { (visit.t("field-new-password")) }
                input #new type="password" name="new" autocomplete="new-password" aria-describedby="password-hint" required;
                p.hint #password-hint { (visit.t("signup-password-hint")) }
            }
            div { button type="submit" { (visit.t("password-submit")) } }
        }
        p { a href="/settings/sessions" { (visit.t("sessions-title")) } }
    }
}

async fn password_form(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    visit.member()?;
    page(
        &state,
        &visit,
        &visit.t("password-title"),
        password_body(&visit, None),
    )
    .await
}

/// The password form's fields.
#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
}

async fn change_password(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let title = visit.t("password-title");
    let error = |key: &str| html! { p.error role="alert" { (visit.t(key)) } };
    if let Err(wait) = state.access.actions.password.admit(&me.actor.id) {
        let wait = wait.as_secs().max(1);
        let message = visit.ta("login-rate-limited", &[("seconds", wait.into())]);
        let body = password_body(&visit, Some(html! { p.error role="alert" { (message) } }));
        let mut r = page_with(StatusCode::TOO_MANY_REQUESTS, &state, &visit, &title, body).await?;
        r.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, wait.into());
        return Ok(r);
    }
    match accounts::change_password(&state.db, me.account_id, &form.current, &form.new).await {
        Ok(true) => {
            // Other browsers logged in with the old password are logged out.
            browser_sessions::end_all_but(&state.db, me.account_id, visit.session_id).await?;
            let done = html! { p.flash role="status" { (visit.t("password-changed")) } };
            page(&state, &visit, &title, password_body(&visit, Some(done))).await
        }
        Ok(false) => {
            let body = password_body(&visit, Some(error("password-wrong")));
            page_with(StatusCode::UNAUTHORIZED, &state, &visit, &title, body).await
        }
        Err(CreateMemberError::Invalid(_)) => {
            let body = password_body(&visit, Some(error("signup-password-hint")));
            page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &state,
                &visit,
                &title,
                body,
            )
            .await
        }
        Err(CreateMemberError::UsernameTaken(_)) => Err(AppError::internal("username taken")),
        Err(CreateMemberError::Db(e)) => Err(e.into()),
    }
}

async fn sessions(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    let me = visit.member()?;
    let list = browser_sessions::list(&state.db, me.account_id).await?;
    let body = html! {
        h1 { (visit.t("sessions-title")) }
        p.hint { (visit.t("sessions-about")) }
        ul.list {
            @for s in &list {
                li {
                    p {
                        strong { (if s.user_agent.is_empty() { visit.t("sessions-unknown-browser") } else { s.user_agent.clone() }) }
                        @if Some(s.id) == visit.session_id { " " span.audience { (visit.t("sessions-this")) } }
                    }
                    p.meta {
                        (visit.t("sessions-started")) " " (widgets::time(s.created_at)) " · "
                        (visit.t("sessions-last-used")) " " (widgets::time(s.last_used_at))
                    }
                    form.inline method="post" action="/settings/sessions/end" {
                        (widgets::csrf(&visit))
                        input type="hidden" name="id" value=(s.id);
                        button.danger type="submit" { (visit.t("sessions-end")) }
                    }
                }
            }
        }
    };
    page(&state, &visit, &visit.t("sessions-title"), body).await
}

/// Which session to end.
#[derive(Deserialize)]
pub struct EndSessionForm {
    id: i64,
}

async fn end_session(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<EndSessionForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    if !browser_sessions::end(&state.db, me.account_id, form.id).await? {
        return Err(AppError::not_found(visit.t("sessions-none")));
    }
    if Some(form.id) == visit.session_id {
        return logout(State(state), visit).await;
    }
    Ok(see_other("/settings/sessions"))
}

/// The language switch's field.
#[derive(Deserialize)]
pub struct LanguageForm {
    lang: String,
}

async fn set_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    visit: Visit,
    Form(form): Form<LanguageForm>,
) -> Result<Response, AppError> {
    let Some(lang) = super::i18n::Lang::parse(&form.lang) else {
        return Err(AppError::bad_request(
            "invalid_language",
            visit.t("error-language"),
        ));
    };
    if let Some(m) = &visit.member {
        accounts::set_language(&state.db, m.account_id, Some(lang.tag())).await?;
    }
    // Back to the page the switch was on, when it was one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix(&state.settings.origin()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or("/")
        .to_owned();
    let mut r = see_other(&back);
    let cookie = visit.cookies.set(
        visit.cookies.lang(),
        lang.tag(),
        Some(cookie::time::Duration::days(365)),
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
    );
    Ok(r)
}
