//! Proof of friendships elsewhere, on which friends of friends across servers rest (DESIGN §3:
//! "as far as this instance can prove it"). A remote friend's friend list is learnt from their
//! followers collection (`inbound::social::witness_friends`); here it is kept honest: what a
//! friendship's end disproves goes at once, what has not been confirmed for a while is looked
//! at again, and what cannot be confirmed any more expires.

use crate::Db;
use crate::entity::{actor, known_friendship};
use chrono::{DateTime, Utc};
use enishi_core::{Actor, ActorId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, Statement,
};

/// A friendship between `a` and `b` ended: neither proves the other a friend any more.
pub(crate) async fn forget_between(
    conn: &impl ConnectionTrait,
    a: ActorId,
    b: ActorId,
) -> Result<(), DbErr> {
    for (owner, friend) in [(a, b), (b, a)] {
        known_friendship::Entity::delete_many()
            .filter(known_friendship::Column::OwnerId.eq(owner.0))
            .filter(Expr::cust(format!(
                "friend_ap_id = (SELECT ap_id FROM actor WHERE id = {})",
                friend.0
            )))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// The server of remote `owner` says `friend` left their friend list: it proves nothing now.
pub async fn forget_friend(db: &Db, owner: ActorId, friend: &str) -> Result<bool, DbErr> {
    Ok(known_friendship::Entity::delete_many()
        .filter(known_friendship::Column::OwnerId.eq(owner.0))
        .filter(known_friendship::Column::FriendApId.eq(friend))
        .exec(&db.conn)
        .await?
        .rows_affected
        > 0)
}

/// Tells the servers that may hold a friend list of `a` or `b` as proof (the servers of the
/// local party's remote friends) that the friendship between them ended. Call it inside the
/// transaction that ends it, after the friendship rows are gone.
pub(crate) async fn tell_holders(
    db: &Db,
    txn: &sea_orm::DatabaseTransaction,
    a: &Actor,
    b: &Actor,
) -> Result<(), DbErr> {
    for (owner, former) in [(a, b), (b, a)] {
        if !owner.is_local {
            continue;
        }
        let holders: Vec<Actor> = crate::social::remote_friends(txn, owner.id)
            .await
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .into_iter()
            .filter(|h| h.id != former.id)
            .collect();
        crate::federation::announce(
            txn,
            db.herald(),
            owner,
            owner.ap_id.as_str(),
            crate::federation::Event::FriendshipEnded { owner, former },
            &holders,
        )
        .await?;
    }
    Ok(())
}

/// Forgets every proof last confirmed before `before`; returns how many.
pub async fn expire(db: &Db, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(known_friendship::Entity::delete_many()
        .filter(known_friendship::Column::SeenAt.lt(before))
        .exec(&db.conn)
        .await?
        .rows_affected)
}

/// Remote friends of local members whose friend list was last learnt before `before` (or
/// never), each with one local friend whose signature entitles us to read it; at most `limit`.
pub async fn due(db: &Db, before: DateTime<Utc>, limit: u64) -> Result<Vec<(Actor, Actor)>, DbErr> {
    let backend = db.conn.get_database_backend();
    let rows = db
        .conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "SELECT f.owner_id AS member, f.friend_id AS friend FROM friendship f \
             JOIN actor m ON m.id = f.owner_id AND m.is_local = TRUE \
             JOIN actor r ON r.id = f.friend_id AND r.is_local = FALSE \
             WHERE NOT EXISTS (SELECT 1 FROM known_friendship k WHERE k.owner_id = f.friend_id \
                               AND k.seen_at >= $1) \
             ORDER BY f.friend_id, f.owner_id",
            [before.into()],
        ))
        .await?;
    let mut out = Vec::new();
    let mut last = None;
    for row in rows {
        let member: i64 = row.try_get("", "member")?;
        let friend: i64 = row.try_get("", "friend")?;
        if last == Some(friend) {
            continue;
        }
        last = Some(friend);
        let (Some(m), Some(f)) = (
            crate::actors::find_by_id(&db.conn, ActorId(member)).await?,
            crate::actors::find_by_id(&db.conn, ActorId(friend)).await?,
        ) else {
            continue;
        };
        out.push((m, f));
        if out.len() as u64 >= limit {
            break;
        }
    }
    Ok(out)
}

/// Records the followers digest (FEP-8fcf) `sender` just sent; returns whether it differs
/// from the last one, that is, whether their friend list changed as far as we can tell.
pub async fn digest_changed(db: &Db, sender: ActorId, digest: &str) -> Result<bool, DbErr> {
    let Some(row) = actor::Entity::find_by_id(sender.0).one(&db.conn).await? else {
        return Ok(false);
    };
    if row.followers_digest.as_deref() == Some(digest) {
        return Ok(false);
    }
    let mut row: actor::ActiveModel = row.into();
    row.followers_digest = Set(Some(digest.to_owned()));
    row.update(&db.conn).await?;
    Ok(true)
}
