//! The `enishi` binary as an admin uses it: configuration checks, member and invite commands,
//! and `serve` answering WebFinger and actor requests — on SQLite and PostgreSQL.

mod common;

use common::process::{free_port, run, serve, stop, text};
use enishi_testkit::TestDb;
use serde_json::Value;

enishi_testkit::main!(
    db: [
        user_commands_create_list_and_refuse,
        serve_answers_webfinger_and_actor_requests,
        a_database_refuses_another_domain,
    ],
    plain: [
        config_check_prints_and_rejects,
        default_serve_creates_the_sqlite_file,
    ],
);

async fn config_check_prints_and_rejects() -> anyhow::Result<()> {
    let ok = run(&[], &["config", "check"], None)?;
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let shown = text(&ok.stdout);
    assert!(shown.contains("domain = \"localhost:8080\""), "{shown}");
    assert!(shown.contains("scheme = \"http\""), "{shown}");
    assert!(shown.contains("registration = \"invite\""), "{shown}");

    let secret = run(
        &[(
            "ENISHI_DATABASE_URL",
            "postgres://enishi:hunter2@db.example/enishi",
        )],
        &["config", "check"],
        None,
    )?;
    assert!(secret.status.success());
    assert!(
        !text(&secret.stdout).contains("hunter2"),
        "the password is redacted"
    );

    for (key, value) in [
        ("ENISHI_BIND", "not-an-address"),
        ("ENISHI_DOMAIN", "https://x.example/"),
        ("ENISHI_REGISTRATION", "sometimes"),
        ("ENISHI_SCHEME", "ftp"),
        ("ENISHI_LIMIT_VOICE", "-3"),
        ("ENISHI_DATABASE_URL", "mysql://x/y"),
        ("ENISHI_REGISTARTION", "open"),
    ] {
        let bad = run(&[(key, value)], &["config", "check"], None)?;
        assert_eq!(bad.status.code(), Some(2), "{key}={value}");
        let err = text(&bad.stderr);
        assert!(
            err.contains(key),
            "{key}={value}: the message names the setting: {err}"
        );
    }

    let dir = std::env::temp_dir().join(format!("enishi-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("enishi.toml");
    std::fs::write(
        &file,
        "domain = \"social.example\"\n[limits]\nvoice = 280\n",
    )?;
    let from_file = run(
        &[],
        &["--config", file.to_str().unwrap(), "config", "check"],
        None,
    )?;
    let shown = text(&from_file.stdout);
    assert!(
        shown.contains("domain = \"social.example\"")
            && shown.contains("scheme = \"https\"")
            && shown.contains("voice = 280"),
        "{shown}"
    );
    std::fs::write(&file, "domain = \"social.example\"\ncolour = 3\n")?;
    let bad_file = run(
        &[],
        &["--config", file.to_str().unwrap(), "config", "check"],
        None,
    )?;
    assert_eq!(bad_file.status.code(), Some(2));
    assert!(text(&bad_file.stderr).contains("colour"));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

async fn user_commands_create_list_and_refuse(t: TestDb) -> anyhow::Result<()> {
    let env = [
        ("ENISHI_DATABASE_URL", t.url.as_str()),
        ("ENISHI_DATA_DIR", t.dir.to_str().unwrap()),
    ];
    let created = run(
        &env,
        &["user", "create", "Alice", "--admin"],
        Some("a long password\n"),
    )?;
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("alice@localhost:8080"));

    let generated = run(
        &env,
        &["user", "create", "bob", "--generate-password"],
        None,
    )?;
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let out = text(&generated.stdout);
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("printed once");
    assert_eq!(password.len(), 20);

    let dup = run(
        &env,
        &["user", "create", "ALICE"],
        Some("another password\n"),
    )?;
    assert!(!dup.status.success());
    assert!(
        text(&dup.stderr).contains("already taken"),
        "{}",
        text(&dup.stderr)
    );

    let invalid = run(
        &env,
        &["user", "create", "no spaces!"],
        Some("a long password\n"),
    )?;
    assert_eq!(invalid.status.code(), Some(2));
    assert!(
        text(&invalid.stderr).contains("username"),
        "{}",
        text(&invalid.stderr)
    );

    let short = run(&env, &["user", "create", "carol"], Some("short\n"))?;
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short.stderr).contains("password"));
    let empty = run(&env, &["user", "create", "carol"], Some(""))?;
    assert!(!empty.status.success());
    assert!(text(&empty.stderr).contains("standard input"));

    let list = run(&env, &["user", "list"], None)?;
    let listing = text(&list.stdout);
    let names: Vec<&str> = listing
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"], "{listing}");
    assert!(listing.lines().next().unwrap().ends_with("admin"));

    assert!(
        run(&env, &["user", "suspend", "bob"], None)?
            .status
            .success()
    );
    let listing = text(&run(&env, &["user", "list"], None)?.stdout);
    assert!(
        listing.lines().nth(1).unwrap().ends_with("suspended"),
        "{listing}"
    );
    assert!(
        run(&env, &["user", "unsuspend", "bob"], None)?
            .status
            .success()
    );
    let missing = run(&env, &["user", "suspend", "zed"], None)?;
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("zed"));

    let invite = run(&env, &["invite", "create", "--max-uses", "5"], None)?;
    assert!(invite.status.success(), "{}", text(&invite.stderr));
    assert_eq!(text(&invite.stdout).trim().len(), 16);
    let bad_invite = run(&env, &["invite", "create", "--max-uses", "0"], None)?;
    assert!(!bad_invite.status.success());
    Ok(())
}

async fn serve_answers_webfinger_and_actor_requests(t: TestDb) -> anyhow::Result<()> {
    let port = free_port();
    let domain = format!("localhost:{port}");
    let bind = format!("127.0.0.1:{port}");
    let env = [
        ("ENISHI_DATABASE_URL", t.url.as_str()),
        ("ENISHI_DATA_DIR", t.dir.to_str().unwrap()),
        ("ENISHI_DOMAIN", domain.as_str()),
        ("ENISHI_BIND", bind.as_str()),
    ];
    let created = run(
        &env,
        &["user", "create", "alice"],
        Some("a long password\n"),
    )?;
    assert!(created.status.success(), "{}", text(&created.stderr));
    let (child, banner) = serve(&env, &t.dir)?;
    assert!(banner.contains(&format!("http://{domain}")), "{banner}");

    let client = reqwest::Client::new();
    let jrd: Value = client
        .get(format!(
            "http://{domain}/.well-known/webfinger?resource=acct:alice@{domain}"
        ))
        .send()
        .await?
        .json()
        .await?;
    let this = jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap()
        .clone();
    assert_eq!(this["type"], "application/activity+json");
    let person: Value = client
        .get(this["href"].as_str().unwrap())
        .header("accept", "application/activity+json")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(person["type"], "Person");
    assert!(
        person["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    let missing = client
        .get(format!(
            "http://{domain}/.well-known/webfinger?resource=acct:zed@{domain}"
        ))
        .send()
        .await?;
    assert_eq!(missing.status(), 404);
    stop(child)
}

async fn a_database_refuses_another_domain(t: TestDb) -> anyhow::Result<()> {
    let env = [
        ("ENISHI_DATABASE_URL", t.url.as_str()),
        ("ENISHI_DOMAIN", "one.example"),
    ];
    assert!(run(&env, &["migrate"], None)?.status.success());
    let other = [
        ("ENISHI_DATABASE_URL", t.url.as_str()),
        ("ENISHI_DOMAIN", "two.example"),
    ];
    let refused = run(&other, &["migrate"], None)?;
    assert!(!refused.status.success());
    let err = text(&refused.stderr);
    assert!(
        err.contains("one.example") && err.contains("two.example"),
        "{err}"
    );
    Ok(())
}

/// With no configuration at all, `serve` makes ./enishi-data/enishi.db in the working directory.
async fn default_serve_creates_the_sqlite_file() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "enishi-default-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir)?;
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let domain = format!("localhost:{port}");
    // Only the port differs from the defaults, so that tests can run side by side.
    let (child, banner) = serve(&[("ENISHI_BIND", &bind), ("ENISHI_DOMAIN", &domain)], &dir)?;
    assert!(
        banner.contains("enishi user create"),
        "tells how to create the first member: {banner}"
    );
    assert!(dir.join("enishi-data/enishi.db").exists());
    let body = reqwest::get(format!("http://{domain}/.well-known/nodeinfo"))
        .await?
        .text()
        .await?;
    assert!(body.contains("/nodeinfo/2.1"));
    stop(child)?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
