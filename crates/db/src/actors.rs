//! Actors, local and remote, and the one conversion from their row to the domain type.

use crate::entity::actor;
use crate::{ActorKeys, Db};
use chrono::Utc;
use enishi_core::{Actor, ActorId, ActorKind, InstanceSettings};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    TryIntoModel,
};
use url::Url;

fn parse_url(field: &str, value: &str) -> Result<Url, DbErr> {
    Url::parse(value)
        .map_err(|e| DbErr::Custom(format!("stored actor {field} {value:?} is not a URL: {e}")))
}

fn parse_opt_url(field: &str, value: Option<&str>) -> Result<Option<Url>, DbErr> {
    value.map(|v| parse_url(field, v)).transpose()
}

/// Converts a row into the domain actor.
pub(crate) fn to_domain(row: actor::Model) -> Result<Actor, DbErr> {
    Ok(Actor {
        id: ActorId(row.id),
        ap_id: parse_url("ap_id", &row.ap_id)?,
        kind: row.kind.parse().map_err(DbErr::Custom)?,
        username: row.username,
        domain: row.domain,
        is_local: row.is_local,
        display_name: row.display_name,
        summary: row.summary,
        url: parse_opt_url("url", row.url.as_deref())?,
        avatar_url: parse_opt_url("avatar_url", row.avatar_url.as_deref())?,
        inbox: parse_url("inbox", &row.inbox_url)?,
        shared_inbox: parse_opt_url("shared_inbox", row.shared_inbox_url.as_deref())?,
        outbox: parse_opt_url("outbox", row.outbox_url.as_deref())?,
        followers: parse_opt_url("followers", row.followers_url.as_deref())?,
        following: parse_opt_url("following", row.following_url.as_deref())?,
        public_key_id: row.public_key_id,
        public_key_pem: row.public_key_pem,
        manually_approves_followers: row.manually_approves_followers,
        discoverable: row.discoverable,
        indexable: row.indexable,
        created_at: row.created_at,
        fetched_at: row.fetched_at,
        friends_audience: row.friends_audience.and_then(|a| a.parse().ok()),
        introductions_audience: row.introductions_audience.and_then(|a| a.parse().ok()),
    })
}

/// The row for a new local actor of `kind` named `username` at `ap_id`, with its keys.
pub(crate) fn new_local(
    settings: &InstanceSettings,
    kind: ActorKind,
    username: &str,
    ap_id: &Url,
    keys: &ActorKeys,
) -> actor::ActiveModel {
    let now = Utc::now();
    let sub = |suffix: &str| format!("{ap_id}/{suffix}");
    let is_person = kind == ActorKind::Person;
    actor::ActiveModel {
        ap_id: Set(ap_id.to_string()),
        kind: Set(kind.as_str().to_owned()),
        username: Set(username.to_owned()),
        username_key: Set(username.to_ascii_lowercase()),
        domain: Set(settings.domain.clone()),
        is_local: Set(true),
        display_name: Set(None),
        summary: Set(None),
        url: Set(is_person.then(|| settings.url(&format!("/users/{username}")).to_string())),
        avatar_url: Set(None),
        inbox_url: Set(sub("inbox")),
        shared_inbox_url: Set(Some(settings.url("/inbox").to_string())),
        outbox_url: Set(Some(sub("outbox"))),
        followers_url: Set(is_person.then(|| sub("followers"))),
        following_url: Set(is_person.then(|| sub("following"))),
        public_key_id: Set(format!("{ap_id}#main-key")),
        public_key_pem: Set(keys.public_pem.clone()),
        private_key_pem: Set(Some(keys.private_pem.clone())),
        // Friendship needs approval; an instance actor is followed by nobody.
        manually_approves_followers: Set(true),
        discoverable: Set(false),
        indexable: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        fetched_at: Set(None),
        ..Default::default()
    }
}

/// Inserts a new local actor row.
pub(crate) async fn insert_local(
    conn: &impl ConnectionTrait,
    row: actor::ActiveModel,
) -> Result<Actor, DbErr> {
    to_domain(row.insert(conn).await?)
}

/// A local member's actor by username (case-insensitive).
pub async fn find_local_person(db: &Db, username: &str) -> Result<Option<Actor>, DbErr> {
    actor::Entity::find()
        .filter(actor::Column::IsLocal.eq(true))
        .filter(actor::Column::Kind.eq(ActorKind::Person.as_str()))
        .filter(actor::Column::UsernameKey.eq(username.to_ascii_lowercase()))
        .one(&db.conn)
        .await?
        .map(to_domain)
        .transpose()
}

/// Any actor by its ActivityPub id.
pub async fn find_by_ap_id(db: &Db, ap_id: &Url) -> Result<Option<Actor>, DbErr> {
    actor::Entity::find()
        .filter(actor::Column::ApId.eq(ap_id.as_str()))
        .one(&db.conn)
        .await?
        .map(to_domain)
        .transpose()
}

/// The private key of a local actor, for signing. `None` for remote actors.
pub async fn private_key_pem(db: &Db, id: ActorId) -> Result<Option<String>, DbErr> {
    Ok(actor::Entity::find_by_id(id.0)
        .one(&db.conn)
        .await?
        .and_then(|row| row.private_key_pem))
}

/// Inserts or refreshes a remote actor from its fetched document, keyed by `ap_id`; the given
/// actor's `id` and `created_at` are ignored.
///
/// Safe under concurrency: two requests storing the same actor at once (an inbound activity
/// and a lookup, say) both succeed. The one whose insert loses the race on a unique key reads
/// the winner's row and refreshes it.
pub async fn upsert_remote(db: &Db, a: Actor) -> Result<Actor, DbErr> {
    if a.is_local {
        return Err(DbErr::Custom(format!(
            "refusing to store {} as a remote actor",
            a.ap_id
        )));
    }
    let mut tries = 0;
    loop {
        tries += 1;
        match store_remote(db, a.clone()).await {
            Err(e) if tries < 3 && crate::is_unique_violation(&e) => continue,
            other => return other,
        }
    }
}

async fn store_remote(db: &Db, a: Actor) -> Result<Actor, DbErr> {
    let now = Utc::now();
    let existing = actor::Entity::find()
        .filter(actor::Column::ApId.eq(a.ap_id.as_str()))
        .one(&db.conn)
        .await?;
    let mut row = match existing {
        Some(row) => {
            if row.is_local {
                return Err(DbErr::Custom(format!("{} is a local actor", a.ap_id)));
            }
            actor::ActiveModel::from(row)
        }
        None => actor::ActiveModel {
            ap_id: Set(a.ap_id.to_string()),
            is_local: Set(false),
            private_key_pem: Set(None),
            created_at: Set(now),
            ..Default::default()
        },
    };
    row.kind = Set(a.kind.as_str().to_owned());
    row.username_key = Set(a.username.to_lowercase());
    row.username = Set(a.username);
    row.domain = Set(a.domain);
    row.display_name = Set(a.display_name);
    row.summary = Set(a.summary);
    row.url = Set(a.url.map(String::from));
    row.avatar_url = Set(a.avatar_url.map(String::from));
    row.inbox_url = Set(a.inbox.to_string());
    row.shared_inbox_url = Set(a.shared_inbox.map(String::from));
    row.outbox_url = Set(a.outbox.map(String::from));
    row.followers_url = Set(a.followers.map(String::from));
    row.following_url = Set(a.following.map(String::from));
    row.public_key_id = Set(a.public_key_id);
    row.public_key_pem = Set(a.public_key_pem);
    row.manually_approves_followers = Set(a.manually_approves_followers);
    row.discoverable = Set(a.discoverable);
    row.indexable = Set(a.indexable);
    row.friends_audience = Set(a.friends_audience.map(|x| x.as_str().to_owned()));
    row.introductions_audience = Set(a.introductions_audience.map(|x| x.as_str().to_owned()));
    row.updated_at = Set(now);
    row.fetched_at = Set(Some(now));
    let stored = to_domain(row.save(&db.conn).await?.try_into_model()?)?;
    // The avatar is served from the media cache, never from the other server.
    let avatar = stored
        .avatar_url
        .as_ref()
        .map(|u| crate::remote_media::RemoteAttachment {
            url: u.to_string(),
            media_type: None,
            description: None,
            width: 0,
            height: 0,
            fetchable: true,
        });
    crate::remote_media::sync_actor_image(
        &db.conn,
        stored.id,
        enishi_core::media::Attachment::Avatar,
        avatar.as_ref(),
    )
    .await?;
    Ok(stored)
}

/// Any actor by database id.
pub async fn find_by_id(conn: &impl ConnectionTrait, id: ActorId) -> Result<Option<Actor>, DbErr> {
    actor::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .map(to_domain)
        .transpose()
}

/// Actors by id, in the order of `ids` (missing ones skipped).
pub async fn by_ids_in_order(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<Actor>, crate::error::OpError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = actor::Entity::find()
        .filter(actor::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let by_id: std::collections::HashMap<i64, actor::Model> =
        rows.into_iter().map(|r| (r.id, r)).collect();
    ids.iter()
        .filter_map(|id| by_id.get(id).cloned())
        .map(|r| to_domain(r).map_err(Into::into))
        .collect()
}

/// Actors by id, keyed by id (missing ones absent). Lists that pair rows with their actors
/// look them up here rather than zipping with [`by_ids_in_order`]: an actor deleted between
/// the two reads would otherwise shift every later row onto the wrong actor.
pub async fn by_ids(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Actor>, crate::error::OpError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows = actor::Entity::find()
        .filter(actor::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.id, to_domain(r)?)))
        .collect()
}

/// A remote actor by `name@domain` handle, if known here.
pub async fn find_remote_by_handle(
    db: &Db,
    username: &str,
    domain: &str,
) -> Result<Option<Actor>, DbErr> {
    actor::Entity::find()
        .filter(actor::Column::IsLocal.eq(false))
        .filter(actor::Column::UsernameKey.eq(username.to_lowercase()))
        .filter(actor::Column::Domain.eq(domain.to_ascii_lowercase()))
        .one(&db.conn)
        .await?
        .map(to_domain)
        .transpose()
}

/// Replaces the further keys (`assertionMethod` Multikeys) of remote actor `actor`:
/// `(key id, SubjectPublicKeyInfo PEM)` pairs. A key id another actor already holds is left
/// to it (ids are URLs on the owner's server, so this only happens with a hostile document).
pub async fn set_other_keys(
    db: &Db,
    actor: ActorId,
    keys: &[(String, String)],
) -> Result<(), DbErr> {
    use crate::entity::actor_key;
    use sea_orm::TransactionTrait;
    let txn = db.conn.begin().await?;
    actor_key::Entity::delete_many()
        .filter(actor_key::Column::ActorId.eq(actor.0))
        .exec(&txn)
        .await?;
    let now = Utc::now();
    for (key_id, pem) in keys {
        let taken = actor_key::Entity::find_by_id(key_id.clone())
            .one(&txn)
            .await?
            .is_some();
        if taken {
            continue;
        }
        actor_key::ActiveModel {
            key_id: Set(key_id.clone()),
            actor_id: Set(actor.0),
            public_key_pem: Set(pem.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await
}

/// The PEM of `actor`'s key `key_id`: the main `publicKey` or one of the further keys.
pub async fn key_pem(db: &Db, actor: &Actor, key_id: &str) -> Result<Option<String>, DbErr> {
    use crate::entity::actor_key;
    if actor.public_key_id == key_id {
        return Ok(Some(actor.public_key_pem.clone()));
    }
    Ok(actor_key::Entity::find_by_id(key_id.to_owned())
        .filter(actor_key::Column::ActorId.eq(actor.id.0))
        .one(&db.conn)
        .await?
        .map(|k| k.public_key_pem))
}
