//! Relationship facts between a viewer and an owner, for the pure audience rule.

use crate::entity::{block, follow, friendship};
use enishi_core::{ActorId, FollowState, Relation, Viewer};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Statement,
};

/// Whether `a` and `b` are friends.
pub async fn are_friends(
    conn: &impl ConnectionTrait,
    a: ActorId,
    b: ActorId,
) -> Result<bool, DbErr> {
    Ok(friendship::Entity::find_by_id((a.0, b.0))
        .one(conn)
        .await?
        .is_some())
}

/// Whether either of `a` and `b` blocks the other.
pub async fn blocked_either_way(
    conn: &impl ConnectionTrait,
    a: ActorId,
    b: ActorId,
) -> Result<bool, DbErr> {
    let n = block::Entity::find()
        .filter(
            Expr::col(block::Column::BlockerId)
                .eq(a.0)
                .and(Expr::col(block::Column::BlockedId).eq(b.0))
                .or(Expr::col(block::Column::BlockerId)
                    .eq(b.0)
                    .and(Expr::col(block::Column::BlockedId).eq(a.0))),
        )
        .count(conn)
        .await?;
    Ok(n > 0)
}

/// Whether `a` has blocked `b`.
pub async fn blocks(conn: &impl ConnectionTrait, a: ActorId, b: ActorId) -> Result<bool, DbErr> {
    Ok(block::Entity::find_by_id((a.0, b.0))
        .one(conn)
        .await?
        .is_some())
}

/// Whether `viewer` is a friend of one of `owner`'s friends.
pub async fn friend_of_friend(
    conn: &impl ConnectionTrait,
    owner: ActorId,
    viewer: ActorId,
) -> Result<bool, DbErr> {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT 1 AS hit FROM friendship f1 JOIN friendship f2 ON f2.owner_id = f1.friend_id \
             WHERE f1.owner_id = $1 AND f2.friend_id = $2 LIMIT 1",
            [owner.0.into(), viewer.0.into()],
        ))
        .await?;
    if row.is_some() {
        return Ok(true);
    }
    // A friendship elsewhere that this instance has seen (DESIGN §3: as far as it can prove).
    let witnessed = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT 1 AS hit FROM friendship f1 JOIN known_friendship k ON k.owner_id = f1.friend_id \
             JOIN actor v ON v.ap_id = k.friend_ap_id \
             WHERE f1.owner_id = $1 AND v.id = $2 LIMIT 1",
            [owner.0.into(), viewer.0.into()],
        ))
        .await?;
    Ok(witnessed.is_some())
}

/// Everything the audience rule needs to know about `viewer` and `owner`, read on `conn` (the
/// caller's transaction when it holds one: a second pooled connection taken inside a write
/// transaction can wait for ever on a busy pool).
pub async fn relation(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    owner: ActorId,
) -> Result<Relation, DbErr> {
    let Some(v) = viewer.actor else {
        return Ok(Relation::default());
    };
    if v == owner {
        return Ok(Relation::SELF);
    }
    let friend = are_friends(conn, owner, v).await?;
    Ok(Relation {
        is_self: false,
        friend,
        friend_of_friend: !friend && friend_of_friend(conn, owner, v).await?,
        blocked: blocked_either_way(conn, owner, v).await?,
        addressed: false,
        follows: !friend && follow_state(conn, v, owner).await? == Some(FollowState::Accepted),
    })
}

/// [`relation`] for many remote or local `viewers` of `owner` at once, in their order: five
/// queries whatever their number (a post's audience is judged for each of its remote friends
/// and participants on every comment).
pub async fn relations_of_many(
    conn: &impl ConnectionTrait,
    owner: ActorId,
    viewers: &[ActorId],
) -> Result<Vec<Relation>, DbErr> {
    use std::collections::HashSet;
    let others: Vec<i64> = viewers
        .iter()
        .filter(|v| **v != owner)
        .map(|v| v.0)
        .collect();
    if others.is_empty() {
        return Ok(viewers.iter().map(|_| Relation::SELF).collect());
    }
    // Plain integers, so the list is safe to write into the statement (and no engine's
    // parameter limit applies).
    let list = others
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let backend = conn.get_database_backend();
    let ids = |sql: String| async move {
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [owner.0.into()],
            ))
            .await?;
        rows.iter()
            .map(|r| r.try_get_by_index::<i64>(0))
            .collect::<Result<HashSet<i64>, DbErr>>()
    };
    let friends = ids(format!(
        "SELECT friend_id FROM friendship WHERE owner_id = $1 AND friend_id IN ({list})"
    ))
    .await?;
    let mut friends_of_friends = ids(format!(
        "SELECT DISTINCT f2.friend_id FROM friendship f1 JOIN friendship f2 ON f2.owner_id = f1.friend_id \
         WHERE f1.owner_id = $1 AND f2.friend_id IN ({list})"
    ))
    .await?;
    friends_of_friends.extend(
        ids(format!(
            "SELECT DISTINCT v.id FROM friendship f1 JOIN known_friendship k ON k.owner_id = f1.friend_id \
             JOIN actor v ON v.ap_id = k.friend_ap_id WHERE f1.owner_id = $1 AND v.id IN ({list})"
        ))
        .await?,
    );
    let blocked = ids(format!(
        "SELECT blocked_id FROM block WHERE blocker_id = $1 AND blocked_id IN ({list}) \
         UNION SELECT blocker_id FROM block WHERE blocked_id = $1 AND blocker_id IN ({list})"
    ))
    .await?;
    let following = ids(format!(
        "SELECT follower_id FROM follow WHERE followee_id = $1 AND state = '{}' AND follower_id IN ({list})",
        FollowState::Accepted.as_str()
    ))
    .await?;
    Ok(viewers
        .iter()
        .map(|v| {
            if *v == owner {
                return Relation::SELF;
            }
            let friend = friends.contains(&v.0);
            Relation {
                is_self: false,
                friend,
                friend_of_friend: !friend && friends_of_friends.contains(&v.0),
                blocked: blocked.contains(&v.0),
                addressed: false,
                follows: !friend && following.contains(&v.0),
            }
        })
        .collect())
}

/// The state of `follower`'s follow of `followee`, if any.
pub async fn follow_state(
    conn: &impl ConnectionTrait,
    follower: ActorId,
    followee: ActorId,
) -> Result<Option<FollowState>, DbErr> {
    let row = follow::Entity::find()
        .filter(follow::Column::FollowerId.eq(follower.0))
        .filter(follow::Column::FolloweeId.eq(followee.0))
        .one(conn)
        .await?;
    row.map(|r| r.state.parse().map_err(DbErr::Custom))
        .transpose()
}

/// How many actors `who` has as friends or follows (an upper bound on timeline authors).
pub async fn followed_count(conn: &impl ConnectionTrait, who: ActorId) -> Result<u64, DbErr> {
    follow::Entity::find()
        .filter(follow::Column::FollowerId.eq(who.0))
        .filter(follow::Column::State.eq(FollowState::Accepted.as_str()))
        .count(conn)
        .await
}
