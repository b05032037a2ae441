//! Reports (issue 17) on one instance, on SQLite and PostgreSQL: a member reports a friend's
//! friends-only diary; only moderators see the queue, and see the diary only as the reporter
//! could (narrowed to "only me" afterwards, it is no longer shown); nobody can report what they
//! cannot see; resolving with actions removes the diary and suspends its author, each action
//! in the audit log; dismissing takes none; reports are rate-limited; the same from the pages.

mod common;

use common::{Member, befriend, member};
use enishi_db::accounts::{self, Role};
use enishi_server::{Running, default_config, start_on_free_port};
use enishi_testkit::TestDb;
use enishi_testkit::web::WebClient;
use serde_json::json;

enishi_testkit::main!(db: [
    a_report_reaches_moderators_only_as_the_reporter_saw_it,
    moderators_resolve_with_actions_and_dismiss,
    reports_from_the_pages,
    reports_from_the_command_line,
]);

async fn diary(m: &Member, body: &str, audience: &str) -> anyhow::Result<String> {
    let (s, d) = m
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "t", "body": body, "audience": audience}),
        )
        .await?;
    anyhow::ensure!(s == 201, "diary: {s} {d}");
    Ok(d["id"].as_str().unwrap().to_owned())
}

async fn moderator(run: &Running, name: &str) -> anyhow::Result<Member> {
    let m = member(run, name).await?;
    assert!(accounts::set_role(&run.db, name, Role::Moderator, "test").await?);
    Ok(m)
}

async fn a_report_reaches_moderators_only_as_the_reporter_saw_it(t: TestDb) -> anyhow::Result<()> {
    let run = start_on_free_port(default_config(&t.url, &t.dir)).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let carol = member(&run, "carol").await?;
    let mod_ = moderator(&run, "mo").await?;
    befriend(&alice, &bob).await?;
    let secret = diary(&bob, "a friends-only line", "friends").await?;

    // carol is not bob's friend: the diary does not exist for her, reporting it included.
    let (s, body) = carol
        .api
        .post(
            "/api/v1/reports",
            json!({"target": "bob", "object_ids": [secret], "reason": "spam"}),
        )
        .await?;
    assert_eq!(s, 404, "{body}");
    assert!(!body.to_string().contains("friends-only line"));
    // Nor can an object of someone else's be pinned on bob.
    let own = diary(&alice, "alice's own", "public").await?;
    let (s, _) = alice
        .api
        .post(
            "/api/v1/reports",
            json!({"target": "bob", "object_ids": [own]}),
        )
        .await?;
    assert_eq!(s, 404);
    let (s, body) = alice
        .api
        .post("/api/v1/reports", json!({"target": "alice"}))
        .await?;
    assert_eq!(s, 409, "oneself: {body}");
    let (s, body) = alice
        .api
        .post(
            "/api/v1/reports",
            json!({"target": "bob", "comment": "x".repeat(1001)}),
        )
        .await?;
    assert_eq!((s.as_u16(), body["field"].as_str()), (422, Some("comment")));

    let (s, made) = alice
        .api
        .post(
            "/api/v1/reports",
            json!({"target": "bob", "object_ids": [secret], "reason": "violation", "comment": "rude", "forward": true}),
        )
        .await?;
    assert_eq!(s, 201, "{made}");
    assert_eq!(made["state"], "open");
    assert_eq!(
        made["forwarded"], false,
        "bob is a member here: nothing to forward"
    );
    let id = made["id"].as_str().unwrap().to_owned();

    // Only moderators see the queue.
    for who in [&alice, &bob, &carol] {
        let (s, _) = who.api.get("/api/v1/admin/reports").await?;
        assert_eq!(s, 403, "{}", who.name);
    }
    let queue = mod_.api.ok("/api/v1/admin/reports").await?;
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{queue}");
    let r = &items[0];
    assert_eq!(r["id"], id.as_str());
    assert_eq!(r["reporter"]["handle"], "alice");
    assert_eq!(r["target"]["handle"], "bob");
    assert_eq!(r["reason"], "violation");
    assert_eq!(r["objects"][0]["kind"], "diary");
    assert_eq!(r["objects"][0]["text"], "a friends-only line");

    // bob narrows it to himself: alice can no longer see it, so neither can the moderator
    // through her report.
    let (s, _) = bob
        .api
        .patch(
            &format!("/api/v1/diaries/{secret}"),
            json!({"audience": "private"}),
        )
        .await?;
    assert_eq!(s, 200);
    let r = mod_.api.ok(&format!("/api/v1/admin/reports/{id}")).await?;
    assert_eq!(r["objects"][0]["kind"], "unavailable", "{r}");
    assert!(!r.to_string().contains("friends-only line"), "{r}");
    run.stop().await
}

async fn audit_actions(run: &Running) -> anyhow::Result<Vec<(String, String, String)>> {
    Ok(enishi_db::audit::list(&run.db, None, 100)
        .await?
        .into_iter()
        .map(|e| (e.moderator, e.action, e.target))
        .collect())
}

async fn moderators_resolve_with_actions_and_dismiss(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.access.rate_limits =
        enishi_core::rate::RateSettings::parse("reports=3/3m").map_err(anyhow::Error::msg)?;
    let run = start_on_free_port(config).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    let dan = member(&run, "dan").await?;
    let mod_ = moderator(&run, "mo").await?;
    let spam = diary(&bob, "buy now", "public").await?;
    let (s, c) = bob
        .api
        .post(
            &format!("/api/v1/diaries/{spam}/comments"),
            json!({"text": "and a spam comment"}),
        )
        .await?;
    assert_eq!(s, 201, "{c}");
    let comment_id = c["id"].as_str().unwrap().to_owned();
    let (s, first) = alice
        .api
        .post(
            "/api/v1/reports",
            json!({"target": "bob", "object_ids": [spam, comment_id], "reason": "spam"}),
        )
        .await?;
    assert_eq!(s, 201, "{first}");
    let (s, second) = alice
        .api
        .post(
            "/api/v1/reports",
            json!({"target": "dan", "reason": "other"}),
        )
        .await?;
    assert_eq!(s, 201, "{second}");
    // A plain member cannot resolve; a moderator cannot block a server (admins only), and
    // nothing is done when any action is refused.
    let first_id = first["id"].as_str().unwrap();
    let (s, _) = alice
        .api
        .post(
            &format!("/api/v1/admin/reports/{first_id}/resolve"),
            json!({"actions": ["delete_content"]}),
        )
        .await?;
    assert_eq!(s, 403);
    let (s, body) = mod_
        .api
        .post(
            &format!("/api/v1/admin/reports/{first_id}/resolve"),
            json!({"actions": ["delete_content", "block_server"]}),
        )
        .await?;
    assert_eq!(s, 403, "{body}");
    let (s, _) = alice.api.get(&format!("/api/v1/diaries/{spam}")).await?;
    assert_eq!(s, 200, "nothing was removed");

    let (s, done) = mod_
        .api
        .post(
            &format!("/api/v1/admin/reports/{first_id}/resolve"),
            json!({"actions": ["delete_content", "suspend_account"], "note": "spammer"}),
        )
        .await?;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["state"], "resolved");
    assert_eq!(done["handled_by"], "mo");
    let (s, _) = alice.api.get(&format!("/api/v1/diaries/{spam}")).await?;
    assert_eq!(s, 404, "the diary is gone");
    let (s, _) = bob.api.get("/api/v1/me").await?;
    assert_eq!(s, 401, "bob is suspended");

    let second_id = second["id"].as_str().unwrap();
    let (s, body) = mod_
        .api
        .post(
            &format!("/api/v1/admin/reports/{second_id}/dismiss"),
            json!({"actions": ["suspend_account"]}),
        )
        .await?;
    assert_eq!((s.as_u16(), body["field"].as_str()), (422, Some("actions")));
    let (s, done) = mod_
        .api
        .post(
            &format!("/api/v1/admin/reports/{second_id}/dismiss"),
            json!({"note": "nothing wrong"}),
        )
        .await?;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["state"], "dismissed");
    let (s, _) = dan.api.get("/api/v1/me").await?;
    assert_eq!(s, 200, "dan is untouched");
    let open = mod_.api.ok("/api/v1/admin/reports").await?;
    assert_eq!(open["items"].as_array().unwrap().len(), 0, "{open}");
    let all = mod_.api.ok("/api/v1/admin/reports?state=all").await?;
    assert_eq!(all["items"].as_array().unwrap().len(), 2, "{all}");

    let log = audit_actions(&run).await?;
    let has = |action: &str, target: &str| {
        log.iter()
            .any(|(who, a, t)| who == "mo" && a == action && t.contains(target))
    };
    assert!(has("content_delete", &spam), "{log:?}");
    assert!(has("content_delete", &comment_id), "{log:?}");
    assert!(has("account_suspend", "bob"), "{log:?}");
    assert!(has("report_resolve", first_id), "{log:?}");
    assert!(has("report_dismiss", second_id), "{log:?}");

    // The third report is the last the allowance takes.
    let (s, _) = alice
        .api
        .post("/api/v1/reports", json!({"target": "dan"}))
        .await?;
    assert_eq!(s, 201);
    let (s, body) = alice
        .api
        .post("/api/v1/reports", json!({"target": "dan"}))
        .await?;
    assert_eq!(s, 429, "{body}");
    run.stop().await
}

async fn reports_from_the_pages(t: TestDb) -> anyhow::Result<()> {
    let run = start_on_free_port(default_config(&t.url, &t.dir)).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    moderator(&run, "mo").await?;
    befriend(&alice, &bob).await?;
    let secret = diary(&bob, "what only friends read", "friends").await?;
    let base = run.base_url.clone();

    let web = WebClient::new(&base);
    web.login("alice", "password1").await?;
    let page = web.get(&format!("/diaries/{secret}")).await?;
    assert!(
        page.html
            .contains(&format!("/report?target=bob&amp;object={secret}")),
        "the post links to the report form: {}",
        page.html
    );
    let form = web
        .get(&format!("/report?target=bob&object={secret}"))
        .await?;
    assert_eq!(form.status.as_u16(), 200, "{}", form.html);
    let sent = web
        .post(
            "/report",
            &[
                ("target", "bob"),
                ("object", &secret),
                ("reason", "violation"),
                ("comment", "from the page"),
            ],
        )
        .await?;
    assert_eq!(sent.status.as_u16(), 303, "{}", sent.html);
    assert_eq!(sent.location.as_deref(), Some("/report/sent"));
    // A plain member is refused the queue.
    let refused = web.get("/admin/reports").await?;
    assert_eq!(refused.status.as_u16(), 403);

    let mo = WebClient::new(&base);
    mo.login("mo", "password1").await?;
    let home = mo.get("/").await?;
    assert!(
        home.html.contains("href=\"/admin/reports\""),
        "the nav links the queue"
    );
    let queue = mo.get("/admin/reports").await?;
    assert_eq!(queue.status.as_u16(), 200);
    assert!(queue.html.contains("from the page"), "{}", queue.html);
    let id = queue
        .html
        .split("/admin/reports/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let shown = mo.get(&format!("/admin/reports/{id}")).await?;
    assert!(
        shown.html.contains("what only friends read"),
        "{}",
        shown.html
    );
    let done = mo
        .post(
            &format!("/admin/reports/{id}/resolve"),
            &[("delete_content", "on"), ("note", "removed")],
        )
        .await?;
    assert_eq!(done.status.as_u16(), 303, "{}", done.html);
    let (s, _) = alice.api.get(&format!("/api/v1/diaries/{secret}")).await?;
    assert_eq!(s, 404, "removed");
    let after = mo.get(&format!("/admin/reports/{id}")).await?;
    assert!(after.html.contains("removed"), "the note is shown");
    assert!(
        !after.html.contains("/resolve\""),
        "a closed report has no forms"
    );
    run.stop().await
}

async fn reports_from_the_command_line(t: TestDb) -> anyhow::Result<()> {
    let run = start_on_free_port(default_config(&t.url, &t.dir)).await?;
    let alice = member(&run, "alice").await?;
    member(&run, "bob").await?;
    let (s, made) = alice
        .api
        .post(
            "/api/v1/reports",
            json!({"target": "bob", "comment": "from the shell"}),
        )
        .await?;
    assert_eq!(s, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    let env = [
        ("ENISHI_DATABASE_URL", t.url.clone()),
        ("ENISHI_DATA_DIR", t.dir.display().to_string()),
        ("ENISHI_DOMAIN", run.config.instance.domain.clone()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let enishi = |args: &[&str]| common::process::run(&env, args, None);
    let out = enishi(&["report", "list"])?;
    let listed = common::process::text(&out.stdout);
    assert!(
        listed.contains(&id) && listed.contains("from the shell"),
        "{listed}"
    );
    let out = enishi(&["report", "resolve", "no-such-report", "--suspend"])?;
    assert_eq!(out.status.code(), Some(3));
    let out = enishi(&["report", "resolve", &id, "--limit"])?;
    assert_eq!(out.status.code(), Some(2), "limiting a member is refused");
    let out = enishi(&["report", "resolve", &id, "--suspend", "--note", "spam"])?;
    assert!(
        out.status.success(),
        "{}",
        common::process::text(&out.stderr)
    );
    let bob = accounts::find_by_username(&run.db, "bob").await?.unwrap();
    assert!(bob.suspended_at.is_some());
    let out = enishi(&["report", "list", "--state", "resolved"])?;
    assert!(common::process::text(&out.stdout).contains(&id));
    run.stop().await
}
