//! Relationship activities from other servers: the friendship protocol of DESIGN §4 seen from
//! the local member's side, and blocks.

use crate::entity::{block, follow};
use crate::error::OpResult;
use crate::federation::{self, Event};
use crate::social::{
    end_friendship, find_follow, forget_reactions, make_friends, set_follow, sever,
};
use crate::{Db, notifications};
use chrono::Utc;
use enishi_core::{Actor, ActorId, FollowState, InstanceSettings, NotificationKind};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

/// What became of an inbound Follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowOutcome {
    /// A friend request waits for the member's approval.
    Requested,
    /// The member had asked first (or had approved): accepted at once.
    Accepted,
    /// Refused (a block, or the member's friends list is full): a Reject was queued.
    Refused,
}

async fn queue(
    db: &Db,
    txn: &DatabaseTransaction,
    signer: &Actor,
    key: &str,
    event: Event<'_>,
    to: &Actor,
) -> OpResult<()> {
    federation::announce(
        txn,
        db.herald(),
        signer,
        key,
        event,
        std::slice::from_ref(to),
    )
    .await?;
    Ok(())
}

/// Remote `follower` sends `Follow` (id `follow_id`) to local `member` (DESIGN §4 steps 1–3).
/// A `held` request (from a limited server) is recorded without notifying the member.
pub async fn follow_requested(
    db: &Db,
    settings: &InstanceSettings,
    follower: &Actor,
    member: &Actor,
    follow_id: &str,
    held: bool,
) -> OpResult<FollowOutcome> {
    let txn = crate::begin_pair(db, follower.id, member.id).await?;
    let reject = Event::RejectFollow {
        id: follow_id,
        follower,
        followee: member,
    };
    if crate::relations::blocked_either_way(&txn, follower.id, member.id).await?
        || crate::social::check_capacity(&txn, member, settings.limits.friends)
            .await
            .is_err()
            && !crate::relations::are_friends(&txn, follower.id, member.id).await?
    {
        queue(db, &txn, member, follow_id, reject, follower).await?;
        txn.commit().await?;
        return Ok(FollowOutcome::Refused);
    }
    let mine = find_follow(&txn, member.id, follower.id).await?;
    let asked_first = mine.as_ref().is_some_and(|f| {
        f.state == FollowState::Pending.as_str() || f.state == FollowState::Accepted.as_str()
    });
    if asked_first {
        // The member asked (or approved) first, so their follow back is the answer.
        set_follow(
            &txn,
            follower.id,
            member.id,
            FollowState::Accepted,
            None,
            Some(follow_id.to_owned()),
        )
        .await?;
        let accept = Event::AcceptFollow {
            id: follow_id,
            follower,
            followee: member,
        };
        queue(db, &txn, member, follow_id, accept, follower).await?;
        if mine.is_some_and(|f| f.state == FollowState::Accepted.as_str()) {
            befriend(&txn, member, follower).await?;
        }
        txn.commit().await?;
        return Ok(FollowOutcome::Accepted);
    }
    let existing = find_follow(&txn, follower.id, member.id).await?;
    if existing
        .as_ref()
        .is_some_and(|f| f.state == FollowState::Accepted.as_str())
    {
        // A repeated Follow of an accepted follow: confirm again.
        let accept = Event::AcceptFollow {
            id: follow_id,
            follower,
            followee: member,
        };
        set_follow(
            &txn,
            follower.id,
            member.id,
            FollowState::Accepted,
            None,
            Some(follow_id.to_owned()),
        )
        .await?;
        queue(db, &txn, member, follow_id, accept, follower).await?;
        txn.commit().await?;
        return Ok(FollowOutcome::Accepted);
    }
    set_follow(
        &txn,
        follower.id,
        member.id,
        FollowState::Pending,
        None,
        Some(follow_id.to_owned()),
    )
    .await?;
    if existing.is_none() && !held {
        notifications::create(
            &txn,
            member.id,
            NotificationKind::FriendRequest,
            follower.id,
            notifications::Refs::default(),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(FollowOutcome::Requested)
}

async fn befriend(txn: &DatabaseTransaction, member: &Actor, other: &Actor) -> OpResult<()> {
    make_friends(txn, member.id, other.id).await?;
    notifications::clear_friend_request(txn, member.id, other.id).await?;
    notifications::create(
        txn,
        member.id,
        NotificationKind::FriendAccepted,
        other.id,
        notifications::Refs::default(),
    )
    .await?;
    Ok(())
}

/// Remote `followee` accepts local `member`'s follow. If they had asked `member` first, their
/// request is accepted now and the two are friends (DESIGN §4 step 2). Returns whether a
/// follow was waiting for this answer.
pub async fn follow_accepted(db: &Db, member: &Actor, followee: &Actor) -> OpResult<bool> {
    let txn = crate::begin_pair(db, member.id, followee.id).await?;
    let Some(mine) = find_follow(&txn, member.id, followee.id).await? else {
        return Ok(false);
    };
    if mine.state != FollowState::Accepted.as_str() {
        let mut row: follow::ActiveModel = mine.into();
        row.state = Set(FollowState::Accepted.as_str().into());
        row.updated_at = Set(Utc::now());
        row.update(&txn).await?;
    }
    if let Some(theirs) = find_follow(&txn, followee.id, member.id).await? {
        if theirs.state == FollowState::Pending.as_str()
            && let Some(id) = theirs.ap_id.as_deref()
        {
            let accept = Event::AcceptFollow {
                id,
                follower: followee,
                followee: member,
            };
            queue(db, &txn, member, id, accept, followee).await?;
            let mut row: follow::ActiveModel = theirs.clone().into();
            row.state = Set(FollowState::Accepted.as_str().into());
            row.updated_at = Set(Utc::now());
            row.update(&txn).await?;
        }
        if theirs.state != FollowState::Rejected.as_str() {
            befriend(&txn, member, followee).await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}

/// Remote `followee` rejects local `member`'s follow, or removes them as a follower: the follow
/// and any friendship end, and with them the introductions between the two. Their follow of
/// the member, if any, stays.
pub async fn follow_rejected(db: &Db, member: &Actor, followee: &Actor) -> OpResult<bool> {
    end_one_direction(db, member, followee).await
}

/// Remote `follower` withdraws their follow of local `member` (`Undo{Follow}`); a friendship
/// ends, the member's own follow of them stays.
pub async fn follow_undone(db: &Db, follower: &Actor, member: &Actor) -> OpResult<bool> {
    end_one_direction(db, follower, member).await
}

async fn end_one_direction(db: &Db, from: &Actor, to: &Actor) -> OpResult<bool> {
    let txn = crate::begin_pair(db, from.id, to.id).await?;
    // Only this direction's follow goes; the other one (if any) stays, so that two activities
    // ending both directions at once cannot undo each other's work.
    let existed = follow::Entity::delete_many()
        .filter(follow::Column::FollowerId.eq(from.id.0))
        .filter(follow::Column::FolloweeId.eq(to.id.0))
        .exec(&txn)
        .await?
        .rows_affected
        > 0;
    if end_friendship(&txn, from.id, to.id).await? {
        crate::friend_proof::tell_holders(db, &txn, from, to).await?;
    }
    txn.commit().await?;
    Ok(existed)
}

/// Remote `blocker` blocks local `member`: everything between them ends, and the block is kept
/// so that the member's content stays out of their reach.
pub async fn blocked(db: &Db, blocker: &Actor, member: &Actor, block_id: &str) -> OpResult<()> {
    let txn = crate::begin_pair(db, blocker.id, member.id).await?;
    if sever(&txn, blocker.id, member.id).await? {
        crate::friend_proof::tell_holders(db, &txn, blocker, member).await?;
    }
    forget_reactions(&txn, blocker.id, member.id).await?;
    block::Entity::insert(block::ActiveModel {
        blocker_id: Set(blocker.id.0),
        blocked_id: Set(member.id.0),
        ap_id: Set(Some(block_id.to_owned())),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([block::Column::BlockerId, block::Column::BlockedId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Remote `blocker` lifts their block of local `member`.
pub async fn unblocked(db: &Db, blocker: &Actor, member: &Actor) -> OpResult<bool> {
    Ok(block::Entity::delete_by_id((blocker.id.0, member.id.0))
        .exec(&db.conn)
        .await?
        .rows_affected
        > 0)
}

/// The follow with the ActivityPub id `ap_id`: `(follower, followee)`.
pub async fn follow_by_id(db: &Db, ap_id: &str) -> OpResult<Option<(ActorId, ActorId)>> {
    Ok(follow::Entity::find()
        .filter(follow::Column::ApId.eq(ap_id))
        .one(&db.conn)
        .await?
        .map(|f| (ActorId(f.follower_id), ActorId(f.followee_id))))
}

/// Local members who follow `remote` (accepted), as this instance sees it.
pub async fn local_followers_of(db: &Db, remote: ActorId) -> OpResult<Vec<Actor>> {
    use crate::entity::actor;
    use sea_orm::sea_query::Expr;
    actor::Entity::find()
        .filter(actor::Column::IsLocal.eq(true))
        .filter(Expr::cust(format!(
            "actor.id IN (SELECT follower_id FROM follow WHERE followee_id = {} AND state = '{}')",
            remote.0,
            FollowState::Accepted.as_str()
        )))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|r| crate::actors::to_domain(r).map_err(Into::into))
        .collect()
}

/// The followers (= friends) of local `owner` whose actors live on `domain` (`host[:port]`).
pub async fn followers_on(db: &Db, owner: ActorId, domain: &str) -> OpResult<Vec<String>> {
    use crate::entity::actor;
    use sea_orm::sea_query::Expr;
    Ok(actor::Entity::find()
        .filter(actor::Column::Domain.eq(domain.to_ascii_lowercase()))
        .filter(Expr::cust(format!(
            "actor.id IN (SELECT follower_id FROM follow WHERE followee_id = {} AND state = '{}')",
            owner.0,
            FollowState::Accepted.as_str()
        )))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|a| a.ap_id)
        .collect())
}

/// The other server says local `member` follows remote `followee`, and this instance has no
/// such follow: withdraw it there, as Mastodon does (FEP-8fcf).
pub async fn withdraw_unknown_follow(
    db: &Db,
    settings: &InstanceSettings,
    member: &Actor,
    followee: &Actor,
) -> OpResult<()> {
    let txn = crate::begin_write(db).await?;
    let id = settings
        .url(&format!("/follows/{}", uuid::Uuid::now_v7()))
        .to_string();
    let event = Event::UndoFollow {
        id: &id,
        follower: member,
        followee,
    };
    queue(db, &txn, member, &id, event, followee).await?;
    txn.commit().await?;
    Ok(())
}

/// Records what `remote`'s friend list (their followers collection, fetched with the signature
/// of a member who is their friend) says: these friendships are now proven here. The list
/// replaces what was known before.
pub async fn witness_friends(db: &Db, remote: &Actor, friend_ids: &[String]) -> OpResult<()> {
    use crate::entity::known_friendship;
    let txn = crate::begin_write(db).await?;
    known_friendship::Entity::delete_many()
        .filter(known_friendship::Column::OwnerId.eq(remote.id.0))
        .exec(&txn)
        .await?;
    let now = Utc::now();
    let mut seen = std::collections::BTreeSet::new();
    let rows: Vec<known_friendship::ActiveModel> = friend_ids
        .iter()
        .filter(|id| id.len() <= 2048 && seen.insert(id.as_str()))
        .take(10_000)
        .map(|id| known_friendship::ActiveModel {
            owner_id: Set(remote.id.0),
            friend_ap_id: Set(id.clone()),
            seen_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(500) {
        known_friendship::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
