//! An instance started in-process on a loopback port, driven over real HTTP, on SQLite and
//! PostgreSQL: discovery, actor documents, content negotiation and errors.

use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use enishi_apub::keys::generate_actor_keys;
use enishi_apub::objects::ApActor;
use enishi_db::accounts::{self, NewMember};
use enishi_server::{Running, default_config, start_on_free_port};
use enishi_testkit::TestDb;
use reqwest::StatusCode;
use serde_json::Value;

enishi_testkit::main!(db: [
    webfinger_finds_members_and_refuses_the_rest,
    actor_documents_negotiate_json_and_html,
    nodeinfo_and_host_meta_describe_the_instance,
    errors_are_json_for_clients_and_html_for_browsers,
    another_instance_resolves_and_stores_our_actor,
]);

async fn instance(t: &TestDb) -> anyhow::Result<Running> {
    start_on_free_port(default_config(&t.url, &t.dir)).await
}

async fn member(run: &Running, name: &str) -> anyhow::Result<()> {
    let keys = tokio::task::spawn_blocking(generate_actor_keys).await?;
    accounts::create(
        &run.db,
        &run.config.instance,
        NewMember {
            username: name,
            password: "password1",
            is_admin: false,
            keys,
        },
    )
    .await?;
    Ok(())
}

async fn get(url: &str, accept: &str) -> anyhow::Result<(StatusCode, String, String)> {
    let resp = reqwest::Client::new()
        .get(url)
        .header("accept", accept)
        .send()
        .await?;
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    Ok((status, ctype, resp.text().await?))
}

async fn webfinger_finds_members_and_refuses_the_rest(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    member(&run, "alice").await?;
    let base = &run.base_url;
    let domain = &run.config.instance.domain;
    let actor_url = format!("{base}/users/alice");

    for resource in [
        format!("acct:alice@{domain}"),
        format!("acct:ALICE@{domain}"),
        actor_url.clone(),
    ] {
        let (status, ctype, body) = get(
            &format!("{base}/.well-known/webfinger?resource={resource}"),
            "*/*",
        )
        .await?;
        assert_eq!(status, 200, "{resource}: {body}");
        assert!(ctype.starts_with("application/jrd+json"), "{ctype}");
        let jrd: Value = serde_json::from_str(&body)?;
        assert_eq!(jrd["subject"], format!("acct:alice@{domain}"));
        let this = jrd["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "self")
            .expect("self link");
        assert_eq!(this["type"], "application/activity+json");
        assert_eq!(this["href"], actor_url);
    }
    // The instance actor, the Mastodon way.
    let (status, _, body) = get(
        &format!("{base}/.well-known/webfinger?resource=acct:{domain}@{domain}"),
        "*/*",
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("{base}/actor")));

    for (resource, code, error) in [
        (format!("acct:bob@{domain}"), 404, "not_found"),
        ("acct:alice@elsewhere.example".to_owned(), 404, "not_found"),
        (
            "https://elsewhere.example/users/alice".to_owned(),
            404,
            "not_found",
        ),
        (format!("{base}/users/nobody"), 404, "not_found"),
        ("alice".to_owned(), 400, "invalid_resource"),
        ("acct:alice".to_owned(), 400, "invalid_resource"),
        ("".to_owned(), 400, "missing_resource"),
    ] {
        let (status, _, body) = get(
            &format!("{base}/.well-known/webfinger?resource={resource}"),
            "application/json",
        )
        .await?;
        assert_eq!(status.as_u16(), code, "{resource}: {body}");
        let err: Value = serde_json::from_str(&body)?;
        assert_eq!(err["error"], error, "{resource}: {body}");
        assert!(err["message"].as_str().unwrap().len() > 10);
    }
    let (status, _, _) = get(&format!("{base}/.well-known/webfinger"), "application/json").await?;
    assert_eq!(status, 400);

    // A suspended member can no longer be found, nor their actor fetched.
    enishi_db::accounts::set_suspended(&run.db, "alice", true, "test").await?;
    let (status, _, _) = get(
        &format!("{base}/.well-known/webfinger?resource=acct:alice@{domain}"),
        "*/*",
    )
    .await?;
    assert_eq!(status, 404);
    let (status, _, _) = get(&actor_url, "application/activity+json").await?;
    assert_eq!(status, 404);
    run.stop().await
}

async fn actor_documents_negotiate_json_and_html(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    member(&run, "alice").await?;
    let url = format!("{}/users/alice", run.base_url);
    // Two profile fields: only the public one may appear in the public document.
    let alice = enishi_db::actors::find_by_ap_id(&run.db, &url::Url::parse(&url)?)
        .await?
        .expect("alice");
    let field = |name: &str, value: &str, audience| enishi_core::ProfileField {
        name: name.into(),
        value: value.into(),
        audience,
    };
    enishi_db::profiles::update(
        &run.db,
        alice.id,
        enishi_db::profiles::ProfileEdit {
            fields: Some(vec![
                field(
                    "Site",
                    "https://alice.example/<me>",
                    enishi_core::Audience::Public,
                ),
                field("Phone", "555-0100", enishi_core::Audience::Friends),
            ]),
            ..Default::default()
        },
    )
    .await?;
    for accept in [
        "application/activity+json",
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    ] {
        let (status, ctype, body) = get(&url, accept).await?;
        assert_eq!(status, 200);
        assert!(
            ctype.starts_with("application/activity+json"),
            "{accept}: {ctype}"
        );
        let person: Value = serde_json::from_str(&body)?;
        assert_eq!(person["type"], "Person");
        assert_eq!(person["id"], url);
        assert_eq!(person["preferredUsername"], "alice");
        assert_eq!(person["manuallyApprovesFollowers"], true);
        assert_eq!(person["inbox"], format!("{url}/inbox"));
        assert_eq!(person["outbox"], format!("{url}/outbox"));
        assert_eq!(person["followers"], format!("{url}/followers"));
        assert_eq!(person["following"], format!("{url}/following"));
        assert_eq!(
            person["endpoints"]["sharedInbox"],
            format!("{}/inbox", run.base_url)
        );
        assert_eq!(person["publicKey"]["id"], format!("{url}#main-key"));
        assert_eq!(person["publicKey"]["owner"], url);
        let pem = person["publicKey"]["publicKeyPem"].as_str().unwrap();
        let der = pem::parse(pem)?;
        assert_eq!(der.tag(), "PUBLIC KEY");
        assert_eq!(
            der.contents().len(),
            294,
            "an RSA-2048 SubjectPublicKeyInfo"
        );
        // Terms of our own are defined inline, never through a remote context document.
        let ctx = person["@context"].as_array().unwrap();
        assert!(ctx.iter().any(|c| c.get("introductions").is_some()));
        assert!(ctx.iter().any(|c| c.get("PropertyValue").is_some()));
        // Mastodon's profile fields: the public one, its link clickable; nothing else.
        assert_eq!(
            person["attachment"],
            serde_json::json!([{
                "type": "PropertyValue",
                "name": "Site",
                "value": "<a href=\"https://alice.example/\" rel=\"nofollow noopener noreferrer\">\
                          https://alice.example/</a>&lt;me&gt;"
            }]),
            "{person}"
        );
        assert!(!body.contains("555-0100"), "{body}");
        assert!(
            person["published"]
                .as_str()
                .is_some_and(|p| p.ends_with('Z'))
        );
        assert_eq!(person["featured"], format!("{url}/featured"));
    }
    let (status, _, body) = get(&format!("{url}/featured"), "application/activity+json").await?;
    assert_eq!(status, 200, "{body}");
    let featured: Value = serde_json::from_str(&body)?;
    assert_eq!(featured["type"], "OrderedCollection");
    assert_eq!(featured["totalItems"], 0);
    let (status, ctype, body) = get(&url, "text/html,application/xhtml+xml,*/*;q=0.8").await?;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(body.contains("@alice@"), "{body}");

    let (status, _, body) = get(&format!("{url}/outbox"), "application/activity+json").await?;
    assert_eq!(status, 200);
    let c: Value = serde_json::from_str(&body)?;
    assert_eq!(c["type"], "OrderedCollection");
    assert_eq!(c["id"], format!("{url}/outbox"));
    // The friend collections need a signed request (authorised fetch).
    for path in ["followers", "following"] {
        let (status, _, body) = get(&format!("{url}/{path}"), "application/activity+json").await?;
        assert_eq!(status, 401, "{body}");
        let e: Value = serde_json::from_str(&body)?;
        assert_eq!(e["error"], "signature_required");
    }

    let (status, _, body) = get(
        &format!("{}/actor", run.base_url),
        "application/activity+json",
    )
    .await?;
    assert_eq!(status, 200);
    let app: Value = serde_json::from_str(&body)?;
    assert_eq!(app["type"], "Application");
    assert!(
        app["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .contains("BEGIN PUBLIC KEY")
    );

    let (status, _, body) = get(
        &format!("{}/users/nobody", run.base_url),
        "application/activity+json",
    )
    .await?;
    assert_eq!(status, 404);
    assert_eq!(serde_json::from_str::<Value>(&body)?["error"], "not_found");
    run.stop().await
}

async fn nodeinfo_and_host_meta_describe_the_instance(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    member(&run, "alice").await?;
    member(&run, "bob").await?;
    let (status, _, body) = get(
        &format!("{}/.well-known/nodeinfo", run.base_url),
        "application/json",
    )
    .await?;
    assert_eq!(status, 200);
    let links: Value = serde_json::from_str(&body)?;
    let link = &links["links"][0];
    assert_eq!(
        link["rel"],
        "http://nodeinfo.diaspora.software/ns/schema/2.1"
    );
    let href = link["href"].as_str().unwrap();
    let (status, ctype, body) = get(href, "application/json").await?;
    assert_eq!(status, 200);
    assert!(
        ctype.contains("nodeinfo.diaspora.software/ns/schema/2.1"),
        "{ctype}"
    );
    let info: Value = serde_json::from_str(&body)?;
    assert_eq!(info["version"], "2.1");
    let name = info["software"]["name"].as_str().unwrap();
    assert!(
        name.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "{name}"
    );
    assert!(info["software"]["version"].is_string());
    assert_eq!(info["protocols"], serde_json::json!(["activitypub"]));
    assert!(info["services"]["inbound"].is_array() && info["services"]["outbound"].is_array());
    assert_eq!(info["openRegistrations"], false, "invite-only by default");
    assert_eq!(info["usage"]["users"]["total"], 2);
    assert!(info["usage"]["localPosts"].is_u64());
    assert!(info["metadata"].is_object());

    let (status, ctype, body) =
        get(&format!("{}/.well-known/host-meta", run.base_url), "*/*").await?;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("application/xrd+xml"));
    assert!(
        body.contains(&format!(
            "{}/.well-known/webfinger?resource={{uri}}",
            run.base_url
        )),
        "{body}"
    );
    run.stop().await
}

async fn errors_are_json_for_clients_and_html_for_browsers(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let (status, ctype, body) = get(
        &format!("{}/no/such/page", run.base_url),
        "application/json",
    )
    .await?;
    assert_eq!(status, 404);
    assert!(ctype.starts_with("application/json"));
    let err: Value = serde_json::from_str(&body)?;
    assert_eq!(err["error"], "not_found");
    let (status, ctype, body) = get(&format!("{}/no/such/page", run.base_url), "text/html").await?;
    assert_eq!(status, 404);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(body.contains("<h1>Not found</h1>"), "{body}");
    assert!(body.contains(r#"<html lang="en">"#), "{body}");
    // Security headers on every response.
    let resp = reqwest::get(format!("{}/", run.base_url)).await?;
    assert!(resp.headers().contains_key("content-security-policy"));
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    run.stop().await
}

/// Instance B finds alice on instance A by handle, over real HTTP, and stores her as a
/// remote actor: our documents satisfy our own strict reader and the federation crate.
async fn another_instance_resolves_and_stores_our_actor(t: TestDb) -> anyhow::Result<()> {
    let a = instance(&t).await?;
    member(&a, "alice").await?;
    let b_db = TestDb::create(t.kind).await?;
    let b = start_on_free_port(default_config(&b_db.url, &b_db.dir)).await?;
    let data = b.federation.to_request_data();
    let handle = format!("alice@{}", a.config.instance.domain);
    let found: ApActor = webfinger_resolve_actor(&handle, &data).await?;
    assert_eq!(
        found.0.ap_id.as_str(),
        format!("{}/users/alice", a.base_url)
    );
    assert!(!found.0.is_local);
    assert_eq!(found.0.domain, a.config.instance.domain);
    assert_eq!(
        found.0.shared_inbox.as_ref().unwrap().as_str(),
        format!("{}/inbox", a.base_url)
    );
    let stored = enishi_db::actors::find_by_ap_id(&b.db, &found.0.ap_id)
        .await?
        .expect("stored on B");
    assert_eq!(stored.public_key_pem, found.0.public_key_pem);
    // Fetching by id gives the same row.
    let again = ObjectId::<ApActor>::parse(found.0.ap_id.as_str())?
        .dereference(&data)
        .await?;
    assert_eq!(again.0.id, stored.id);
    b.stop().await?;
    b_db.destroy().await?;
    a.stop().await
}
