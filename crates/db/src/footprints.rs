//! Footprints (足あと): which logged-in members visited a member's profile and diaries in the
//! last seven days. Local only, never federated, and shown to nobody but the owner.

use crate::entity::{account, footprint, post};
use crate::error::OpResult;
use crate::{Db, actors};
use chrono::{DateTime, Duration, Utc};
use enishi_core::{Actor, ActorId, PostId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

/// How long footprints are shown.
pub const WINDOW_DAYS: i64 = 7;

/// What was visited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The profile page.
    Profile,
    /// A diary (by database id and public id).
    Diary(PostId, String),
}

/// One visitor's latest visit to one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    /// Who visited.
    pub visitor: Actor,
    /// What they visited.
    pub target: Target,
    /// When, most recently.
    pub visited_at: DateTime<Utc>,
}

async fn enabled(conn: &impl ConnectionTrait, actor: ActorId) -> Result<bool, DbErr> {
    Ok(account::Entity::find()
        .filter(account::Column::ActorId.eq(actor.0))
        .one(conn)
        .await?
        .is_some_and(|a| a.footprints_enabled && a.suspended_at.is_none()))
}

/// Records that `visitor` (a logged-in local member) viewed `target` of `owner`, unless either
/// of them has turned footprints off or it is their own page. Best effort: a failure is
/// logged and never fails the read that caused it.
pub async fn record(db: &Db, visitor: ActorId, owner: ActorId, target: Target) -> OpResult<()> {
    if let Err(e) = try_record(db, visitor, owner, target).await {
        tracing::warn!(error = %e, "could not record a footprint");
    }
    Ok(())
}

async fn try_record(db: &Db, visitor: ActorId, owner: ActorId, target: Target) -> OpResult<()> {
    if visitor == owner || !enabled(&db.conn, visitor).await? || !enabled(&db.conn, owner).await? {
        return Ok(());
    }
    let (key, post_id) = match &target {
        Target::Profile => ("profile".to_owned(), None),
        Target::Diary(id, _) => (format!("diary:{}", id.0), Some(id.0)),
    };
    footprint::Entity::insert(footprint::ActiveModel {
        owner_id: Set(owner.0),
        visitor_id: Set(visitor.0),
        target: Set(key),
        post_id: Set(post_id),
        visited_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            footprint::Column::OwnerId,
            footprint::Column::VisitorId,
            footprint::Column::Target,
        ])
        .update_column(footprint::Column::VisitedAt)
        .to_owned(),
    )
    .exec_without_returning(&db.conn)
    .await?;
    Ok(())
}

/// The owner's footprints of the last seven days, newest first. Visitors blocked either way are
/// left out.
pub async fn list(db: &Db, owner: ActorId) -> OpResult<Vec<Footprint>> {
    if !enabled(&db.conn, owner).await? {
        return Ok(Vec::new());
    }
    let since = Utc::now() - Duration::days(WINDOW_DAYS);
    let viewer = enishi_core::Viewer::member(owner);
    let rows = footprint::Entity::find()
        .filter(footprint::Column::OwnerId.eq(owner.0))
        .filter(footprint::Column::VisitedAt.gte(since))
        .filter(crate::visibility::listed_actor_visible(
            "footprint.visitor_id",
            &viewer,
        ))
        .order_by_desc(footprint::Column::VisitedAt)
        .all(&db.conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.visitor_id).collect();
    let visitors = actors::by_ids(&db.conn, &ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        // A visitor deleted since the first read left no footprint.
        let Some(visitor) = visitors.get(&row.visitor_id).cloned() else {
            continue;
        };
        let target = match row.post_id {
            None => Target::Profile,
            Some(id) => match post::Entity::find_by_id(id).one(&db.conn).await? {
                Some(p) => Target::Diary(PostId(id), p.public_id),
                None => continue,
            },
        };
        out.push(Footprint {
            visitor,
            target,
            visited_at: row.visited_at,
        });
    }
    Ok(out)
}
