//! Account moves (issue 17; FEP-7628, as Mastodon does them). A member lists their other
//! accounts (`alsoKnownAs`) so that an account elsewhere may move here, and may move away
//! themselves: a `Move` goes to their followers' servers and their actor points to the new
//! account (`movedTo`). A friend elsewhere who moves is remembered, so that when the new
//! account asks for the member's friendship it is granted at once and the old one ends.

use crate::entity::{actor, follow, friendship};
use crate::error::{OpError, OpResult};
use crate::federation::{self, Event};
use crate::{Db, actors};
use enishi_core::{Actor, ActorId, FollowState, ValidationError};
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};
use url::Url;

/// Most aliases a member may list.
pub const MAX_ALIASES: usize = 5;

/// An actor's other ids and where it moved, as kept here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoveState {
    /// `alsoKnownAs`.
    pub also_known_as: Vec<Url>,
    /// `movedTo`.
    pub moved_to: Option<Url>,
}

/// The aliases and move of actor `id`.
pub async fn state(db: &Db, id: ActorId) -> Result<MoveState, DbErr> {
    let Some(row) = actor::Entity::find_by_id(id.0).one(&db.conn).await? else {
        return Ok(MoveState::default());
    };
    let also_known_as = row
        .also_known_as
        .as_deref()
        .and_then(|j| serde_json::from_str::<Vec<String>>(j).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|u| Url::parse(u).ok())
        .collect();
    Ok(MoveState {
        also_known_as,
        moved_to: row.moved_to.as_deref().and_then(|u| Url::parse(u).ok()),
    })
}

/// Sets a member's aliases (their accounts elsewhere, which may then move here).
pub async fn set_aliases(db: &Db, member: &Actor, aliases: &[Url]) -> OpResult<()> {
    if aliases.len() > MAX_ALIASES {
        return Err(OpError::Invalid(ValidationError::new(
            "also_known_as",
            format!("at most {MAX_ALIASES} accounts"),
        )));
    }
    if aliases.contains(&member.ap_id) {
        return Err(OpError::Invalid(ValidationError::new(
            "also_known_as",
            "an alias names another account than this one",
        )));
    }
    let list: Vec<&str> = aliases.iter().map(Url::as_str).collect();
    let row = actor::Entity::find_by_id(member.id.0)
        .one(&db.conn)
        .await?
        .ok_or_else(|| OpError::not_found("no such member"))?;
    let mut active: actor::ActiveModel = row.into();
    active.also_known_as =
        Set((!list.is_empty())
            .then(|| serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())));
    active.update(&db.conn).await?;
    Ok(())
}

/// Remembers that remote `old` moved to `new` (after the `Move` was verified).
pub async fn record_remote_move(db: &Db, old: &Actor, new: &Url) -> Result<(), DbErr> {
    if let Some(row) = actor::Entity::find_by_id(old.id.0).one(&db.conn).await? {
        let mut active: actor::ActiveModel = row.into();
        active.moved_to = Set(Some(new.to_string()));
        active.update(&db.conn).await?;
    }
    Ok(())
}

/// The friend of `member` that moved to `new`, if any: a friendship to carry over.
pub async fn moved_friend(db: &Db, member: ActorId, new: &Actor) -> Result<Option<Actor>, DbErr> {
    let friends: Vec<i64> = friendship::Entity::find()
        .filter(friendship::Column::OwnerId.eq(member.0))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|f| f.friend_id)
        .collect();
    let old = actor::Entity::find()
        .filter(actor::Column::Id.is_in(friends))
        .filter(actor::Column::MovedTo.eq(new.ap_id.as_str()))
        .one(&db.conn)
        .await?;
    old.map(actors::to_domain).transpose()
}

/// `member` moves to `target` (whose `alsoKnownAs` the caller has checked names them): their
/// actor points there from now on, and a `Move` goes to every server of their followers.
pub async fn move_away(db: &Db, member: &Actor, target: &Actor) -> OpResult<()> {
    if target.id == member.id || target.is_local {
        return Err(OpError::Invalid(ValidationError::new(
            "target",
            "the new account must be on another server",
        )));
    }
    let follower_ids: Vec<i64> = follow::Entity::find()
        .filter(follow::Column::FolloweeId.eq(member.id.0))
        .filter(follow::Column::State.eq(FollowState::Accepted.as_str()))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|f| f.follower_id)
        .collect();
    let followers: Vec<Actor> = actor::Entity::find()
        .filter(actor::Column::Id.is_in(follower_ids))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(actors::to_domain)
        .collect::<Result<_, _>>()?;
    let txn = crate::begin_write(db).await?;
    let row = actor::Entity::find_by_id(member.id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| OpError::not_found("no such member"))?;
    let mut active: actor::ActiveModel = row.into();
    active.moved_to = Set(Some(target.ap_id.to_string()));
    active.update(&txn).await?;
    let key = format!("{}#move", member.ap_id);
    federation::announce(
        &txn,
        db.herald(),
        member,
        &key,
        Event::Move {
            actor: member,
            target,
        },
        &followers,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
