//! Inbound posts committed in batches (group commit) on SQLite and PostgreSQL: every change
//! is recorded with its activity, a redelivery is a duplicate, and a change that fails rolls
//! back alone.

use chrono::Utc;
use enishi_core::{ActorId, ContentLimits, InstanceSettings, PostKind, RegistrationMode, Scheme};
use enishi_db::accounts::{self, NewMember};
use enishi_db::entity::{inbound_activity, post};
use enishi_db::inbound::content::{self, Received, RemotePost};
use enishi_db::inbound::{Claim, DUPLICATE};
use enishi_db::{ActorKeys, Db, actors};
use enishi_testkit::TestDb;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::sync::Arc;

enishi_testkit::main!(db: [
    concurrent_posts_are_each_stored_and_recorded_once,
]);

async fn open(t: &TestDb) -> anyhow::Result<Db> {
    let db = enishi_db::connect(&t.url, 4).await?;
    enishi_db::migrate(&db).await?;
    Ok(db)
}

/// A voice post `object` by `author` with `text`, addressed to `to`, as `receive_post` takes it.
fn note<'a>(
    author: &'a enishi_core::Actor,
    ap_id: &'a url::Url,
    to: &'a [ActorId],
    text: &'a str,
) -> RemotePost<'a> {
    RemotePost {
        ap_id,
        kind: PostKind::Voice,
        author,
        title: None,
        text,
        html: text,
        content_warning: None,
        public: false,
        to_followers: false,
        addressed: to,
        mentioned: &[],
        hashtags: &[],
        attachments: &[],
        published: Utc::now(),
    }
}

/// One delivery of a post addressed to `to`, as activity `activity`.
async fn deliver(
    db: &Db,
    author: &enishi_core::Actor,
    activity: &str,
    object: &str,
    to: ActorId,
) -> Result<Received, enishi_db::error::OpError> {
    let claim = Arc::new(Claim::new(activity, author.id, "Create", &author.domain));
    let ap_id: url::Url = object.parse().expect("a URL");
    let to = [to];
    content::receive_post(&db.claiming(claim), note(author, &ap_id, &to, "hello")).await
}

async fn concurrent_posts_are_each_stored_and_recorded_once(t: TestDb) -> anyhow::Result<()> {
    let db = open(&t).await?;
    let settings = InstanceSettings {
        domain: "localhost:8080".into(),
        scheme: Scheme::Http,
        registration: RegistrationMode::Invite,
        limits: ContentLimits::default(),
        name: "test".into(),
    };
    let keys = ActorKeys {
        public_pem: "-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n".into(),
        private_pem: "-----BEGIN PRIVATE KEY-----\nTEST\n-----END PRIVATE KEY-----\n".into(),
    };
    let member = accounts::create(
        &db,
        &settings,
        NewMember {
            username: "mina",
            password: "password1",
            is_admin: false,
            keys,
        },
    )
    .await?
    .actor;
    let mut remote = member.clone();
    remote.is_local = false;
    remote.ap_id = "https://remote.example/users/ren".parse()?;
    remote.inbox = "https://remote.example/users/ren/inbox".parse()?;
    remote.username = "ren".into();
    remote.domain = "remote.example".into();
    let remote = actors::upsert_remote(&db, remote).await?;

    // 60 posts, each delivered twice at once, and one that cannot be stored (it names an
    // actor that does not exist), all in flight together so that they share batches.
    let mut deliveries = Vec::new();
    for i in 0..60 {
        for _ in 0..2 {
            let (db, remote) = (db.clone(), remote.clone());
            deliveries.push(tokio::spawn(async move {
                deliver(
                    &db,
                    &remote,
                    &format!("https://remote.example/activities/{i}"),
                    &format!("https://remote.example/notes/{i}"),
                    member.id,
                )
                .await
            }));
        }
    }
    let (bad_db, bad_remote) = (db.clone(), remote.clone());
    let bad = tokio::spawn(async move {
        deliver(
            &bad_db,
            &bad_remote,
            "https://remote.example/activities/bad",
            "https://remote.example/notes/bad",
            ActorId(i64::MAX),
        )
        .await
    });
    let (mut stored, mut duplicates) = (0, 0);
    for d in deliveries {
        match d.await? {
            Ok(Received::Stored) => stored += 1,
            Err(enishi_db::error::OpError::Db(e)) if e.to_string().contains(DUPLICATE) => {
                duplicates += 1
            }
            other => anyhow::bail!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!((stored, duplicates), (60, 60), "each post stored once");
    assert!(bad.await?.is_err(), "the post naming no one real fails");

    let posts = post::Entity::find()
        .filter(post::Column::AuthorId.eq(remote.id.0))
        .count(&db.conn)
        .await?;
    assert_eq!(posts, 60, "the failed post was not kept, the others were");
    let records = inbound_activity::Entity::find().count(&db.conn).await?;
    assert_eq!(
        records, 60,
        "each stored post recorded with its activity, the failed one not"
    );
    // Delivered again later: a duplicate, nothing written.
    let again = deliver(
        &db,
        &remote,
        "https://remote.example/activities/7",
        "https://remote.example/notes/7",
        member.id,
    )
    .await;
    assert!(
        matches!(&again, Err(enishi_db::error::OpError::Db(e)) if e.to_string().contains(DUPLICATE)),
        "{again:?}"
    );
    // A new version of a kept post (an `Update`, recorded after its handling, so no claim).
    let ap_id: url::Url = "https://remote.example/notes/7".parse()?;
    let addressed = [member.id];
    let edited =
        content::receive_post(&db, note(&remote, &ap_id, &addressed, "hello again")).await?;
    assert_eq!(edited, Received::Stored);
    let kept = post::Entity::find()
        .filter(post::Column::ApId.eq(ap_id.as_str()))
        .one(&db.conn)
        .await?
        .expect("the post is kept");
    assert_eq!(kept.body, "hello again", "the kept post is updated");
    // The failed one, delivered again once it can be stored, is stored.
    let retried = deliver(
        &db,
        &remote,
        "https://remote.example/activities/bad",
        "https://remote.example/notes/bad",
        member.id,
    )
    .await?;
    assert_eq!(retried, Received::Stored);
    db.close().await?;
    Ok(())
}
