//! The admin pages over real HTTP, on SQLite and PostgreSQL, driven like a browser (cookies,
//! the form token from the page, `Accept: text/html`): only administrators get in; an invite
//! made on the page lets exactly as many people sign up as it allows; the registration mode
//! set on the page governs sign-up and NodeInfo; suspending logs a member out and reinstating
//! lets them back in; a dead-lettered host shows in the federation section and its retry
//! button requeues it.

use enishi_db::delivery_health::{self, HostState};
use enishi_db::outbox::{self, Outgoing};
use enishi_db::{accounts, invites};
use enishi_server::{Running, default_config, start_on_free_port};
use enishi_testkit::TestDb;
use enishi_testkit::web::WebClient as Browser;

enishi_testkit::main!(db: [
    only_admins_get_in,
    invites_made_on_the_page_admit_as_many_as_they_allow,
    the_registration_mode_set_on_the_page_governs_sign_up_and_nodeinfo,
    suspending_logs_a_member_out_and_reinstating_lets_them_back,
    a_dead_lettered_host_shows_and_its_retry_requeues_it,
]);

/// Starts an instance without delivery workers (the federation test settles deliveries by
/// hand) and with login limits out of the way of the many logins here.
async fn instance(t: &TestDb) -> anyhow::Result<Running> {
    let mut config = default_config(&t.url, &t.dir);
    config.run_workers = false;
    config.access.login_per_address = (1000, std::time::Duration::from_millis(1));
    start_on_free_port(config).await
}

/// A member made in the database (an admin when `admin`), with password `password1`.
async fn make_member(run: &Running, name: &str, admin: bool) -> anyhow::Result<i64> {
    let keys = tokio::task::spawn_blocking(enishi_apub::keys::generate_actor_keys).await?;
    let m = accounts::create(
        &run.db,
        &run.config.instance,
        accounts::NewMember {
            username: name,
            password: "password1",
            is_admin: admin,
            keys,
        },
    )
    .await?;
    Ok(m.actor.id.0)
}

/// An instance with an admin `root` and a member `bob`, and browsers logged in as each.
async fn setup(t: &TestDb) -> anyhow::Result<(Running, Browser, Browser)> {
    let run = instance(t).await?;
    make_member(&run, "root", true).await?;
    make_member(&run, "bob", false).await?;
    let admin = Browser::new(&run.base_url);
    admin.login("root", "password1").await?;
    let bob = Browser::new(&run.base_url);
    bob.login("bob", "password1").await?;
    Ok((run, admin, bob))
}

const ADMIN_PAGES: [&str; 3] = ["/admin", "/admin/invites", "/admin/members"];

async fn only_admins_get_in(t: TestDb) -> anyhow::Result<()> {
    let (run, admin, bob) = setup(&t).await?;
    let visitor = Browser::new(&run.base_url);
    visitor.get("/login").await?;
    for path in ADMIN_PAGES {
        let r = visitor.get(path).await?;
        assert_eq!(
            (r.status.as_u16(), r.location.as_deref()),
            (303, Some("/login")),
            "{path}"
        );
        let r = bob.get(path).await?;
        assert_eq!(r.status.as_u16(), 403, "{path} as a member");
        assert!(!r.html.contains("/admin/federation/retry") && !r.html.contains("<table"));
        let r = admin.get(path).await?;
        assert_eq!(r.status.as_u16(), 200, "{path} as the admin");
    }
    // The admin sees the way in from the menu; a member does not.
    assert!(admin.get("/").await?.html.contains("href=\"/admin\""));
    assert!(!bob.get("/").await?.html.contains("href=\"/admin\""));

    // A member's forms change nothing.
    bob.get("/").await?;
    let r = bob.post("/admin/invites", &[("max_uses", "5")]).await?;
    assert_eq!(r.status.as_u16(), 403);
    let r = bob.post("/admin/registration", &[("mode", "open")]).await?;
    assert_eq!(r.status.as_u16(), 403);
    let r = bob.post("/admin/members/root/suspend", &[]).await?;
    assert_eq!(r.status.as_u16(), 403);
    let r = visitor.post("/admin/members/bob/suspend", &[]).await?;
    assert_eq!(
        (r.status.as_u16(), r.location.as_deref()),
        (303, Some("/login"))
    );
    assert!(invites::list(&run.db).await?.is_empty());
    let mode =
        enishi_db::instance::registration_mode(&run.db, run.config.instance.registration).await?;
    assert_eq!(mode, enishi_core::RegistrationMode::Invite);
    let members = accounts::list(&run.db).await?;
    assert!(members.iter().all(|m| m.suspended_at.is_none()));

    // The admin's own form without its token is refused too.
    let r = admin
        .post_raw("/admin/invites", &[("max_uses", "5")])
        .await?;
    assert_eq!(r.status.as_u16(), 403, "no form token");
    let r = admin
        .post_raw(
            "/admin/invites",
            &[
                ("csrf", "forged-token-forged-token-forged"),
                ("max_uses", "5"),
            ],
        )
        .await?;
    assert_eq!(r.status.as_u16(), 403, "a wrong form token");
    assert!(invites::list(&run.db).await?.is_empty());
    run.stop().await
}

async fn invites_made_on_the_page_admit_as_many_as_they_allow(t: TestDb) -> anyhow::Result<()> {
    let (run, admin, _bob) = setup(&t).await?;
    let page = admin.get("/admin/invites").await?;
    assert!(
        page.html.contains("class=\"empty\""),
        "an empty state first"
    );
    // Out of range: shown again with the reason, nothing made.
    let r = admin.post("/admin/invites", &[("max_uses", "0")]).await?;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.html.contains("role=\"alert\""), "{}", r.html);
    let r = admin
        .post(
            "/admin/invites",
            &[("max_uses", "2"), ("expires_days", "400")],
        )
        .await?;
    assert_eq!(r.status.as_u16(), 422);
    assert!(invites::list(&run.db).await?.is_empty());

    let r = admin
        .post(
            "/admin/invites",
            &[("max_uses", "1"), ("expires_days", "7")],
        )
        .await?;
    assert_eq!(
        (r.status.as_u16(), r.location.as_deref()),
        (303, Some("/admin/invites"))
    );
    let list = invites::list(&run.db).await?;
    assert_eq!(list.len(), 1);
    let code = list[0].code.clone();
    assert_eq!((list[0].max_uses, list[0].uses), (1, 0));
    assert!(list[0].expires_at.is_some());
    let page = admin.get("/admin/invites").await?;
    assert!(page.html.contains(&code), "the new code is listed");
    assert!(page.html.contains("0 / 1"));

    // Someone new signs up with it and is logged in.
    let carol = Browser::new(&run.base_url);
    assert!(carol.get("/signup").await?.html.contains("name=\"invite\""));
    let r = carol
        .post(
            "/signup",
            &[
                ("invite", &code),
                ("username", "carol"),
                ("password", "password1"),
            ],
        )
        .await?;
    assert_eq!(
        (r.status.as_u16(), r.location.as_deref()),
        (303, Some("/")),
        "{}",
        r.html
    );
    assert!(carol.get("/").await?.html.contains("@carol"));
    assert!(admin.get("/admin/invites").await?.html.contains("1 / 1"));

    // The one use is taken: the next person is refused.
    let dave = Browser::new(&run.base_url);
    dave.get("/signup").await?;
    let r = dave
        .post(
            "/signup",
            &[
                ("invite", &code),
                ("username", "dave"),
                ("password", "password1"),
            ],
        )
        .await?;
    assert_eq!(r.status.as_u16(), 403);
    assert!(r.html.contains("role=\"alert\""), "{}", r.html);
    assert!(accounts::find_by_username(&run.db, "dave").await?.is_none());

    // A withdrawn code is gone from the page and cannot be used.
    admin
        .post("/admin/invites", &[("max_uses", "3"), ("expires_days", "")])
        .await?;
    let fresh = invites::list(&run.db).await?;
    assert_eq!(fresh.len(), 2);
    let (id, second) = (fresh[0].id, fresh[0].code.clone());
    let r = admin
        .post(&format!("/admin/invites/{id}/delete"), &[])
        .await?;
    assert_eq!(
        (r.status.as_u16(), r.location.as_deref()),
        (303, Some("/admin/invites"))
    );
    assert!(!admin.get("/admin/invites").await?.html.contains(&second));
    let r = admin
        .post(&format!("/admin/invites/{id}/delete"), &[])
        .await?;
    assert_eq!(r.status.as_u16(), 404, "already withdrawn");
    let r = dave
        .post(
            "/signup",
            &[
                ("invite", &second),
                ("username", "dave"),
                ("password", "password1"),
            ],
        )
        .await?;
    assert_eq!(r.status.as_u16(), 403);
    assert!(accounts::find_by_username(&run.db, "dave").await?.is_none());
    run.stop().await
}

async fn nodeinfo(run: &Running) -> anyhow::Result<serde_json::Value> {
    Ok(reqwest::get(format!("{}/nodeinfo/2.1", run.base_url))
        .await?
        .json()
        .await?)
}

async fn the_registration_mode_set_on_the_page_governs_sign_up_and_nodeinfo(
    t: TestDb,
) -> anyhow::Result<()> {
    let (run, admin, _bob) = setup(&t).await?;
    let info = nodeinfo(&run).await?;
    assert_eq!(info["openRegistrations"], false);
    // The software's home is the project's, not this instance's.
    assert_eq!(info["software"]["homepage"], "https://enishi.social/");
    assert_eq!(info["metadata"]["registration"], "invite");
    let overview = admin.get("/admin").await?;
    assert!(overview.html.contains("<option value=\"invite\" selected>"));

    let r = admin
        .post("/admin/registration", &[("mode", "sometimes")])
        .await?;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.html.contains("role=\"alert\""), "{}", r.html);

    // Closed: the sign-up page has no form, and a sign-up sent anyway is refused.
    let r = admin
        .post("/admin/registration", &[("mode", "closed")])
        .await?;
    assert_eq!(
        (r.status.as_u16(), r.location.as_deref()),
        (303, Some("/admin?saved=registration"))
    );
    assert!(
        admin
            .get("/admin")
            .await?
            .html
            .contains("<option value=\"closed\" selected>")
    );
    let erin = Browser::new(&run.base_url);
    let page = erin.get("/signup").await?;
    assert_eq!(page.status.as_u16(), 200);
    assert!(
        !page.html.contains("action=\"/signup\""),
        "no sign-up form when closed"
    );
    let r = erin
        .post(
            "/signup",
            &[("username", "erin"), ("password", "password1")],
        )
        .await?;
    assert_eq!(r.status.as_u16(), 403);
    assert!(accounts::find_by_username(&run.db, "erin").await?.is_none());
    let info = nodeinfo(&run).await?;
    assert_eq!(info["openRegistrations"], false);
    assert_eq!(info["metadata"]["registration"], "closed");

    // Open: anyone joins without a code, and NodeInfo says so.
    admin.get("/admin").await?;
    let r = admin
        .post("/admin/registration", &[("mode", "open")])
        .await?;
    assert_eq!(r.status.as_u16(), 303);
    let info = nodeinfo(&run).await?;
    assert_eq!(info["openRegistrations"], true);
    assert_eq!(info["metadata"]["registration"], "open");
    let page = erin.get("/signup").await?;
    assert!(!page.html.contains("name=\"invite\""));
    let r = erin
        .post(
            "/signup",
            &[("username", "erin"), ("password", "password1")],
        )
        .await?;
    assert_eq!(
        (r.status.as_u16(), r.location.as_deref()),
        (303, Some("/")),
        "{}",
        r.html
    );
    assert!(erin.get("/").await?.html.contains("@erin"));
    run.stop().await
}

async fn suspending_logs_a_member_out_and_reinstating_lets_them_back(
    t: TestDb,
) -> anyhow::Result<()> {
    let (run, admin, bob) = setup(&t).await?;
    assert!(bob.get("/").await?.html.contains("@bob"));
    let page = admin.get("/admin/members").await?;
    assert!(page.html.contains("/admin/members/bob/suspend"));
    assert!(
        !page.html.contains("/admin/members/root/suspend"),
        "no button to suspend oneself"
    );

    // An admin cannot suspend themselves (they would lose the admin pages at once).
    let r = admin.post("/admin/members/root/suspend", &[]).await?;
    assert_eq!(r.status.as_u16(), 409);
    assert!(r.html.contains("role=\"alert\""), "{}", r.html);
    assert!(admin.get("/admin").await?.status == 200, "still logged in");
    let r = admin.post("/admin/members/nobody/suspend", &[]).await?;
    assert_eq!(r.status.as_u16(), 404);

    let r = admin.post("/admin/members/bob/suspend", &[]).await?;
    assert_eq!(
        (r.status.as_u16(), r.location.as_deref()),
        (303, Some("/admin/members"))
    );
    // Bob's next page view is a visitor's.
    let home = bob.get("/").await?;
    assert_eq!(home.status.as_u16(), 200);
    assert!(!home.html.contains("@bob") && home.html.contains("href=\"/login\""));
    let r = bob.get("/settings/sessions").await?;
    assert_eq!(
        (r.status.as_u16(), r.location.as_deref()),
        (303, Some("/login"))
    );
    // ...and he cannot log in again.
    bob.get("/login").await?;
    let r = bob
        .post("/login", &[("username", "bob"), ("password", "password1")])
        .await?;
    assert_eq!(r.status.as_u16(), 401);
    let page = admin.get("/admin/members").await?;
    assert!(page.html.contains("/admin/members/bob/unsuspend"));

    let r = admin.post("/admin/members/bob/unsuspend", &[]).await?;
    assert_eq!(
        (r.status.as_u16(), r.location.as_deref()),
        (303, Some("/admin/members"))
    );
    bob.login("bob", "password1").await?;
    assert!(bob.get("/").await?.html.contains("@bob"));
    assert!(
        admin
            .get("/admin/members")
            .await?
            .html
            .contains("/admin/members/bob/suspend")
    );
    run.stop().await
}

async fn a_dead_lettered_host_shows_and_its_retry_requeues_it(t: TestDb) -> anyhow::Result<()> {
    let (run, admin, bob) = setup(&t).await?;
    let page = admin.get("/admin").await?;
    assert!(page.html.contains("class=\"empty\""), "nothing waiting yet");

    // A delivery to a host that is gone: queued as the outbox queues it, then given up on
    // the way the worker gives up (dead, and the host resting after its failures).
    let root = accounts::find_by_username(&run.db, "root").await?.unwrap();
    let host = "gone.invalid";
    outbox::enqueue(
        &run.db.conn,
        Outgoing {
            ap_id: &format!("{}/activities/test-1", run.base_url),
            actor: root.actor.id,
            object_key: &format!("{}/diaries/test-1", run.base_url),
            body: "{}",
        },
        &[format!("https://{host}/inbox").parse()?],
    )
    .await?;
    let claimed = outbox::claim(&run.db, 10, chrono::Duration::minutes(5), &[], 10).await?;
    assert_eq!(claimed.len(), 1);
    outbox::dead(&run.db, claimed[0].id, None, "connection refused").await?;
    outbox::host_failed(&run.db, host, "connection refused", 1, |_| {
        std::time::Duration::from_secs(3600)
    })
    .await?;

    let page = admin.get("/admin").await?;
    let row = page
        .html
        .split("<tr>")
        .find(|r| r.contains(host))
        .ok_or_else(|| anyhow::anyhow!("no row for {host}: {}", page.html))?
        .to_owned();
    assert!(row.contains("Resting"), "{row}");
    assert!(row.contains("connection refused"), "{row}");
    assert!(row.contains("<td>1</td>"), "one dead letter: {row}");
    assert!(row.contains("action=\"/admin/federation/retry\""), "{row}");
    assert!(page.html.contains("Given up: 1"));
    // No trace of it for a member.
    assert!(!bob.get("/admin").await?.html.contains(host));

    let r = admin
        .post("/admin/federation/retry", &[("host", host)])
        .await?;
    assert_eq!(
        (r.status.as_u16(), r.location.as_deref()),
        (303, Some("/admin?requeued=1"))
    );
    let hosts = delivery_health::hosts(&run.db).await?;
    let h = hosts.iter().find(|h| h.host == host).unwrap();
    assert_eq!((&h.state, h.pending, h.dead), (&HostState::Ok, 1, 0));
    let page = admin.get("/admin?requeued=1").await?;
    assert!(page.html.contains("1 delivery will be tried again"));
    assert!(page.html.contains("Given up: 0") && page.html.contains("Waiting deliveries: 1"));
    let row = page
        .html
        .split("<tr>")
        .find(|r| r.contains(host))
        .unwrap()
        .to_owned();
    assert!(
        !row.contains("Resting") && !row.contains("/admin/federation/retry"),
        "{row}"
    );
    run.stop().await
}
