//! The database layer on SQLite and PostgreSQL: migrations, members, the instance actor,
//! remote actors and invites.

use enishi_core::{ContentLimits, InstanceSettings, RegistrationMode, Scheme};
use enishi_db::accounts::{self, CreateMemberError, NewMember};
use enishi_db::entity::{account, actor};
use enishi_db::instance::{self, InstanceError};
use enishi_db::{ActorKeys, Db, actors, invites};
use enishi_testkit::TestDb;
use sea_orm::{EntityTrait, PaginatorTrait};

enishi_testkit::main!(db: [
    migrations_are_idempotent,
    members_are_created_whole_and_unique,
    passwords_authenticate,
    the_domain_is_fixed_once_claimed,
    the_instance_actor_is_made_once,
    remote_actors_are_stored_and_refreshed,
    a_remote_actor_stored_from_many_requests_at_once_is_stored_once,
    friends_of_friends_proof_falls_due_and_expires,
    invites_are_created,
    delivery_health_is_shown_per_host,
    a_claim_looks_at_a_window_and_reaches_past_a_busy_host,
    members_are_listed_and_suspended,
]);

/// A fixed key pair: generating RSA keys is not what these tests are about.
fn keys() -> ActorKeys {
    ActorKeys {
        public_pem: "-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n".into(),
        private_pem: "-----BEGIN PRIVATE KEY-----\nTEST\n-----END PRIVATE KEY-----\n".into(),
    }
}

fn settings(domain: &str) -> InstanceSettings {
    InstanceSettings {
        domain: domain.into(),
        scheme: Scheme::Http,
        registration: RegistrationMode::Invite,
        limits: ContentLimits::default(),
        name: "test".into(),
    }
}

async fn open(t: &TestDb) -> anyhow::Result<Db> {
    let db = enishi_db::connect(&t.url, 4).await?;
    enishi_db::migrate(&db).await?;
    Ok(db)
}

async fn counts(db: &Db) -> anyhow::Result<(u64, u64)> {
    Ok((
        actor::Entity::find().count(&db.conn).await?,
        account::Entity::find().count(&db.conn).await?,
    ))
}

async fn migrations_are_idempotent(t: TestDb) -> anyhow::Result<()> {
    let db = enishi_db::connect(&t.url, 2).await?;
    let first = enishi_db::migrate(&db).await?;
    anyhow::ensure!(
        first >= 1,
        "a fresh database applies the migrations ({first})"
    );
    let second = enishi_db::migrate(&db).await?;
    anyhow::ensure!(second == 0, "nothing is pending afterwards ({second})");
    if db.backend == enishi_db::Backend::Sqlite {
        use sea_orm::ConnectionTrait;
        let row = db
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                db.conn.get_database_backend(),
                "PRAGMA journal_mode",
            ))
            .await?
            .expect("a row");
        let mode: String = row.try_get_by_index(0)?;
        anyhow::ensure!(mode == "wal", "SQLite runs in WAL mode, not {mode}");
    }
    Ok(())
}

async fn members_are_created_whole_and_unique(t: TestDb) -> anyhow::Result<()> {
    let db = open(&t).await?;
    let s = settings("localhost:8080");
    let alice = accounts::create(
        &db,
        &s,
        NewMember {
            username: "Alice",
            password: "password1",
            is_admin: true,
            keys: keys(),
        },
    )
    .await?;
    assert_eq!(alice.actor.username, "alice");
    assert_eq!(
        alice.actor.ap_id.as_str(),
        "http://localhost:8080/users/alice"
    );
    assert_eq!(
        alice.actor.inbox.as_str(),
        "http://localhost:8080/users/alice/inbox"
    );
    assert_eq!(
        alice.actor.shared_inbox.as_ref().unwrap().as_str(),
        "http://localhost:8080/inbox"
    );
    assert_eq!(
        alice.actor.public_key_id,
        "http://localhost:8080/users/alice#main-key"
    );
    assert!(alice.actor.manually_approves_followers);
    assert!(alice.is_admin);

    let before = counts(&db).await?;
    let dup = accounts::create(
        &db,
        &s,
        NewMember {
            username: "ALICE",
            password: "password1",
            is_admin: false,
            keys: keys(),
        },
    )
    .await;
    assert!(
        matches!(dup, Err(CreateMemberError::UsernameTaken(ref n)) if n == "alice"),
        "{dup:?}"
    );
    let bad = accounts::create(
        &db,
        &s,
        NewMember {
            username: "al ice",
            password: "password1",
            is_admin: false,
            keys: keys(),
        },
    )
    .await;
    assert!(
        matches!(bad, Err(CreateMemberError::Invalid(ref e)) if e.field == "username"),
        "{bad:?}"
    );
    let short = accounts::create(
        &db,
        &s,
        NewMember {
            username: "bob",
            password: "short",
            is_admin: false,
            keys: keys(),
        },
    )
    .await;
    assert!(
        matches!(short, Err(CreateMemberError::Invalid(ref e)) if e.field == "password"),
        "{short:?}"
    );
    assert_eq!(
        counts(&db).await?,
        before,
        "refused members leave nothing behind"
    );

    let found = accounts::find_by_username(&db, "ALICE")
        .await?
        .expect("case-insensitive lookup");
    assert_eq!(found.account_id, alice.account_id);
    assert!(actors::find_local_person(&db, "Alice").await?.is_some());
    assert!(accounts::find_by_username(&db, "nobody").await?.is_none());
    let private = actors::private_key_pem(&db, alice.actor.id).await?;
    assert!(private.unwrap().contains("PRIVATE KEY"));
    assert_eq!(accounts::list(&db).await?.len(), 1);
    Ok(())
}

async fn passwords_authenticate(t: TestDb) -> anyhow::Result<()> {
    let db = open(&t).await?;
    let s = settings("localhost:8080");
    accounts::create(
        &db,
        &s,
        NewMember {
            username: "carol",
            password: "correct horse",
            is_admin: false,
            keys: keys(),
        },
    )
    .await?;
    assert!(
        accounts::authenticate(&db, "Carol", "correct horse")
            .await?
            .is_some()
    );
    assert!(
        accounts::authenticate(&db, "carol", "wrong horse")
            .await?
            .is_none()
    );
    assert!(
        accounts::authenticate(&db, "nobody", "correct horse")
            .await?
            .is_none()
    );
    Ok(())
}

async fn the_domain_is_fixed_once_claimed(t: TestDb) -> anyhow::Result<()> {
    let db = open(&t).await?;
    instance::claim_domain(&db, &settings("a.example")).await?;
    instance::claim_domain(&db, &settings("a.example")).await?;
    match instance::claim_domain(&db, &settings("b.example")).await {
        Err(InstanceError::DomainMismatch { stored, configured }) => {
            assert_eq!(
                (stored.as_str(), configured.as_str()),
                ("a.example", "b.example")
            );
        }
        other => anyhow::bail!("expected a domain mismatch, got {other:?}"),
    }
    Ok(())
}

async fn the_instance_actor_is_made_once(t: TestDb) -> anyhow::Result<()> {
    let db = open(&t).await?;
    let s = settings("localhost");
    let first = instance::ensure_instance_actor(&db, &s, keys).await?;
    assert_eq!(first.ap_id.as_str(), "http://localhost/actor");
    assert_eq!(first.kind, enishi_core::ActorKind::Application);
    let second =
        instance::ensure_instance_actor(&db, &s, || panic!("no new key is needed")).await?;
    assert_eq!(first.id, second.id);
    // A member may be called like a bare-`localhost` instance actor without a clash.
    accounts::create(
        &db,
        &s,
        NewMember {
            username: "localhost",
            password: "password1",
            is_admin: false,
            keys: keys(),
        },
    )
    .await?;
    Ok(())
}

/// A member named `name` of the test instance.
async fn member(db: &Db, name: &str) -> anyhow::Result<enishi_core::Member> {
    Ok(accounts::create(
        db,
        &settings("localhost:8080"),
        NewMember {
            username: name,
            password: "password1",
            is_admin: false,
            keys: keys(),
        },
    )
    .await?)
}

/// An actor of `remote.example` named `name`, shaped like `like` (a local actor).
fn remote_like(like: &enishi_core::Actor, name: &str) -> anyhow::Result<enishi_core::Actor> {
    let mut remote = like.clone();
    remote.is_local = false;
    remote.ap_id = format!("https://remote.example/users/{name}").parse()?;
    remote.inbox = format!("https://remote.example/users/{name}/inbox").parse()?;
    remote.username = name.into();
    remote.domain = "remote.example".into();
    Ok(remote)
}

async fn remote_actors_are_stored_and_refreshed(t: TestDb) -> anyhow::Result<()> {
    let db = open(&t).await?;
    let local = member(&db, "dave").await?;
    let mut remote = remote_like(&local.actor, "Erin")?;
    remote.display_name = Some("Erin".into());
    let stored = actors::upsert_remote(&db, remote.clone()).await?;
    assert!(!stored.is_local);
    assert!(stored.fetched_at.is_some());
    assert_eq!(actors::private_key_pem(&db, stored.id).await?, None);

    remote.display_name = Some("Erin E.".into());
    let refreshed = actors::upsert_remote(&db, remote.clone()).await?;
    assert_eq!(refreshed.id, stored.id, "same row, keyed by ap_id");
    assert_eq!(refreshed.display_name.as_deref(), Some("Erin E."));
    let by_id = actors::find_by_ap_id(&db, &remote.ap_id).await?.unwrap();
    assert_eq!(by_id.display_name.as_deref(), Some("Erin E."));

    // A remote document can never overwrite a local actor.
    let mut impostor = remote.clone();
    impostor.ap_id = local.actor.ap_id.clone();
    assert!(actors::upsert_remote(&db, impostor).await.is_err());
    Ok(())
}

/// A remote actor whose document is stored by many requests at the same moment (an inbound
/// activity and lookups of the same account): every one succeeds, and there is one row.
async fn a_remote_actor_stored_from_many_requests_at_once_is_stored_once(
    t: TestDb,
) -> anyhow::Result<()> {
    let db = open(&t).await?;
    let local = member(&db, "fay").await?;
    for round in 0..20 {
        let remote = remote_like(&local.actor, &format!("r{round}"))?;
        let stored =
            futures::future::join_all((0..16).map(|_| actors::upsert_remote(&db, remote.clone())))
                .await;
        let mut ids = std::collections::BTreeSet::new();
        for r in stored {
            ids.insert(r.map_err(|e| anyhow::anyhow!("round {round}: {e}"))?.id);
        }
        assert_eq!(ids.len(), 1, "round {round}: one row");
    }
    Ok(())
}

/// The proof of a remote friend's friendships falls due for a fresh look after a while, and
/// expires when it was not confirmed.
async fn friends_of_friends_proof_falls_due_and_expires(t: TestDb) -> anyhow::Result<()> {
    use enishi_db::entity::{friendship, known_friendship};
    use enishi_db::friend_proof;
    use sea_orm::{ActiveModelTrait, Set};
    let db = open(&t).await?;
    let local = member(&db, "gil").await?;
    let remote = actors::upsert_remote(&db, remote_like(&local.actor, "hana")?).await?;
    let now = chrono::Utc::now();
    for (o, f) in [(local.actor.id, remote.id), (remote.id, local.actor.id)] {
        friendship::ActiveModel {
            owner_id: Set(o.0),
            friend_id: Set(f.0),
            created_at: Set(now),
        }
        .insert(&db.conn)
        .await?;
    }
    let due = friend_proof::due(&db, now, 10).await?;
    assert_eq!(due.len(), 1, "never learnt: due");
    assert_eq!((due[0].0.id, due[0].1.id), (local.actor.id, remote.id));
    enishi_db::inbound::social::witness_friends(
        &db,
        &remote,
        &["https://elsewhere.example/users/ivo".to_owned()],
    )
    .await?;
    let hour_ago = now - chrono::TimeDelta::hours(1);
    assert!(
        friend_proof::due(&db, hour_ago, 10).await?.is_empty(),
        "fresh"
    );
    let later = chrono::Utc::now() + chrono::TimeDelta::seconds(1);
    assert_eq!(friend_proof::due(&db, later, 10).await?.len(), 1, "stale");
    assert_eq!(
        friend_proof::expire(&db, hour_ago).await?,
        0,
        "not yet expired"
    );
    assert_eq!(friend_proof::expire(&db, later).await?, 1, "expired");
    assert_eq!(known_friendship::Entity::find().count(&db.conn).await?, 0);
    Ok(())
}

async fn invites_are_created(t: TestDb) -> anyhow::Result<()> {
    let db = open(&t).await?;
    let a = invites::create(&db, None, 3, None).await?;
    let b = invites::create(&db, None, 1, Some(chrono::Utc::now())).await?;
    assert_eq!(a.code.len(), 16);
    assert_ne!(a.code, b.code);
    assert_eq!(a.max_uses, 3);
    let listed = invites::list(&db).await?;
    assert_eq!(
        listed.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
        [b.code.as_str(), a.code.as_str()],
        "newest first"
    );
    assert!(invites::delete(&db, listed[0].id).await?);
    assert!(!invites::delete(&db, listed[0].id).await?, "already gone");
    assert_eq!(invites::list(&db).await?.len(), 1);
    Ok(())
}

/// A claim looks only at the first due rows (its cost follows the batch, not the backlog):
/// behind one host's backlog the other hosts wait for the next claim, which skips that host
/// once the worker has its share; no claim takes more than `per_host` of one host, no row is
/// claimed twice, and every row is reached.
async fn a_claim_looks_at_a_window_and_reaches_past_a_busy_host(t: TestDb) -> anyhow::Result<()> {
    use enishi_db::outbox::{self, Outgoing};
    let db = open(&t).await?;
    let alice = member(&db, "alice").await?;
    let busy: Vec<url::Url> = (0..40)
        .map(|n| format!("https://busy.example/users/{n}/inbox").parse())
        .collect::<Result<_, _>>()?;
    let quiet: Vec<url::Url> = ["https://one.example/inbox", "https://two.example/inbox"]
        .iter()
        .map(|u| u.parse())
        .collect::<Result<_, _>>()?;
    for (n, inboxes) in [(1, &busy), (2, &quiet)] {
        outbox::enqueue(
            &db.conn,
            Outgoing {
                ap_id: &format!("http://localhost:8080/activities/{n}"),
                actor: alice.actor.id,
                object_key: &format!("http://localhost:8080/diaries/{n}"),
                body: "{}",
            },
            inboxes,
        )
        .await?;
    }
    let lease = chrono::Duration::minutes(5);
    let hosts = |c: &[outbox::Claimed]| c.iter().map(|c| c.host.clone()).collect::<Vec<_>>();
    // The window (four batches' worth) holds only the busy host's rows: its share, no more.
    let first = outbox::claim(&db, 4, lease, &[], 2).await?;
    assert_eq!(hosts(&first), ["busy.example", "busy.example"]);
    // With its share claimed the worker skips it, and the next window reaches the others.
    let skip = ["busy.example".to_owned()];
    let second = outbox::claim(&db, 4, lease, &skip, 2).await?;
    assert_eq!(hosts(&second), ["one.example", "two.example"]);
    // The rest of the backlog is reached, each row once.
    let mut seen: std::collections::BTreeSet<i64> =
        first.iter().chain(&second).map(|c| c.id).collect();
    loop {
        let next = outbox::claim(&db, 4, lease, &[], 2).await?;
        if next.is_empty() {
            break;
        }
        anyhow::ensure!(next.len() <= 2, "more than a host's share: {next:?}");
        for c in next {
            anyhow::ensure!(seen.insert(c.id), "row {} claimed twice", c.id);
        }
    }
    assert_eq!(seen.len(), 42);
    Ok(())
}

/// Per-host figures for the admin page: pending, retrying, dead letters, the oldest due
/// delivery's age and a resting host; a requeue of one host's dead letters shows at once.
async fn delivery_health_is_shown_per_host(t: TestDb) -> anyhow::Result<()> {
    use enishi_db::delivery_health::{self, HostState};
    use enishi_db::outbox::{self, Outgoing};
    let db = open(&t).await?;
    let alice = member(&db, "alice").await?;
    let inboxes: Vec<url::Url> = [
        "https://well.example/inbox",
        "https://down.example/users/a/inbox",
        "https://down.example/users/b/inbox",
        "https://slow.example/inbox",
    ]
    .iter()
    .map(|u| u.parse())
    .collect::<Result<_, _>>()?;
    outbox::enqueue(
        &db.conn,
        Outgoing {
            ap_id: "http://localhost:8080/activities/1",
            actor: alice.actor.id,
            object_key: "http://localhost:8080/diaries/1",
            body: "{}",
        },
        &inboxes,
    )
    .await?;
    let fresh = delivery_health::hosts(&db).await?;
    assert!(
        fresh
            .iter()
            .all(|h| h.state == HostState::Ok && h.dead == 0)
    );
    assert_eq!(fresh.iter().map(|h| h.pending).sum::<u64>(), 4);
    let claimed = outbox::claim(&db, 10, chrono::Duration::minutes(5), &[], 10).await?;
    assert_eq!(claimed.len(), 4);
    for c in &claimed {
        match c.host.as_str() {
            "well.example" => outbox::release(&db, c.id).await?,
            "down.example" => {
                outbox::dead(&db, c.id, Some(410), "gone").await?;
                outbox::host_failed(&db, &c.host, "gone", 1, |_| {
                    std::time::Duration::from_secs(3600)
                })
                .await?;
            }
            _ => {
                // Due again since 90 seconds (the workers are behind).
                let due = chrono::Utc::now() - chrono::Duration::seconds(90);
                outbox::retry_at(&db, c.id, Some(503), "busy", due).await?;
            }
        }
    }
    let hosts = delivery_health::hosts(&db).await?;
    let names: Vec<&str> = hosts.iter().map(|h| h.host.as_str()).collect();
    assert_eq!(names, ["down.example", "slow.example", "well.example"]);
    let down = &hosts[0];
    assert_eq!(
        (&down.state, down.pending, down.dead, down.failures),
        (&HostState::Resting, 0, 2, 2)
    );
    assert!(down.next_probe_at.is_some());
    assert_eq!(down.last_error.as_deref(), Some("gone"));
    let slow = &hosts[1];
    assert_eq!(
        (&slow.state, slow.pending, slow.retrying, slow.dead),
        (&HostState::Retrying, 1, 1, 0),
    );
    assert!(
        (89..200).contains(&slow.oldest_due_secs),
        "the oldest due delivery waited {}s",
        slow.oldest_due_secs
    );
    let well = &hosts[2];
    assert_eq!(
        (&well.state, well.pending, well.dead),
        (&HostState::Ok, 1, 0)
    );

    assert_eq!(outbox::retry_dead(&db, Some("down.example")).await?, 2);
    let hosts = delivery_health::hosts(&db).await?;
    let down = hosts.iter().find(|h| h.host == "down.example").unwrap();
    assert_eq!(
        (&down.state, down.pending, down.dead, down.failures),
        (&HostState::Ok, 2, 0, 0),
        "requeued and the host's record cleared"
    );
    Ok(())
}

/// The admin page's member list pages newest first; suspending ends the member's browser
/// sessions, and reinstating does not bring them back.
async fn members_are_listed_and_suspended(t: TestDb) -> anyhow::Result<()> {
    use enishi_db::browser_sessions;
    let db = open(&t).await?;
    member(&db, "anna").await?;
    let b = member(&db, "ben").await?;
    let c = member(&db, "cleo").await?;
    let names = |list: Vec<enishi_core::Member>| {
        list.into_iter()
            .map(|m| m.actor.username)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(accounts::list_newest(&db, None, 2).await?),
        ["cleo", "ben"]
    );
    assert_eq!(
        names(accounts::list_newest(&db, Some(b.account_id), 2).await?),
        ["anna"]
    );
    let secret = browser_sessions::create(&db, b.account_id, "test").await?;
    let other = browser_sessions::create(&db, c.account_id, "test").await?;
    assert!(
        browser_sessions::authenticate(&db, &secret)
            .await?
            .is_some()
    );
    assert!(accounts::set_suspended(&db, "BEN", true, "test").await?);
    assert!(browser_sessions::list(&db, b.account_id).await?.is_empty());
    assert!(
        !browser_sessions::list(&db, c.account_id).await?.is_empty(),
        "others stay"
    );
    assert!(browser_sessions::authenticate(&db, &other).await?.is_some());
    assert!(accounts::set_suspended(&db, "ben", false, "test").await?);
    assert!(
        browser_sessions::authenticate(&db, &secret)
            .await?
            .is_none(),
        "an ended session stays ended"
    );
    assert!(
        accounts::authenticate(&db, "ben", "password1")
            .await?
            .is_some()
    );
    assert!(!accounts::set_suspended(&db, "nobody", true, "test").await?);
    Ok(())
}
