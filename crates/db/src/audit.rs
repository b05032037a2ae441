//! The audit log (issue 17): every moderation action, who took it, on what, when and why.
//! Written in the same transaction as the action, so that no action goes unrecorded.

use crate::Db;
use crate::entity::audit_entry;
use crate::error::OpResult;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// Who acted when an admin command (rather than a member on a page) did it.
pub const COMMAND_LINE: &str = "command line";

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Id (also the pagination cursor).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: a member's username or [`COMMAND_LINE`].
    pub moderator: String,
    /// What, such as `domain_block`.
    pub action: String,
    /// Of what: a domain, a handle, a report.
    pub target: String,
    /// Why, and what came of it.
    pub reason: Option<String>,
}

/// Records an action (inside the action's own transaction).
pub async fn record(
    conn: &impl ConnectionTrait,
    moderator: &str,
    action: &str,
    target: &str,
    reason: Option<&str>,
) -> Result<(), DbErr> {
    audit_entry::ActiveModel {
        created_at: Set(Utc::now()),
        moderator: Set(moderator.to_owned()),
        action: Set(action.to_owned()),
        target: Set(target.to_owned()),
        reason: Set(reason.map(str::to_owned)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The newest `limit` entries, older than `before` when given, newest first.
pub async fn list(db: &Db, before: Option<i64>, limit: u64) -> OpResult<Vec<AuditEntry>> {
    let mut q = audit_entry::Entity::find();
    if let Some(before) = before {
        q = q.filter(audit_entry::Column::Id.lt(before));
    }
    Ok(q.order_by_desc(audit_entry::Column::Id)
        .limit(limit)
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.created_at,
            moderator: r.moderator,
            action: r.action,
            target: r.target,
            reason: r.reason,
        })
        .collect())
}
