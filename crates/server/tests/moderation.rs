//! Server blocks from the admin commands and the admin pages (issue 17), on SQLite and
//! PostgreSQL: `enishi domain block|unblock|list|export|import` and `enishi audit` as an admin
//! types them (bad input refused with exit 2, naming the field), and `/admin/domains` and
//! `/admin/audit` driven like a browser: only admins get in, a refused form says why and makes
//! nothing, a block and its lifting are listed and audited with the admin's name. And
//! `enishi user role` and `enishi account …` with their refusals.

mod common;

use common::process::{run, text};
use enishi_db::accounts;
use enishi_db::domain_blocks;
use enishi_server::{Running, default_config, start_on_free_port};
use enishi_testkit::TestDb;
use enishi_testkit::web::WebClient as Browser;

enishi_testkit::main!(db: [
    the_domain_commands_block_list_export_import_and_audit,
    the_admin_pages_block_and_unblock_servers,
    the_role_and_account_commands,
]);

fn environment(t: &TestDb) -> Vec<(&'static str, String)> {
    vec![
        ("ENISHI_DATABASE_URL", t.url.clone()),
        ("ENISHI_DATA_DIR", t.dir.display().to_string()),
        ("ENISHI_DOMAIN", "social.example".into()),
    ]
}

async fn the_domain_commands_block_list_export_import_and_audit(t: TestDb) -> anyhow::Result<()> {
    let env = environment(&t);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let ok = |args: &[&str]| -> anyhow::Result<String> {
        let out = run(&env, args, None)?;
        anyhow::ensure!(
            out.status.success(),
            "enishi {}: {}",
            args.join(" "),
            text(&out.stderr)
        );
        Ok(text(&out.stdout))
    };
    let refused = |args: &[&str], says: &str| -> anyhow::Result<()> {
        let out = run(&env, args, None)?;
        anyhow::ensure!(
            out.status.code() == Some(2) && text(&out.stderr).contains(says),
            "enishi {}: {:?} {}",
            args.join(" "),
            out.status.code(),
            text(&out.stderr)
        );
        Ok(())
    };
    assert!(ok(&["domain", "list"])?.contains("no server is blocked"));
    let out = ok(&[
        "domain",
        "block",
        "Spam.Example",
        "--reason",
        "a spam wave",
        "--public-comment",
        "Spam",
    ])?;
    assert!(out.contains("blocked spam.example (reject)"), "{out}");
    let out = ok(&["domain", "block", "loud.example", "--severity", "silence"])?;
    assert!(out.contains("blocked loud.example (limit)"), "{out}");
    let out = ok(&["domain", "block", "loud.example", "--severity", "limit"])?;
    assert!(out.contains("changed loud.example (limit)"), "{out}");
    refused(&["domain", "block", "https://x.example/"], "domain")?;
    refused(
        &["domain", "block", "x.example", "--severity", "ban"],
        "severity",
    )?;
    refused(&["domain", "unblock", "never.example"], "not blocked")?;

    let list = ok(&["domain", "list"])?;
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(lines[0].starts_with("loud.example\tlimit"), "{list}");
    assert!(
        lines[1].starts_with("spam.example\treject") && lines[1].ends_with("a spam wave"),
        "{list}"
    );

    // Export, lift one, import the export again: the block is back, as it was.
    let file = t.dir.join("blocks.csv");
    let file_s = file.display().to_string();
    ok(&["domain", "export", &file_s])?;
    let csv = std::fs::read_to_string(&file)?;
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        [
            "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
            "loud.example,silence,false,false,,false",
            "spam.example,suspend,true,false,Spam,false",
        ],
        "{csv}"
    );
    assert!(ok(&["domain", "unblock", "spam.example"])?.contains("unblocked spam.example"));
    let out = ok(&["domain", "import", &file_s])?;
    assert!(out.contains("2 servers blocked"), "{out}");
    let db = enishi_db::connect(&t.url, 1).await?;
    let blocks = domain_blocks::list(&db).await?;
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[1].public_comment.as_deref(), Some("Spam"));
    // A broken file imports nothing and names the line.
    std::fs::write(
        &file,
        "#domain,#severity\nnew.example,suspend\nbad example,suspend\n",
    )?;
    refused(&["domain", "import", &file_s], "line 3")?;
    assert_eq!(domain_blocks::list(&db).await?.len(), 2);

    let audit = ok(&["audit"])?;
    let rows: Vec<Vec<&str>> = audit.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 6, "{audit}");
    assert!(
        rows.iter().all(|r| r[1] == "command line"),
        "who acted: {audit}"
    );
    assert_eq!(
        rows.iter().map(|r| (r[2], r[3])).collect::<Vec<_>>(),
        [
            ("domain_block", "spam.example"),
            ("domain_block", "loud.example"),
            ("domain_unblock", "spam.example"),
            ("domain_block", "loud.example"),
            ("domain_block", "loud.example"),
            ("domain_block", "spam.example"),
        ],
        "{audit}"
    );
    assert!(rows[5][4].contains("a spam wave"), "{audit}");
    db.close().await?;
    Ok(())
}

async fn member(run: &Running, name: &str, admin: bool) -> anyhow::Result<()> {
    let keys = tokio::task::spawn_blocking(enishi_apub::keys::generate_actor_keys).await?;
    accounts::create(
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
    Ok(())
}

async fn the_admin_pages_block_and_unblock_servers(t: TestDb) -> anyhow::Result<()> {
    let mut config = default_config(&t.url, &t.dir);
    config.run_workers = false;
    let run = start_on_free_port(config).await?;
    member(&run, "root", true).await?;
    member(&run, "bob", false).await?;
    let admin = Browser::new(&run.base_url);
    admin.login("root", "password1").await?;
    let bob = Browser::new(&run.base_url);
    bob.login("bob", "password1").await?;
    for path in ["/admin/domains", "/admin/audit"] {
        assert_eq!(bob.get(path).await?.status.as_u16(), 403, "{path}");
        assert_eq!(admin.get(path).await?.status.as_u16(), 200, "{path}");
    }
    assert!(
        admin
            .get("/admin")
            .await?
            .html
            .contains("href=\"/admin/domains\"")
    );

    // Refused: said why, nothing made.
    let r = admin
        .post(
            "/admin/domains",
            &[("domain", "not a domain"), ("severity", "reject")],
        )
        .await?;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.html.contains("role=\"alert\"") && r.html.contains("not a domain"));
    let r = admin
        .post(
            "/admin/domains",
            &[("domain", "ok.example"), ("severity", "ban")],
        )
        .await?;
    assert_eq!(r.status.as_u16(), 422);
    assert!(domain_blocks::list(&run.db).await?.is_empty());
    // A member's form is refused whatever it holds.
    let r = bob
        .post(
            "/admin/domains",
            &[("domain", "ok.example"), ("severity", "reject")],
        )
        .await?;
    assert_eq!(r.status.as_u16(), 403);

    let r = admin
        .post(
            "/admin/domains",
            &[
                ("domain", "Spam.Example"),
                ("severity", "reject"),
                ("reason", "spam wave"),
                ("public_comment", ""),
            ],
        )
        .await?;
    assert_eq!(r.status.as_u16(), 303, "{}", r.html);
    let page = admin.get(r.location.as_deref().unwrap_or_default()).await?;
    assert!(page.html.contains("role=\"status\""), "a confirmation");
    assert!(page.html.contains("<code>spam.example</code>"));
    let blocks = domain_blocks::list(&run.db).await?;
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].private_comment.as_deref(), Some("spam wave"));
    assert_eq!(
        blocks[0].public_comment, None,
        "an empty field is no comment"
    );

    let r = admin
        .post("/admin/domains/spam.example/unblock", &[])
        .await?;
    assert_eq!(r.status.as_u16(), 303);
    assert!(domain_blocks::list(&run.db).await?.is_empty());
    let r = admin
        .post("/admin/domains/spam.example/unblock", &[])
        .await?;
    assert_eq!(r.status.as_u16(), 404, "nothing left to lift");

    let audit = admin.get("/admin/audit").await?;
    let text = enishi_testkit::web::text_of(&audit.html);
    assert!(
        text.contains("root") && text.contains("domain_block") && text.contains("domain_unblock"),
        "{text}"
    );

    // Roles from the members page: bob becomes a moderator and reaches the report queue, not
    // the admin pages; nobody changes their own role; a plain member cannot change any.
    let r = bob
        .post("/admin/members/root/role", &[("role", "member")])
        .await?;
    assert_eq!(r.status.as_u16(), 403);
    let r = admin
        .post("/admin/members/root/role", &[("role", "member")])
        .await?;
    assert_eq!(r.status.as_u16(), 409, "{}", r.html);
    let r = admin
        .post("/admin/members/bob/role", &[("role", "king")])
        .await?;
    assert_eq!(r.status.as_u16(), 422);
    let r = admin
        .post("/admin/members/bob/role", &[("role", "moderator")])
        .await?;
    assert_eq!(r.status.as_u16(), 303, "{}", r.html);
    assert_eq!(bob.get("/admin/reports").await?.status.as_u16(), 200);
    assert_eq!(bob.get("/admin/domains").await?.status.as_u16(), 403);
    let members = admin.get("/admin/members").await?;
    assert!(
        members.html.contains("value=\"moderator\" selected"),
        "{}",
        members.html
    );
    let domains = admin.get("/admin/domains").await?;
    assert!(
        domains.html.contains("id=\"account-list\""),
        "the accounts section"
    );
    run.stop().await
}

async fn the_role_and_account_commands(t: TestDb) -> anyhow::Result<()> {
    let env = environment(&t);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = run(
        &env,
        &["user", "create", "alice", "--generate-password"],
        None,
    )?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let db = enishi_db::connect(&t.url, 2).await?;
    let out = run(&env, &["user", "role", "alice", "moderator"], None)?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("alice is now moderator"));
    let alice = accounts::find_by_username(&db, "alice").await?.unwrap();
    assert!(alice.is_moderator && !alice.is_admin && alice.moderates());
    let out = run(&env, &["user", "role", "nobody", "admin"], None)?;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let out = run(&env, &["user", "role", "alice", "king"], None)?;
    assert_eq!(out.status.code(), Some(2), "clap refuses an unknown role");
    let out = run(&env, &["user", "role", "alice", "member"], None)?;
    assert!(out.status.success());
    let alice = accounts::find_by_username(&db, "alice").await?.unwrap();
    assert!(!alice.moderates());
    let log = enishi_db::audit::list(&db, None, 10).await?;
    assert!(
        log.iter().any(|e| e.action == "role_set"
            && e.target == "alice"
            && e.moderator == "command line"),
        "{log:?}"
    );
    for who in [
        "alice",
        "someone@nowhere.example",
        "https://nowhere.example/users/x",
    ] {
        let out = run(&env, &["account", "suspend", who], None)?;
        assert_eq!(out.status.code(), Some(3), "{who}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("no account of another server"));
    }
    let out = run(&env, &["account", "list"], None)?;
    assert!(out.status.success() && text(&out.stdout).trim().is_empty());
    Ok(())
}
