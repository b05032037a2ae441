//! Friend requests, friendships, one-way follows and blocks (DESIGN §4 friendship protocol).
//!
//! A friend request is a pending follow; a friendship is both follows accepted, kept as two
//! `friendship` rows (one per direction) written in the same transaction as the follows.

use crate::entity::{
    actor, block, comment, follow, friendship, introduction, notification, post_like,
};
use crate::error::{OpError, OpResult};
use crate::federation::Event;
use crate::{Db, actors, notifications};
use chrono::{DateTime, Utc};
use enishi_core::{
    Actor, ActorId, FollowState, InstanceSettings, NotificationKind, ValidationError,
    content::profile_limits,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// A pending friend request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendRequest {
    /// Id of the request (the follow row).
    pub id: i64,
    /// Who asked.
    pub from: Actor,
    /// Who was asked.
    pub to: Actor,
    /// Optional message from the requester.
    pub message: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// What a friend request led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// The request waits for the other's approval.
    Requested,
    /// The other had asked first: now friends.
    Friends,
}

/// How the caller stands with another actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Relationship {
    /// Mutual, approved friends.
    pub friend: bool,
    /// The caller follows them (accepted, one-way or as part of a friendship).
    pub following: bool,
    /// They follow the caller.
    pub followed_by: bool,
    /// The caller's request to them is pending.
    pub requested: bool,
    /// Their request to the caller is pending.
    pub requested_by: bool,
    /// The caller blocks them. (Whether they block the caller is not revealed.)
    pub blocking: bool,
}

/// Direction of a request listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Requests others made to the caller.
    Incoming,
    /// Requests the caller made.
    Outgoing,
}

async fn friend_count(conn: &impl ConnectionTrait, who: ActorId) -> Result<u64, sea_orm::DbErr> {
    friendship::Entity::find()
        .filter(friendship::Column::OwnerId.eq(who.0))
        .count(conn)
        .await
}

pub(crate) async fn check_capacity(
    conn: &impl ConnectionTrait,
    who: &Actor,
    limit: usize,
) -> OpResult<()> {
    if who.is_local && friend_count(conn, who.id).await? >= limit as u64 {
        return Err(OpError::Conflict(
            "friend_limit_reached",
            format!(
                "{} already has the maximum of {limit} friends",
                who.handle()
            ),
        ));
    }
    Ok(())
}

pub(crate) async fn find_follow(
    conn: &impl ConnectionTrait,
    from: ActorId,
    to: ActorId,
) -> OpResult<Option<follow::Model>> {
    Ok(follow::Entity::find()
        .filter(follow::Column::FollowerId.eq(from.0))
        .filter(follow::Column::FolloweeId.eq(to.0))
        .one(conn)
        .await?)
}

/// Sets the follow `from → to` to `state`, creating it if needed.
pub(crate) async fn set_follow(
    txn: &DatabaseTransaction,
    from: ActorId,
    to: ActorId,
    state: FollowState,
    message: Option<String>,
    ap_id: Option<String>,
) -> OpResult<follow::Model> {
    let now = Utc::now();
    match find_follow(txn, from, to).await? {
        Some(row) => {
            let mut row: follow::ActiveModel = row.into();
            row.state = Set(state.as_str().into());
            if message.is_some() {
                row.message = Set(message);
            }
            if ap_id.is_some() {
                row.ap_id = Set(ap_id);
            }
            row.updated_at = Set(now);
            Ok(row.update(txn).await?)
        }
        None => Ok(follow::ActiveModel {
            follower_id: Set(from.0),
            followee_id: Set(to.0),
            state: Set(state.as_str().into()),
            ap_id: Set(ap_id),
            message: Set(message),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await
        .map_err(|e| {
            if crate::is_unique_violation(&e) {
                OpError::Conflict(
                    "already_requested",
                    "a request between you is already being made".into(),
                )
            } else {
                e.into()
            }
        })?),
    }
}

/// A fresh id for a Follow sent from here.
fn new_follow_id(settings: &InstanceSettings) -> String {
    settings
        .url(&format!("/follows/{}", uuid::Uuid::now_v7()))
        .to_string()
}

/// Queues `event` (signed by `signer`) to one remote actor, keyed by the relationship.
async fn announce_to(
    db: &Db,
    txn: &DatabaseTransaction,
    signer: &Actor,
    key: &str,
    event: Event<'_>,
    to: &Actor,
) -> OpResult<()> {
    crate::federation::announce(
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

/// Before `member` ends everything with remote `other`: withdraw `member`'s follow
/// (`Undo{Follow}`) and end theirs (`Reject{Follow}`), as Mastodon understands it.
async fn tell_follows_ended(
    db: &Db,
    txn: &DatabaseTransaction,
    member: &Actor,
    other: &Actor,
) -> OpResult<()> {
    if other.is_local {
        return Ok(());
    }
    if let Some(mine) = find_follow(txn, member.id, other.id).await?
        && let Some(id) = mine.ap_id.as_deref()
    {
        let event = Event::UndoFollow {
            id,
            follower: member,
            followee: other,
        };
        announce_to(db, txn, member, id, event, other).await?;
    }
    if let Some(theirs) = find_follow(txn, other.id, member.id).await?
        && let Some(id) = theirs.ap_id.as_deref()
        && theirs.state != FollowState::Rejected.as_str()
    {
        let event = Event::RejectFollow {
            id,
            follower: other,
            followee: member,
        };
        announce_to(db, txn, member, id, event, other).await?;
    }
    Ok(())
}

pub(crate) async fn make_friends(
    txn: &DatabaseTransaction,
    a: ActorId,
    b: ActorId,
) -> OpResult<()> {
    let now = Utc::now();
    for (owner, friend) in [(a, b), (b, a)] {
        friendship::Entity::insert(friendship::ActiveModel {
            owner_id: Set(owner.0),
            friend_id: Set(friend.0),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([friendship::Column::OwnerId, friendship::Column::FriendId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Removes friendship, follows both ways and introductions between `a` and `b`.
pub(crate) async fn sever(txn: &DatabaseTransaction, a: ActorId, b: ActorId) -> OpResult<bool> {
    let follows = Condition::any()
        .add(
            Condition::all()
                .add(follow::Column::FollowerId.eq(a.0))
                .add(follow::Column::FolloweeId.eq(b.0)),
        )
        .add(
            Condition::all()
                .add(follow::Column::FollowerId.eq(b.0))
                .add(follow::Column::FolloweeId.eq(a.0)),
        );
    let follows_gone = follow::Entity::delete_many()
        .filter(follows)
        .exec(txn)
        .await?
        .rows_affected
        > 0;
    Ok(end_friendship(txn, a, b).await? | follows_gone)
}

/// Ends what a friendship between `a` and `b` consists of beyond the follows: the friendship
/// rows, the introductions between them and the request notifications. Returns whether they
/// were friends.
pub(crate) async fn end_friendship(
    txn: &DatabaseTransaction,
    a: ActorId,
    b: ActorId,
) -> OpResult<bool> {
    let pair = |ca: friendship::Column, cb: friendship::Column| {
        Condition::any()
            .add(Condition::all().add(ca.eq(a.0)).add(cb.eq(b.0)))
            .add(Condition::all().add(ca.eq(b.0)).add(cb.eq(a.0)))
    };
    let were_friends = friendship::Entity::delete_many()
        .filter(pair(
            friendship::Column::OwnerId,
            friendship::Column::FriendId,
        ))
        .exec(txn)
        .await?
        .rows_affected
        > 0;
    crate::friend_proof::forget_between(txn, a, b).await?;
    let intros = Condition::any()
        .add(
            Condition::all()
                .add(introduction::Column::WriterId.eq(a.0))
                .add(introduction::Column::SubjectId.eq(b.0)),
        )
        .add(
            Condition::all()
                .add(introduction::Column::WriterId.eq(b.0))
                .add(introduction::Column::SubjectId.eq(a.0)),
        );
    introduction::Entity::delete_many()
        .filter(intros)
        .exec(txn)
        .await?;
    // Requests and acceptances between them are history now.
    let notes = Condition::any()
        .add(
            Condition::all()
                .add(notification::Column::RecipientId.eq(a.0))
                .add(notification::Column::ActorId.eq(b.0)),
        )
        .add(
            Condition::all()
                .add(notification::Column::RecipientId.eq(b.0))
                .add(notification::Column::ActorId.eq(a.0)),
        );
    notification::Entity::delete_many()
        .filter(notes)
        .filter(notification::Column::Kind.is_in([
            NotificationKind::FriendRequest.as_str(),
            NotificationKind::FriendAccepted.as_str(),
        ]))
        .exec(txn)
        .await?;
    Ok(were_friends)
}

/// Removes comments, likes and notifications between `a` and `b` on each other's posts: after a
/// block neither should find traces of the other on their own things.
pub(crate) async fn forget_reactions(
    txn: &DatabaseTransaction,
    a: ActorId,
    b: ActorId,
) -> OpResult<()> {
    for (author, owner) in [(a, b), (b, a)] {
        let on_owner_posts = format!(
            "post_id IN (SELECT id FROM post WHERE author_id = {})",
            owner.0
        );
        comment::Entity::delete_many()
            .filter(comment::Column::AuthorId.eq(author.0))
            .filter(Expr::cust(on_owner_posts.clone()))
            .exec(txn)
            .await?;
        post_like::Entity::delete_many()
            .filter(post_like::Column::ActorId.eq(author.0))
            .filter(Expr::cust(on_owner_posts))
            .exec(txn)
            .await?;
        notification::Entity::delete_many()
            .filter(notification::Column::RecipientId.eq(owner.0))
            .filter(notification::Column::ActorId.eq(author.0))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// `requester` asks `target` (local or remote) to be friends (DESIGN §4 step 3).
pub async fn request_friendship(
    db: &Db,
    settings: &InstanceSettings,
    requester: &Actor,
    target: &Actor,
    message: Option<&str>,
) -> OpResult<RequestOutcome> {
    if requester.id == target.id {
        return Err(OpError::Conflict(
            "self_target",
            "you cannot befriend yourself".into(),
        ));
    }
    if let Some(m) = message {
        enishi_core::content::refuse_nul("message", m)?;
    }
    if let Some(m) = message
        && m.chars().count() > profile_limits::REQUEST_MESSAGE
    {
        return Err(ValidationError::new(
            "message",
            format!(
                "must be at most {} characters",
                profile_limits::REQUEST_MESSAGE
            ),
        )
        .into());
    }
    let txn = crate::begin_pair(db, requester.id, target.id).await?;
    if crate::relations::blocked_either_way(&txn, requester.id, target.id).await? {
        // Never reveal a block: the blocker simply cannot be found.
        return Err(OpError::not_found(enishi_core::unknown_account(
            &target.api_handle(),
        )));
    }
    if crate::relations::are_friends(&txn, requester.id, target.id).await? {
        return Err(OpError::Conflict(
            "already_friends",
            format!("you are already friends with {}", target.api_handle()),
        ));
    }
    check_capacity(&txn, requester, settings.limits.friends).await?;
    let theirs = find_follow(&txn, target.id, requester.id).await?;
    let they_asked = theirs
        .as_ref()
        .is_some_and(|f| f.state == FollowState::Pending.as_str());
    if they_asked && target.is_local {
        check_capacity(&txn, target, settings.limits.friends).await?;
        set_follow(
            &txn,
            target.id,
            requester.id,
            FollowState::Accepted,
            None,
            None,
        )
        .await?;
        set_follow(
            &txn,
            requester.id,
            target.id,
            FollowState::Accepted,
            message.map(str::to_owned),
            None,
        )
        .await?;
        make_friends(&txn, requester.id, target.id).await?;
        notifications::clear_friend_request(&txn, requester.id, target.id).await?;
        notifications::create(
            &txn,
            target.id,
            NotificationKind::FriendAccepted,
            requester.id,
            notifications::Refs::default(),
        )
        .await?;
        txn.commit().await?;
        return Ok(RequestOutcome::Friends);
    }
    let mine = find_follow(&txn, requester.id, target.id).await?;
    // A declined request still looks pending to its sender (declines are silent).
    if mine.as_ref().is_some_and(|f| {
        f.state == FollowState::Pending.as_str() || f.state == FollowState::Rejected.as_str()
    }) {
        return Err(OpError::Conflict(
            "already_requested",
            format!("your request to {} is still pending", target.api_handle()),
        ));
    }
    // An accepted one-way follow of a remote account stays accepted; the request is theirs to
    // answer by following back.
    let already_following = mine
        .as_ref()
        .is_some_and(|f| f.state == FollowState::Accepted.as_str());
    if !already_following {
        let ap_id = (!target.is_local).then(|| new_follow_id(settings));
        set_follow(
            &txn,
            requester.id,
            target.id,
            FollowState::Pending,
            message.map(str::to_owned),
            ap_id.clone(),
        )
        .await?;
        if let Some(id) = &ap_id {
            announce_to(
                db,
                &txn,
                requester,
                id,
                Event::Follow {
                    id,
                    follower: requester,
                    followee: target,
                },
                target,
            )
            .await?;
        }
    }
    if target.is_local {
        notifications::create(
            &txn,
            target.id,
            NotificationKind::FriendRequest,
            requester.id,
            notifications::Refs::default(),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(RequestOutcome::Requested)
}

/// Requests already answered by following back (waiting for the remote side) are not pending
/// for the member any more.
fn not_answered() -> Expr {
    Expr::cust(
        "NOT EXISTS (SELECT 1 FROM follow back WHERE back.follower_id = follow.followee_id \
         AND back.followee_id = follow.follower_id AND back.state IN ('pending', 'accepted'))",
    )
}

/// Begins the transaction that answers request `request_id`, locked on the pair it joins (the
/// request is read again inside, so an answer racing another change sees its result).
async fn begin_for_request(
    db: &Db,
    member: ActorId,
    request_id: i64,
) -> OpResult<DatabaseTransaction> {
    let requester = follow::Entity::find_by_id(request_id)
        .filter(follow::Column::FolloweeId.eq(member.0))
        .one(&db.conn)
        .await?
        .map_or(member, |f| ActorId(f.follower_id));
    Ok(crate::begin_pair(db, member, requester).await?)
}

async fn incoming_request(
    txn: &DatabaseTransaction,
    member: ActorId,
    request_id: i64,
) -> OpResult<follow::Model> {
    follow::Entity::find_by_id(request_id)
        .filter(follow::Column::FolloweeId.eq(member.0))
        .filter(follow::Column::State.eq(FollowState::Pending.as_str()))
        .filter(not_answered())
        .one(txn)
        .await?
        .ok_or_else(|| OpError::not_found(format!("no pending friend request {request_id}")))
}

/// `member` approves request `request_id` made to them (DESIGN §4 step 2).
pub async fn accept_request(
    db: &Db,
    settings: &InstanceSettings,
    member: &Actor,
    request_id: i64,
) -> OpResult<Actor> {
    let txn = begin_for_request(db, member.id, request_id).await?;
    let request = incoming_request(&txn, member.id, request_id).await?;
    let requester = actors::find_by_id(&txn, ActorId(request.follower_id))
        .await?
        .ok_or_else(|| OpError::not_found("the requester no longer exists"))?;
    check_capacity(&txn, member, settings.limits.friends).await?;
    check_capacity(&txn, &requester, settings.limits.friends).await?;
    if requester.is_local {
        set_follow(
            &txn,
            requester.id,
            member.id,
            FollowState::Accepted,
            None,
            None,
        )
        .await?;
        set_follow(
            &txn,
            member.id,
            requester.id,
            FollowState::Accepted,
            None,
            None,
        )
        .await?;
        make_friends(&txn, member.id, requester.id).await?;
        notifications::create(
            &txn,
            requester.id,
            NotificationKind::FriendAccepted,
            member.id,
            notifications::Refs::default(),
        )
        .await?;
    } else {
        // Follow back; the friendship forms when their server accepts (DESIGN §4 step 2).
        let id = new_follow_id(settings);
        set_follow(
            &txn,
            member.id,
            requester.id,
            FollowState::Pending,
            None,
            Some(id.clone()),
        )
        .await?;
        announce_to(
            db,
            &txn,
            member,
            &id,
            Event::Follow {
                id: &id,
                follower: member,
                followee: &requester,
            },
            &requester,
        )
        .await?;
    }
    notifications::clear_friend_request(&txn, member.id, requester.id).await?;
    txn.commit().await?;
    Ok(requester)
}

/// `member` declines request `request_id`. The requester is not told: to them the request
/// still looks pending, until they withdraw it.
pub async fn reject_request(db: &Db, member: &Actor, request_id: i64) -> OpResult<()> {
    let txn = begin_for_request(db, member.id, request_id).await?;
    let request = incoming_request(&txn, member.id, request_id).await?;
    let mut row: follow::ActiveModel = request.clone().into();
    row.state = Set(FollowState::Rejected.as_str().into());
    row.updated_at = Set(Utc::now());
    row.update(&txn).await?;
    // A remote server is told (Mastodon keeps a follow pending until it hears); a local
    // requester is not (declines are silent).
    if let (Some(id), Some(requester)) = (
        request.ap_id.as_deref(),
        actors::find_by_id(&txn, ActorId(request.follower_id)).await?,
    ) && !requester.is_local
    {
        announce_to(
            db,
            &txn,
            member,
            id,
            Event::RejectFollow {
                id,
                follower: &requester,
                followee: member,
            },
            &requester,
        )
        .await?;
    }
    notifications::clear_friend_request(&txn, member.id, ActorId(request.follower_id)).await?;
    txn.commit().await?;
    Ok(())
}

/// Ends a friendship, or cancels a one-way follow or a pending request, in both directions;
/// introductions between the two vanish.
pub async fn unfriend(db: &Db, member: &Actor, other: &Actor) -> OpResult<()> {
    let txn = crate::begin_pair(db, member.id, other.id).await?;
    tell_follows_ended(db, &txn, member, other).await?;
    if !sever(&txn, member.id, other.id).await? {
        return Err(OpError::not_found(format!(
            "you are not friends with {}",
            other.api_handle()
        )));
    }
    crate::friend_proof::tell_holders(db, &txn, member, other).await?;
    txn.commit().await?;
    Ok(())
}

/// `member` blocks `target`: any friendship, follow, request and introduction between them
/// ends, and from now on neither sees the other.
pub async fn block(
    db: &Db,
    settings: &InstanceSettings,
    member: &Actor,
    target: &Actor,
) -> OpResult<()> {
    if member.id == target.id {
        return Err(OpError::Conflict(
            "self_target",
            "you cannot block yourself".into(),
        ));
    }
    let txn = crate::begin_pair(db, member.id, target.id).await?;
    tell_follows_ended(db, &txn, member, target).await?;
    if sever(&txn, member.id, target.id).await? {
        crate::friend_proof::tell_holders(db, &txn, member, target).await?;
    }
    forget_reactions(&txn, member.id, target.id).await?;
    let ap_id = (!target.is_local && !crate::relations::blocks(&txn, member.id, target.id).await?)
        .then(|| {
            settings
                .url(&format!("/blocks/{}", uuid::Uuid::now_v7()))
                .to_string()
        });
    if let Some(id) = &ap_id {
        announce_to(
            db,
            &txn,
            member,
            id,
            Event::Block {
                id,
                blocker: member,
                blocked: target,
            },
            target,
        )
        .await?;
    }
    block::Entity::insert(block::ActiveModel {
        blocker_id: Set(member.id.0),
        blocked_id: Set(target.id.0),
        ap_id: Set(ap_id),
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

/// Lifts `member`'s block of `target`.
pub async fn unblock(db: &Db, member: &Actor, target: &Actor) -> OpResult<()> {
    let txn = crate::begin_pair(db, member.id, target.id).await?;
    let Some(row) = block::Entity::find_by_id((member.id.0, target.id.0))
        .one(&txn)
        .await?
    else {
        return Err(OpError::not_found(format!(
            "you are not blocking {}",
            target.api_handle()
        )));
    };
    if let Some(id) = row.ap_id.as_deref() {
        announce_to(
            db,
            &txn,
            member,
            id,
            Event::UndoBlock {
                id,
                blocker: member,
                blocked: target,
            },
            target,
        )
        .await?;
    }
    block::Entity::delete_by_id((member.id.0, target.id.0))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Actors `member` blocks, newest first.
pub async fn blocked_by(db: &Db, member: ActorId) -> OpResult<Vec<Actor>> {
    let rows = block::Entity::find()
        .filter(block::Column::BlockerId.eq(member.0))
        .order_by_desc(block::Column::CreatedAt)
        .all(&db.conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.blocked_id).collect();
    actors::by_ids_in_order(&db.conn, &ids).await
}

/// Pending requests to (`Incoming`) or from (`Outgoing`) `member`, newest first. Requests
/// involving someone blocked either way are left out.
pub async fn requests(
    db: &Db,
    member: ActorId,
    direction: Direction,
) -> OpResult<Vec<FriendRequest>> {
    let (mine, theirs) = match direction {
        Direction::Incoming => (follow::Column::FolloweeId, "follower_id"),
        Direction::Outgoing => (follow::Column::FollowerId, "followee_id"),
    };
    let mut q = follow::Entity::find().filter(mine.eq(member.0));
    q = match direction {
        Direction::Incoming => q
            .filter(follow::Column::State.eq(FollowState::Pending.as_str()))
            .filter(not_answered()),
        // Declining is silent (mixi): to the requester a declined request still looks pending.
        Direction::Outgoing => q.filter(follow::Column::State.is_in([
            FollowState::Pending.as_str(),
            FollowState::Rejected.as_str(),
        ])),
    };
    let rows = q
        .filter(Expr::cust(format!(
            "NOT EXISTS (SELECT 1 FROM block b WHERE (b.blocker_id = {me} AND b.blocked_id = follow.{theirs}) \
             OR (b.blocked_id = {me} AND b.blocker_id = follow.{theirs}))",
            me = member.0
        )))
        .order_by_desc(follow::Column::Id)
        .all(&db.conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let from = actors::find_by_id(&db.conn, ActorId(row.follower_id)).await?;
        let to = actors::find_by_id(&db.conn, ActorId(row.followee_id)).await?;
        if let (Some(from), Some(to)) = (from, to) {
            out.push(FriendRequest {
                id: row.id,
                from,
                to,
                message: row.message,
                created_at: row.created_at,
            });
        }
    }
    Ok(out)
}

/// Friends of `owner`, in actor id order after `after` (the cursor), as far as
/// `viewer` may see each of them (blocks hide people). The section's own audience is checked
/// by the caller with the pure rule.
pub async fn friends(
    db: &Db,
    viewer: &enishi_core::Viewer,
    owner: ActorId,
    after: Option<i64>,
    limit: u64,
) -> OpResult<Vec<Actor>> {
    let mut q = actor::Entity::find()
        .filter(Expr::cust(format!(
            "actor.id IN (SELECT friend_id FROM friendship WHERE owner_id = {})",
            owner.0
        )))
        .filter(crate::visibility::listed_actor_visible("actor.id", viewer));
    if let Some(after) = after {
        q = q.filter(actor::Column::Id.gt(after));
    }
    q.order_by_asc(actor::Column::Id)
        .limit(limit)
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|r| actors::to_domain(r).map_err(OpError::from))
        .collect()
}

/// Accounts `owner` follows (accepted), friends included, as far as `viewer` may see each.
pub async fn following(
    db: &Db,
    viewer: &enishi_core::Viewer,
    owner: ActorId,
    limit: u64,
) -> OpResult<Vec<Actor>> {
    actor::Entity::find()
        .filter(Expr::cust(format!(
            "actor.id IN (SELECT followee_id FROM follow WHERE follower_id = {} AND state = '{}')",
            owner.0,
            FollowState::Accepted.as_str()
        )))
        .filter(crate::visibility::listed_actor_visible("actor.id", viewer))
        .order_by_asc(actor::Column::Id)
        .limit(limit)
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|r| actors::to_domain(r).map_err(OpError::from))
        .collect()
}

/// How `viewer` stands with `other`.
pub async fn relationship(db: &Db, viewer: ActorId, other: ActorId) -> OpResult<Relationship> {
    let mine = crate::relations::follow_state(&db.conn, viewer, other).await?;
    let theirs = crate::relations::follow_state(&db.conn, other, viewer).await?;
    Ok(Relationship {
        friend: crate::relations::are_friends(&db.conn, viewer, other).await?,
        following: mine == Some(FollowState::Accepted),
        followed_by: theirs == Some(FollowState::Accepted),
        requested: matches!(mine, Some(FollowState::Pending | FollowState::Rejected)),
        requested_by: theirs == Some(FollowState::Pending),
        blocking: crate::relations::blocks(&db.conn, viewer, other).await?,
    })
}

/// How many friends `who` has, and how many accounts they follow (accepted follows).
pub async fn counts(db: &Db, who: ActorId) -> OpResult<(u64, u64)> {
    let friends = friend_count(&db.conn, who).await?;
    let following = crate::relations::followed_count(&db.conn, who).await?;
    Ok((friends, following))
}

/// The author's friends on other servers (the recipients of what they share with friends).
pub async fn remote_friends(conn: &impl ConnectionTrait, who: ActorId) -> OpResult<Vec<Actor>> {
    actor::Entity::find()
        .filter(actor::Column::IsLocal.eq(false))
        .filter(Expr::cust(format!(
            "actor.id IN (SELECT friend_id FROM friendship WHERE owner_id = {})",
            who.0
        )))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| actors::to_domain(r).map_err(OpError::from))
        .collect()
}
