//! What other servers tell us: the database side of the inbox. The ActivityPub layer verifies
//! each activity (signature, actor, shape) and then calls one function here per change.

pub mod boosts;
pub mod content;
pub mod introductions;
pub mod social;

use crate::Db;
use crate::entity::inbound_activity;
use chrono::{DateTime, Utc};
use enishi_core::ActorId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};

/// Whether the activity `ap_id` was already handled (the same activity delivered twice changes
/// nothing).
pub async fn seen(db: &Db, ap_id: &str) -> Result<bool, DbErr> {
    Ok(inbound_activity::Entity::find()
        .filter(inbound_activity::Column::ApId.eq(ap_id))
        .one(&db.conn)
        .await?
        .is_some())
}

/// Records that the activity `ap_id` of `kind` from `actor` was handled.
pub async fn remember(db: &Db, ap_id: &str, actor: ActorId, kind: &str) -> Result<(), DbErr> {
    inbound_activity::Entity::insert(inbound_activity::ActiveModel {
        ap_id: Set(ap_id.to_owned()),
        actor_id: Set(actor.0),
        kind: Set(kind.to_owned()),
        received_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(inbound_activity::Column::ApId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&db.conn)
    .await?;
    Ok(())
}

/// Forgets handled activities older than `before` (replays that old fail the Date check).
pub async fn forget_before(db: &Db, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(inbound_activity::Entity::delete_many()
        .filter(inbound_activity::Column::ReceivedAt.lt(before))
        .exec(&db.conn)
        .await?
        .rows_affected)
}
