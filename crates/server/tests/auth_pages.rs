//! The web interface's way in and out (issue 13), over real HTTP on SQLite and PostgreSQL:
//! sign-up by invite, open and closed; log in and out with one answer for every failure;
//! sessions kept in the database, listed and ended; password change; the form token and
//! same-origin rule on every form; languages; the security headers of every page.

mod common;

use common::{instance, member};
use enishi_core::RegistrationMode;
use enishi_server::{default_config, start_on_free_port};
use enishi_testkit::TestDb;
use enishi_testkit::web::{WebClient, text_of};
use reqwest::StatusCode;

enishi_testkit::main!(db: [
    sign_up_with_an_invite_then_log_out_and_in,
    open_and_closed_registration,
    every_form_needs_the_token_and_this_origin,
    sessions_are_listed_and_ended,
    a_password_change_ends_the_other_sessions,
    pages_speak_the_visitors_language,
    pages_carry_strict_security_headers,
    login_attempts_are_limited_on_the_page_too,
]);

async fn sign_up_with_an_invite_then_log_out_and_in(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let invite = enishi_db::invites::create(&run.db, None, 1, None).await?;
    let web = WebClient::new(&run.base_url);

    let form = web.get("/signup").await?;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.html.contains(r#"name="invite""#), "invite field shown");

    // Without the code, or with a wrong one: refused, and nobody is created.
    let a = web
        .post(
            "/signup",
            &[("username", "nina"), ("password", "password1")],
        )
        .await?;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = web
        .post(
            "/signup",
            &[
                ("invite", "nosuchcode"),
                ("username", "nina"),
                ("password", "password1"),
            ],
        )
        .await?;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        text_of(&a.html).contains("cannot be used"),
        "{}",
        text_of(&a.html)
    );
    assert!(
        enishi_db::accounts::find_by_username(&run.db, "nina")
            .await?
            .is_none()
    );

    // A bad password keeps the code for another try.
    let a = web
        .post(
            "/signup",
            &[
                ("invite", &invite.code),
                ("username", "nina"),
                ("password", "short"),
            ],
        )
        .await?;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);

    let a = web
        .post(
            "/signup",
            &[
                ("invite", &invite.code),
                ("username", "nina"),
                ("password", "password1"),
            ],
        )
        .await?;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.html);
    assert_eq!(a.location.as_deref(), Some("/"));
    let session = a
        .set_cookies
        .iter()
        .find(|c| c.starts_with("enishi_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let home = web.get("/").await?;
    assert!(
        text_of(&home.html).contains("Hello, nina"),
        "{}",
        text_of(&home.html)
    );

    // The code had one use.
    let other = WebClient::new(&run.base_url);
    let a = other
        .post(
            "/signup",
            &[
                ("invite", &invite.code),
                ("username", "omar"),
                ("password", "password1"),
            ],
        )
        .await?;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        enishi_db::accounts::find_by_username(&run.db, "omar")
            .await?
            .is_none()
    );

    // Log out: the session ends on the server too, so the old cookie is worthless.
    let old = web.cookie("enishi_session").unwrap();
    let a = web.post("/logout", &[]).await?;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(web.cookie("enishi_session").is_none());
    let stale = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .get(format!("{}/settings/sessions", run.base_url))
        .header("accept", "text/html")
        .header("cookie", format!("enishi_session={old}"))
        .send()
        .await?;
    assert_eq!(
        stale.status(),
        StatusCode::SEE_OTHER,
        "a logged-out cookie is no session"
    );

    // Wrong password and unknown account get the same answer.
    web.get("/login").await?;
    let wrong = web
        .post("/login", &[("username", "nina"), ("password", "wrongpass")])
        .await?;
    let unknown = web
        .post(
            "/login",
            &[("username", "nobody"), ("password", "wrongpass")],
        )
        .await?;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let msg = |h: &str| text_of(h).contains("Wrong username or password.");
    assert!(msg(&wrong.html) && msg(&unknown.html));
    web.login("nina", "password1").await?;
    assert!(text_of(&web.get("/").await?.html).contains("Hello, nina"));
    run.stop().await
}

async fn open_and_closed_registration(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.instance.registration = RegistrationMode::Open;
    let run = start_on_free_port(config).await?;
    let web = WebClient::new(&run.base_url);
    let form = web.get("/signup").await?;
    assert!(
        !form.html.contains(r#"name="invite""#),
        "no invite field when open"
    );
    let a = web
        .post("/signup", &[("username", "pia"), ("password", "password1")])
        .await?;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    // The same name again, by someone else: refused with a clear message.
    let other = WebClient::new(&run.base_url);
    let a = other
        .post("/signup", &[("username", "PIA"), ("password", "password1")])
        .await?;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(text_of(&a.html).contains("already has this username"));

    enishi_db::instance::set_registration_mode(&run.db, RegistrationMode::Closed).await?;
    let a = other
        .post(
            "/signup",
            &[("username", "quin"), ("password", "password1")],
        )
        .await?;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        !other
            .get("/signup")
            .await?
            .html
            .contains(r#"name="password""#)
    );
    assert!(
        enishi_db::accounts::find_by_username(&run.db, "quin")
            .await?
            .is_none()
    );
    run.stop().await
}

async fn every_form_needs_the_token_and_this_origin(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.instance.registration = RegistrationMode::Open;
    let run = start_on_free_port(config).await?;
    let web = WebClient::new(&run.base_url);
    web.get("/").await?;
    let token = web.csrf_token().expect("the first page sets a form token");
    assert!(token.len() >= 32);

    let fields = [("username", "rex"), ("password", "password1")];
    // No token, a wrong token, the token of another browser: 403 and nothing written.
    let a = web.post_raw("/signup", &fields).await?;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let bad = "x".repeat(43);
    let mut with_bad: Vec<(&str, &str)> = vec![("csrf", &bad)];
    with_bad.extend_from_slice(&fields);
    assert_eq!(
        web.post_raw("/signup", &with_bad).await?.status,
        StatusCode::FORBIDDEN
    );
    let other = WebClient::new(&run.base_url);
    other.get("/").await?;
    let foreign = other.csrf_token().unwrap();
    let mut with_foreign: Vec<(&str, &str)> = vec![("csrf", &foreign)];
    with_foreign.extend_from_slice(&fields);
    assert_eq!(
        web.post_raw("/signup", &with_foreign).await?.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        enishi_db::accounts::find_by_username(&run.db, "rex")
            .await?
            .is_none()
    );

    // The right token from another site's page (a cross-site form post): refused by Origin.
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .post(format!("{}/signup", run.base_url))
        .header("accept", "text/html")
        .header("origin", "http://evil.example")
        .header("cookie", format!("enishi_csrf={token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={token}&username=rex&password=password1"))
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        enishi_db::accounts::find_by_username(&run.db, "rex")
            .await?
            .is_none()
    );

    // And a form sent as JSON is not a form.
    let resp = reqwest::Client::new()
        .post(format!("{}/login", run.base_url))
        .header("cookie", format!("enishi_csrf={token}"))
        .json(&serde_json::json!({"csrf": token, "username": "rex", "password": "password1"}))
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // With everything right it works.
    let a = web.post("/signup", &fields).await?;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    run.stop().await
}

async fn sessions_are_listed_and_ended(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    member(&run, "sam").await?;
    let phone = WebClient::new(&run.base_url);
    let laptop = WebClient::new(&run.base_url);
    phone.login("sam", "password1").await?;
    laptop.login("sam", "password1").await?;
    let list = phone.get("/settings/sessions").await?;
    assert_eq!(
        list.html
            .matches(r#"action="/settings/sessions/end""#)
            .count(),
        2
    );
    // The phone ends the laptop's session (the one not marked as this browser).
    // The id in the list item not marked as this browser.
    let laptop_id = list
        .html
        .split("<li>")
        .skip(1)
        .filter(|item| item.contains(r#"name="id""#))
        .find(|item| !text_of(item).contains("this browser"))
        .and_then(|item| item.split(r#"name="id" value=""#).nth(1))
        .and_then(|s| s.split('"').next())
        .expect("the other session is listed")
        .to_owned();
    let mine = enishi_db::browser_sessions::list(&run.db, account_id(&run, "sam").await?).await?;
    assert_eq!(mine.len(), 2);
    let a = phone
        .post("/settings/sessions/end", &[("id", &laptop_id)])
        .await?;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(
        !text_of(&laptop.get("/").await?.html).contains("Hello, sam"),
        "the ended session shows the visitor's page"
    );
    assert!(text_of(&phone.get("/").await?.html).contains("Hello, sam"));
    // Another member's session id cannot be ended: 404, and it survives.
    member(&run, "tia").await?;
    let tia = WebClient::new(&run.base_url);
    tia.login("tia", "password1").await?;
    let phone_id = enishi_db::browser_sessions::list(&run.db, account_id(&run, "sam").await?)
        .await?[0]
        .id
        .to_string();
    let a = tia
        .post("/settings/sessions/end", &[("id", &phone_id)])
        .await?;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(text_of(&phone.get("/").await?.html).contains("Hello, sam"));
    run.stop().await
}

async fn account_id(run: &enishi_server::Running, name: &str) -> anyhow::Result<i64> {
    Ok(enishi_db::accounts::find_by_username(&run.db, name)
        .await?
        .expect("member exists")
        .account_id)
}

async fn a_password_change_ends_the_other_sessions(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    member(&run, "uma").await?;
    let a = WebClient::new(&run.base_url);
    let b = WebClient::new(&run.base_url);
    a.login("uma", "password1").await?;
    b.login("uma", "password1").await?;
    let wrong = a
        .post(
            "/settings/password",
            &[("current", "not-it-at-all"), ("new", "password2")],
        )
        .await?;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let ok = a
        .post(
            "/settings/password",
            &[("current", "password1"), ("new", "password2")],
        )
        .await?;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(text_of(&ok.html).contains("Your password has been changed"));
    assert!(
        text_of(&a.get("/").await?.html).contains("Hello, uma"),
        "this one stays"
    );
    assert!(
        !text_of(&b.get("/").await?.html).contains("Hello, uma"),
        "the other is out"
    );
    let c = WebClient::new(&run.base_url);
    c.get("/login").await?;
    let old = c
        .post("/login", &[("username", "uma"), ("password", "password1")])
        .await?;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    c.login("uma", "password2").await?;
    run.stop().await
}

async fn pages_speak_the_visitors_language(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    member(&run, "vic").await?;
    let ja = WebClient::new(&run.base_url).with_language("ja,en;q=0.5");
    let page = ja.get("/login").await?;
    assert!(page.html.contains(r#"<html lang="ja">"#));
    assert!(
        text_of(&page.html).contains("ユーザー名"),
        "{}",
        text_of(&page.html)
    );
    let en = WebClient::new(&run.base_url).with_language("en-GB");
    let page = en.get("/login").await?;
    assert!(page.html.contains(r#"<html lang="en">"#));
    assert!(text_of(&page.html).contains("Username"));

    // A visitor switches: a cookie remembers it over the browser's own preference.
    let a = en.post("/language", &[("lang", "ja")]).await?;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(en.get("/login").await?.html.contains(r#"<html lang="ja">"#));
    assert_eq!(
        en.post("/language", &[("lang", "xx")]).await?.status,
        StatusCode::BAD_REQUEST
    );

    // A member's choice is stored with the account and follows them to a new browser.
    let m = WebClient::new(&run.base_url).with_language("en");
    m.login("vic", "password1").await?;
    m.post("/language", &[("lang", "ja")]).await?;
    let fresh = WebClient::new(&run.base_url).with_language("en");
    fresh.login("vic", "password1").await?;
    let home = fresh.get("/").await?;
    assert!(home.html.contains(r#"<html lang="ja">"#));
    assert!(text_of(&home.html).contains("こんにちは"));
    let stored = enishi_db::accounts::find_by_username(&run.db, "vic")
        .await?
        .unwrap();
    assert_eq!(stored.language.as_deref(), Some("ja"));
    // Error pages too.
    let missing = ja.get("/no/such/page").await?;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.html.contains(r#"<html lang="ja">"#));
    run.stop().await
}

async fn pages_carry_strict_security_headers(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let web = WebClient::new(&run.base_url);
    let page = web.get("/login").await?;
    let csp = page
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        !page.html.contains("<script") && !page.html.contains("<style"),
        "no inline code"
    );
    let token = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("enishi_csrf="))
        .expect("form token cookie");
    assert!(
        token.contains("HttpOnly") && token.contains("SameSite=Lax"),
        "{token}"
    );

    // The stylesheet has a content-hashed name and is cached for good.
    let href = page
        .html
        .split(r#"rel="stylesheet" href=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a stylesheet link")
        .to_owned();
    assert!(
        href.starts_with("/assets/style.") && href.ends_with(".css"),
        "{href}"
    );
    let css = web.get(&href).await?;
    assert_eq!(css.status, StatusCode::OK);
    let cache = css.headers.get("cache-control").unwrap().to_str()?;
    assert!(
        cache.contains("immutable") && cache.contains("max-age=31536000"),
        "{cache}"
    );
    assert!(
        css.headers
            .get("content-type")
            .unwrap()
            .to_str()?
            .starts_with("text/css")
    );
    assert_eq!(
        web.get("/assets/style.0000.css").await?.status,
        StatusCode::NOT_FOUND
    );
    run.stop().await
}

async fn login_attempts_are_limited_on_the_page_too(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.access.login_per_address = (5, std::time::Duration::from_secs(60));
    let run = start_on_free_port(config).await?;
    member(&run, "wes").await?;
    let web = WebClient::new(&run.base_url);
    web.get("/login").await?;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let a = web
            .post("/login", &[("username", "wes"), ("password", "wrongpass")])
            .await?;
        if a.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(a.headers.get("retry-after").is_some());
        }
        statuses.push(a.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    let right = web
        .post("/login", &[("username", "wes"), ("password", "password1")])
        .await?;
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    run.stop().await
}
