//! The Mastodon client API (issue 18) over real HTTP, on SQLite and PostgreSQL, for what the
//! client libraries' flows (federation-tests/tests/mastodon_clients.rs) do not reach: app
//! registration's refusals, the approval page's refusals (no redirect to a URI the app did not
//! register), scopes on both APIs, the settings page's list of apps and its revoke button, the
//! shape details apps rely on (numeric ids, `Link` paging, trailing slashes, CORS, error
//! bodies), `Idempotency-Key`, and the notifications path that both APIs share.

mod common;

const PHOTO: &[u8] = include_bytes!("assets/gps_photo.jpg");

use common::{befriend, instance, member};
use enishi_testkit::TestDb;
use enishi_testkit::mastodon::password_token;
use enishi_testkit::web::WebClient;
use reqwest::StatusCode;
use serde_json::{Value, json};

enishi_testkit::main!(db: [
    apps_are_registered_and_bad_ones_refused,
    the_approval_page_sends_codes_only_where_the_app_registered,
    scopes_hold_on_both_apis_and_the_settings_page_revokes,
    statuses_have_mastodon_s_shape_and_paging,
    an_idempotency_key_posts_once,
    notifications_answer_in_the_shape_of_the_caller_s_api,
    edits_bookmarks_and_photos,
]);

const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn json_of(r: reqwest::Response) -> anyhow::Result<(StatusCode, Value)> {
    let status = r.status();
    let text = r.text().await?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// Registers an app; returns (client_id, client_secret).
async fn register(base: &str, redirect: &str, scopes: &str) -> anyhow::Result<(String, String)> {
    let (s, app) = json_of(
        client()
            .post(format!("{base}/api/v1/apps"))
            .json(
                &json!({"client_name": "Test app", "redirect_uris": redirect, "scopes": scopes,
                          "website": "https://app.example"}),
            )
            .send()
            .await?,
    )
    .await?;
    anyhow::ensure!(s == 200, "{s} {app}");
    Ok((
        app["client_id"].as_str().unwrap().to_owned(),
        app["client_secret"].as_str().unwrap().to_owned(),
    ))
}

async fn call(
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<(StatusCode, Value, reqwest::header::HeaderMap)> {
    let mut req = client().request(method, format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await?;
    let headers = r.headers().clone();
    let (s, v) = json_of(r).await?;
    Ok((s, v, headers))
}

async fn apps_are_registered_and_bad_ones_refused(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let base = &run.base_url;
    // Ivory's custom scheme is an absolute URI; several URIs come one per line.
    let (s, app) = json_of(
        client()
            .post(format!("{base}/api/v1/apps"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("client_name=Ivory&redirect_uris=com.tapbots.Ivory.10217%3A%2Frequest_token%0Aurn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob&scopes=read+write+follow+push")
            .send()
            .await?,
    )
    .await?;
    assert_eq!(s, 200, "{app}");
    assert_eq!(
        app["redirect_uris"].as_array().map(Vec::len),
        Some(2),
        "{app}"
    );
    assert!(app["client_secret"].as_str().is_some_and(|s| s.len() >= 32));
    for (body, field) in [
        (json!({"redirect_uris": OOB}), "client_name"),
        (json!({"client_name": "x"}), "redirect_uris"),
        (
            json!({"client_name": "x", "redirect_uris": "not a uri"}),
            "redirect_uris",
        ),
        (
            json!({"client_name": "x", "redirect_uris": "javascript:alert(1)"}),
            "redirect_uris",
        ),
        (
            json!({"client_name": "x", "redirect_uris": OOB, "scopes": "read admin:everything"}),
            "scopes",
        ),
    ] {
        let (s, e, _) = call(
            base,
            reqwest::Method::POST,
            "/api/v1/apps",
            None,
            Some(body.clone()),
        )
        .await?;
        assert_eq!(s, 422, "{body} → {e}");
        assert!(
            e["error"].as_str().is_some_and(|m| m.contains(field)),
            "{body} → {e}"
        );
    }
    // The metadata apps discover the endpoints from.
    let (s, meta, headers) = call(
        base,
        reqwest::Method::GET,
        "/.well-known/oauth-authorization-server",
        None,
        None,
    )
    .await?;
    assert_eq!(s, 200);
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(meta["token_endpoint"], format!("{base}/oauth/token"));
    assert_eq!(headers["access-control-allow-origin"], "*");
    // An app's own token (client_credentials) verifies the app and names no member.
    let app = register(base, OOB, "read write").await?;
    let (s, tok) = json_of(
        client()
            .post(format!("{base}/oauth/token"))
            .json(&json!({"grant_type": "client_credentials", "client_id": app.0, "client_secret": app.1, "scope": "read"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(s, 200, "{tok}");
    let app_token = tok["access_token"].as_str().unwrap();
    let (s, v, _) = call(
        base,
        reqwest::Method::GET,
        "/api/v1/apps/verify_credentials",
        Some(app_token),
        None,
    )
    .await?;
    assert_eq!(
        (s, v["name"].as_str()),
        (StatusCode::OK, Some("Test app")),
        "{v}"
    );
    let (s, _, _) = call(
        base,
        reqwest::Method::GET,
        "/api/v1/accounts/verify_credentials",
        Some(app_token),
        None,
    )
    .await?;
    assert_eq!(s, 401);
    // A wrong secret is no client; a scope beyond the app's is refused.
    let (s, e) = json_of(
        client()
            .post(format!("{base}/oauth/token"))
            .json(&json!({"grant_type": "client_credentials", "client_id": app.0, "client_secret": "nope"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    member(&run, "alice").await?;
    let (s, e) = json_of(
        client()
            .post(format!("{base}/oauth/token"))
            .json(
                &json!({"grant_type": "password", "client_id": app.0, "client_secret": app.1,
                          "username": "alice", "password": "password1", "scope": "read follow"}),
            )
            .send()
            .await?,
    )
    .await?;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope")),
        "{e}"
    );
    let (s, e) = json_of(
        client()
            .post(format!("{base}/oauth/token"))
            .json(
                &json!({"grant_type": "password", "client_id": app.0, "client_secret": app.1,
                          "username": "alice", "password": "wrong", "scope": "read"}),
            )
            .send()
            .await?,
    )
    .await?;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{e}"
    );
    run.stop().await
}

async fn the_approval_page_sends_codes_only_where_the_app_registered(
    t: TestDb,
) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let base = &run.base_url;
    member(&run, "alice").await?;
    let redirect = "org.example.app:/callback";
    let app = register(base, redirect, "read write").await?;
    let web = WebClient::new(base);
    let enc = |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    let authorize = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=read+write&state=xyz",
        enc(&app.0),
        enc(redirect)
    );
    // Not logged in: to the login page, which leads back here.
    let a = web.get(&authorize).await?;
    assert_eq!(a.status, 303);
    let login = a.location.clone().unwrap();
    assert!(
        login.starts_with("/login?next=%2Foauth%2Fauthorize"),
        "{login}"
    );
    web.get(&login).await?;
    let a = web
        .post(
            "/login",
            &[
                ("username", "alice"),
                ("password", "password1"),
                ("next", &authorize),
            ],
        )
        .await?;
    assert_eq!(
        (a.status, a.location.as_deref()),
        (StatusCode::SEE_OTHER, Some(authorize.as_str()))
    );
    // Another site is never a place to go after logging in.
    web.clear_cookies();
    let a = web
        .post(
            "/login",
            &[
                ("username", "alice"),
                ("password", "password1"),
                ("next", "//evil.example/x"),
            ],
        )
        .await?;
    assert_eq!(a.location.as_deref(), Some("/"));
    // The approval page names the app and lets the form go on to its redirect URI only.
    let a = web.get(&authorize).await?;
    assert_eq!(a.status, 200, "{}", a.html);
    assert!(a.html.contains("Test app") && a.html.contains("value=\"approve\""));
    let csp = a.headers["content-security-policy"].to_str()?;
    assert!(csp.contains("form-action 'self' org.example.app:"), "{csp}");
    // A URI the app did not register, or an unknown app: an error page, no redirect.
    for bad in [
        format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}",
            enc(&app.0),
            enc("https://evil.example/cb")
        ),
        format!(
            "/oauth/authorize?response_type=code&client_id=unknown&redirect_uri={}",
            enc(redirect)
        ),
    ] {
        let a = web.get(&bad).await?;
        assert_eq!(a.status, 400, "{bad}");
        assert!(a.location.is_none(), "{bad}");
    }
    // A plain PKCE challenge and a scope beyond the app's: an error page, not a redirect
    // (anyone may register any URI: this page must not be an open redirect).
    let a = web
        .get(&format!(
            "{authorize}&code_challenge=abc&code_challenge_method=plain"
        ))
        .await?;
    assert_eq!(
        (a.status, a.location.as_deref()),
        (StatusCode::BAD_REQUEST, None)
    );
    assert!(a.html.contains("invalid_request"), "{}", a.html);
    let wider = authorize.replace("scope=read+write", "scope=read+write+follow");
    let a = web.get(&wider).await?;
    assert_eq!(
        (a.status, a.location.as_deref()),
        (StatusCode::BAD_REQUEST, None)
    );
    assert!(a.html.contains("invalid_scope"), "{}", a.html);
    // Approving sends the code and the state back; posting a forged redirect URI does not.
    let fields = |redirect_uri: &'static str, decision: &'static str| {
        vec![
            ("client_id", app.0.clone()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("scope", "read write".to_owned()),
            ("state", "xyz".to_owned()),
            ("response_type", "code".to_owned()),
            ("decision", decision.to_owned()),
        ]
    };
    let forged = fields("https://evil.example/cb", "approve");
    let forged: Vec<(&str, &str)> = forged.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = web.post("/oauth/authorize", &forged).await?;
    assert_eq!(a.status, 400);
    let ok = fields("org.example.app:/callback", "approve");
    let ok: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = web.post("/oauth/authorize", &ok).await?;
    assert_eq!(a.status, 303);
    let back = url::Url::parse(a.location.as_deref().unwrap())?;
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q.get("state").map(String::as_str), Some("xyz"));
    let code = q["code"].clone();
    // Exchanged once, for the scopes approved; never twice.
    let exchange = || {
        client()
            .post(format!("{base}/oauth/token"))
            .json(
                &json!({"grant_type": "authorization_code", "code": code, "client_id": app.0,
                          "client_secret": app.1, "redirect_uri": redirect}),
            )
            .send()
    };
    let (s, tok) = json_of(exchange().await?).await?;
    assert_eq!(
        (s, tok["scope"].as_str()),
        (StatusCode::OK, Some("read write")),
        "{tok}"
    );
    let (s, e) = json_of(exchange().await?).await?;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // Out of band: the code is shown on the page.
    let oob_app = register(base, OOB, "read").await?;
    let oob: Vec<(&str, String)> = vec![
        ("client_id", oob_app.0.clone()),
        ("redirect_uri", OOB.to_owned()),
        ("scope", "read".to_owned()),
        ("response_type", "code".to_owned()),
        ("decision", "approve".to_owned()),
    ];
    let oob: Vec<(&str, &str)> = oob.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = web.post("/oauth/authorize", &oob).await?;
    assert_eq!(a.status, 200);
    assert!(a.html.contains("id=\"authorization-code\""), "{}", a.html);
    // Refusing an out-of-band app, or its asking for too much, stays on the page: there is no
    // address to send the browser to.
    let mut denied = oob.clone();
    denied.retain(|(k, _)| *k != "decision");
    denied.push(("decision", "deny"));
    let a = web.post("/oauth/authorize", &denied).await?;
    assert_eq!((a.status, a.location.as_deref()), (StatusCode::OK, None));
    assert!(a.html.contains("role=\"alert\""), "{}", a.html);
    let mut greedy = oob.clone();
    greedy.retain(|(k, _)| *k != "scope");
    greedy.push(("scope", "read write"));
    let a = web.post("/oauth/authorize", &greedy).await?;
    assert_eq!(
        (a.status, a.location.as_deref()),
        (StatusCode::BAD_REQUEST, None)
    );
    assert!(a.html.contains("invalid_scope"), "{}", a.html);
    run.stop().await
}

async fn scopes_hold_on_both_apis_and_the_settings_page_revokes(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let base = &run.base_url;
    member(&run, "alice").await?;
    let app = register(base, OOB, "read write follow").await?;
    let read_only = password_token(&client(), base, &app, "alice", "read").await?;
    let statuses_only = password_token(&client(), base, &app, "alice", "write:statuses").await?;
    let post = json!({"status": "hello"});
    let (s, e, _) = call(
        base,
        reqwest::Method::POST,
        "/api/v1/statuses",
        Some(&read_only),
        Some(post.clone()),
    )
    .await?;
    assert_eq!(s, 403, "{e}");
    assert_eq!(e["error"], "This action is outside the authorized scopes");
    let (s, v, _) = call(
        base,
        reqwest::Method::GET,
        "/api/v1/timelines/home",
        Some(&read_only),
        None,
    )
    .await?;
    assert_eq!(s, 200, "{v}");
    // The same token on Enishi's own API: reading yes, writing no.
    let (s, _, _) = call(
        base,
        reqwest::Method::GET,
        "/api/v1/timeline",
        Some(&read_only),
        None,
    )
    .await?;
    assert_eq!(s, 200);
    let (s, _, _) = call(
        base,
        reqwest::Method::POST,
        "/api/v1/voices",
        Some(&read_only),
        Some(json!({"text": "x"})),
    )
    .await?;
    assert_eq!(s, 403);
    // A sub-scope grants exactly its part.
    let (s, v, _) = call(
        base,
        reqwest::Method::POST,
        "/api/v1/statuses",
        Some(&statuses_only),
        Some(post),
    )
    .await?;
    assert_eq!(s, 200, "{v}");
    let (s, _, _) = call(
        base,
        reqwest::Method::GET,
        "/api/v1/timelines/home",
        Some(&statuses_only),
        None,
    )
    .await?;
    assert_eq!(s, 403);
    let (s, _, _) = call(
        base,
        reqwest::Method::POST,
        "/api/v1/voices",
        Some(&statuses_only),
        Some(json!({"text": "x"})),
    )
    .await?;
    assert_eq!(s, 403, "write:statuses is not the whole of write");
    // The settings page lists the app's tokens; revoking one stops it at once.
    let web = WebClient::new(base);
    web.login("alice", "password1").await?;
    let page = web.get("/settings/apps").await?;
    assert_eq!(page.status, 200);
    assert!(
        page.html.contains("Test app") && page.html.contains("write:statuses"),
        "{}",
        page.html
    );
    let ids: Vec<String> = page
        .html
        .match_indices("name=\"id\" value=\"")
        .map(|(i, m)| {
            page.html[i + m.len()..]
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 3, "two app tokens and the test's own: {ids:?}");
    for id in &ids {
        let a = web.post("/settings/apps/revoke", &[("id", id)]).await?;
        assert_eq!(a.status, 303);
    }
    for token in [&read_only, &statuses_only] {
        let (s, e, _) = call(
            base,
            reqwest::Method::GET,
            "/api/v1/accounts/verify_credentials",
            Some(token),
            None,
        )
        .await?;
        assert_eq!(s, 401, "{e}");
    }
    let a = web
        .post("/settings/apps/revoke", &[("id", &ids[0])])
        .await?;
    assert_eq!(a.status, 404);
    run.stop().await
}

async fn statuses_have_mastodon_s_shape_and_paging(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let base = &run.base_url;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    befriend(&alice, &bob).await?;
    let app = register(base, OOB, "read write follow").await?;
    let token = password_token(&client(), base, &app, "alice", "read write follow").await?;
    let mut ids = Vec::new();
    for (i, vis) in [
        "public",
        "unlisted",
        "private",
        "direct",
        "friends_of_friends",
    ]
    .iter()
    .enumerate()
    {
        let (s, st, _) = call(
            base,
            reqwest::Method::POST,
            "/api/v1/statuses",
            Some(&token),
            Some(json!({"status": format!("post {i}"), "visibility": vis})),
        )
        .await?;
        assert_eq!(s, 200, "{st}");
        assert!(
            st["id"].as_str().unwrap().parse::<i64>().is_ok(),
            "numeric id: {}",
            st["id"]
        );
        ids.push(st["id"].as_str().unwrap().to_owned());
        let (shown, audience) = match *vis {
            "public" => ("public", "public"),
            "unlisted" => ("unlisted", "members"),
            "private" => ("private", "friends"),
            "direct" => ("direct", "private"),
            _ => ("private", "friends_of_friends"),
        };
        assert_eq!(st["visibility"], shown, "{vis}");
        assert_eq!(st["enishi"]["audience"], audience, "{vis}");
        assert_eq!(st["enishi"]["kind"], "voice");
    }
    let (s, e, _) = call(
        base,
        reqwest::Method::POST,
        "/api/v1/statuses",
        Some(&token),
        Some(json!({"status": "x", "visibility": "everyone"})),
    )
    .await?;
    assert_eq!(s, 422);
    assert!(e["error"].as_str().unwrap().contains("visibility"), "{e}");
    // A diary: a title makes it one, shown as a heading before the body.
    let (s, d, _) = call(
        base,
        reqwest::Method::POST,
        "/api/v1/statuses",
        Some(&token),
        Some(json!({"status": "the body", "title": "A <day>", "visibility": "private"})),
    )
    .await?;
    assert_eq!(s, 200);
    assert_eq!(d["enishi"]["kind"], "diary");
    assert!(
        d["content"]
            .as_str()
            .unwrap()
            .starts_with("<h2>A &lt;day&gt;</h2>"),
        "{}",
        d["content"]
    );
    // A reply is a comment, with an id of its own that reads back.
    let (s, reply, _) = call(
        base,
        reqwest::Method::POST,
        "/api/v1/statuses",
        Some(&token),
        Some(json!({"status": "a reply", "in_reply_to_id": ids[0]})),
    )
    .await?;
    assert_eq!(s, 200, "{reply}");
    assert_eq!(reply["in_reply_to_id"], ids[0].as_str());
    let (s, ctx, _) = call(
        base,
        reqwest::Method::GET,
        &format!("/api/v1/statuses/{}/context", ids[0]),
        Some(&token),
        None,
    )
    .await?;
    assert_eq!(s, 200);
    assert_eq!(ctx["descendants"][0]["id"], reply["id"]);
    let (s, again, _) = call(
        base,
        reqwest::Method::GET,
        &format!("/api/v1/statuses/{}", reply["id"].as_str().unwrap()),
        Some(&token),
        None,
    )
    .await?;
    assert_eq!((s, &again["content"]), (StatusCode::OK, &reply["content"]));
    // Paging: a full page links to the older ones with max_id; trailing slashes are fine.
    let (s, page, headers) = call(
        base,
        reqwest::Method::GET,
        "/api/v1/timelines/home/?limit=2",
        Some(&token),
        None,
    )
    .await?;
    assert_eq!(s, 200);
    assert_eq!(page.as_array().unwrap().len(), 2);
    let link = headers["link"].to_str()?;
    let last = page[1]["id"].as_str().unwrap();
    assert!(
        link.contains(&format!("max_id={last}>; rel=\"next\"")),
        "{link}"
    );
    let (_, older, _) = call(
        base,
        reqwest::Method::GET,
        &format!("/api/v1/timelines/home?limit=40&max_id={last}"),
        Some(&token),
        None,
    )
    .await?;
    assert!(
        older
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"].as_str().unwrap().parse::<i64>().unwrap()
                < last.parse::<i64>().unwrap())
    );
    let (_, newer, _) = call(
        base,
        reqwest::Method::GET,
        &format!("/api/v1/timelines/home?since_id={}", ids[3]),
        Some(&token),
        None,
    )
    .await?;
    assert_eq!(
        newer.as_array().unwrap().len(),
        2,
        "the fifth voice and the diary: {newer}"
    );
    // Unknown and non-numeric ids: Mastodon's 404 body.
    for path in [
        "/api/v1/statuses/999999",
        "/api/v1/statuses/abc",
        "/api/v1/accounts/0",
    ] {
        let (s, e, _) = call(base, reqwest::Method::GET, path, Some(&token), None).await?;
        assert_eq!(
            (s, e["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("Record not found")),
            "{path}"
        );
    }
    // The account by id, and its statuses as an anonymous reader sees them.
    let (s, acct, _) = call(
        base,
        reqwest::Method::GET,
        "/api/v1/accounts/verify_credentials",
        Some(&token),
        None,
    )
    .await?;
    assert_eq!(s, 200);
    assert_eq!(acct["acct"], "alice");
    assert!(acct["source"]["privacy"].is_string());
    let (_, public, _) = call(
        base,
        reqwest::Method::GET,
        &format!("/api/v1/accounts/{}/statuses", acct["id"].as_str().unwrap()),
        None,
        None,
    )
    .await?;
    let texts = public.to_string();
    assert!(
        texts.contains("post 0") && !texts.contains("post 1") && !texts.contains("post 2"),
        "{texts}"
    );
    let (s, inst, _) = call(base, reqwest::Method::GET, "/api/v1/instance/", None, None).await?;
    assert_eq!(s, 200);
    assert!(
        inst["version"]
            .as_str()
            .unwrap()
            .starts_with("4.2.0 (compatible; Enishi "),
        "{inst}"
    );
    let (_, v2, _) = call(base, reqwest::Method::GET, "/api/v2/instance", None, None).await?;
    assert!(v2.get("api_versions").is_none());
    // An untitled status is a voice post: apps count against that limit.
    assert_eq!(
        v2["configuration"]["statuses"]["max_characters"],
        run.config.instance.limits.voice
    );
    // Refusals: a poll sent as a form, an overlong search.
    let (s, e) = json_of(
        client()
            .post(format!("{base}/api/v1/statuses"))
            .bearer_auth(&token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("status=vote&poll%5Boptions%5D%5B%5D=a&poll%5Boptions%5D%5B%5D=b&poll%5Bexpires_in%5D=600")
            .send()
            .await?,
    )
    .await?;
    assert_eq!(s, 422, "{e}");
    let long = "x".repeat(201);
    let (s, _, _) = call(
        base,
        reqwest::Method::GET,
        &format!("/api/v2/search?q={long}"),
        Some(&token),
        None,
    )
    .await?;
    assert_eq!(s, 422);
    // Someone who blocks the reader: no relationship, no statuses, as on Enishi's own API.
    let (s, _) = bob
        .api
        .post("/api/v1/blocks", json!({"target": "alice"}))
        .await?;
    assert_eq!(s, 204);
    let bob_id = bob.actor_id;
    let (_, rels, _) = call(
        base,
        reqwest::Method::GET,
        &format!("/api/v1/accounts/relationships?id[]={bob_id}"),
        Some(&token),
        None,
    )
    .await?;
    assert_eq!(rels, json!([]), "{rels}");
    let (s, _, _) = call(
        base,
        reqwest::Method::GET,
        &format!("/api/v1/accounts/{bob_id}/statuses"),
        Some(&token),
        None,
    )
    .await?;
    assert_eq!(s, 404);
    run.stop().await
}

async fn an_idempotency_key_posts_once(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let base = &run.base_url;
    member(&run, "alice").await?;
    let app = register(base, OOB, "read write").await?;
    let token = password_token(&client(), base, &app, "alice", "read write").await?;
    let send = |key: &'static str| {
        client()
            .post(format!("{base}/api/v1/statuses"))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("status=once&visibility=public")
            .send()
    };
    let (_, a) = json_of(send("k1").await?).await?;
    let (_, b) = json_of(send("k1").await?).await?;
    let (_, c) = json_of(send("k2").await?).await?;
    assert_eq!(a["id"], b["id"]);
    assert_ne!(a["id"], c["id"]);
    let (_, home, _) = call(
        base,
        reqwest::Method::GET,
        "/api/v1/timelines/home",
        Some(&token),
        None,
    )
    .await?;
    assert_eq!(home.as_array().unwrap().len(), 2, "{home}");
    run.stop().await
}

async fn notifications_answer_in_the_shape_of_the_caller_s_api(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let base = &run.base_url;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let (s, _) = bob
        .api
        .post("/api/v1/friends/requests", json!({"target": "alice"}))
        .await?;
    assert_eq!(s, 201);
    let app = register(base, OOB, "read").await?;
    let token = password_token(&client(), base, &app, "alice", "read").await?;
    let (s, list, _) = call(
        base,
        reqwest::Method::GET,
        "/api/v1/notifications",
        Some(&token),
        None,
    )
    .await?;
    assert_eq!(s, 200);
    assert_eq!(list[0]["type"], "follow_request", "{list}");
    assert_eq!(list[0]["account"]["acct"], "bob");
    let (s, own) = alice.api.get("/api/v1/notifications").await?;
    assert_eq!(s, 200);
    assert_eq!(own["items"][0]["kind"], "friend_request", "{own}");
    run.stop().await
}

async fn edits_bookmarks_and_photos(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let base = &run.base_url;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let app = register(base, OOB, "read write").await?;
    let token = password_token(&client(), base, &app, "alice", "read write").await?;
    let bob_token = password_token(&client(), base, &app, "bob", "read write").await?;
    // A photo through /api/v2/media, with its alt text, then on a status.
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(PHOTO.to_vec())
                .file_name("p.jpg")
                .mime_str("image/jpeg")?,
        )
        .text("description", "a cat on a wall");
    let (s, media) = json_of(
        client()
            .post(format!("{base}/api/v2/media"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(s, 200, "{media}");
    assert_eq!(media["type"], "image");
    assert_eq!(media["description"], "a cat on a wall");
    let (s, st, _) = call(
        base,
        reqwest::Method::POST,
        "/api/v1/statuses",
        Some(&token),
        Some(
            json!({"status": "with a photo", "visibility": "private", "media_ids": [media["id"]]}),
        ),
    )
    .await?;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["media_attachments"][0]["id"], media["id"]);
    let id = st["id"].as_str().unwrap().to_owned();
    // Editing: the author only; the text changes, the audience stays.
    let (s, edited, _) = call(
        base,
        reqwest::Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&token),
        Some(json!({"status": "edited text", "media_ids": [media["id"]]})),
    )
    .await?;
    assert_eq!(s, 200, "{edited}");
    assert!(edited["content"].as_str().unwrap().contains("edited text"));
    assert_eq!(edited["visibility"], "private");
    let (s, _, _) = call(
        base,
        reqwest::Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&bob_token),
        Some(json!({"status": "bob's"})),
    )
    .await?;
    assert_eq!(s, 404, "bob, no friend, does not see it at all");
    // Bookmarks: only what the member may see, and gone from the list when it is out of sight.
    befriend(&alice, &bob).await?;
    let (s, marked, _) = call(
        base,
        reqwest::Method::POST,
        &format!("/api/v1/statuses/{id}/bookmark"),
        Some(&bob_token),
        None,
    )
    .await?;
    assert_eq!(
        (s, &marked["bookmarked"]),
        (StatusCode::OK, &json!(true)),
        "{marked}"
    );
    let (_, list, _) = call(
        base,
        reqwest::Method::GET,
        "/api/v1/bookmarks",
        Some(&bob_token),
        None,
    )
    .await?;
    assert_eq!(list[0]["id"], id.as_str());
    let (s, _) = bob
        .api
        .delete(&format!("/api/v1/friends/{}", alice.name))
        .await?;
    assert_eq!(s, 204);
    let (_, list, _) = call(
        base,
        reqwest::Method::GET,
        "/api/v1/bookmarks",
        Some(&bob_token),
        None,
    )
    .await?;
    assert_eq!(
        list,
        json!([]),
        "no longer a friend: the friends-only post left the list"
    );
    let (s, _, _) = call(
        base,
        reqwest::Method::POST,
        &format!("/api/v1/statuses/{id}/bookmark"),
        Some(&bob_token),
        None,
    )
    .await?;
    assert_eq!(s, 404);
    let (s, un, _) = call(
        base,
        reqwest::Method::POST,
        &format!("/api/v1/statuses/{id}/unbookmark"),
        Some(&token),
        None,
    )
    .await?;
    assert_eq!((s, &un["bookmarked"]), (StatusCode::OK, &json!(false)));
    run.stop().await
}
