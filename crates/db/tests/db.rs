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
    invites_are_created,
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

async fn remote_actors_are_stored_and_refreshed(t: TestDb) -> anyhow::Result<()> {
    let db = open(&t).await?;
    let s = settings("localhost:8080");
    let local = accounts::create(
        &db,
        &s,
        NewMember {
            username: "dave",
            password: "password1",
            is_admin: false,
            keys: keys(),
        },
    )
    .await?;
    let mut remote = local.actor.clone();
    remote.is_local = false;
    remote.ap_id = "https://remote.example/users/Erin".parse()?;
    remote.username = "Erin".into();
    remote.domain = "remote.example".into();
    remote.inbox = "https://remote.example/users/Erin/inbox".parse()?;
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

async fn invites_are_created(t: TestDb) -> anyhow::Result<()> {
    let db = open(&t).await?;
    let a = invites::create(&db, None, 3, None).await?;
    let b = invites::create(&db, None, 1, Some(chrono::Utc::now())).await?;
    assert_eq!(a.code.len(), 16);
    assert_ne!(a.code, b.code);
    assert_eq!(a.max_uses, 3);
    Ok(())
}
