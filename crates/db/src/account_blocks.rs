//! Single remote accounts suspended or limited (issue 17), as servers are by a domain block:
//! `reject` (suspended) refuses the account's deliveries and fetches, removes what is kept of
//! it and ends our members' friendships with it, telling them; `limit` lets it reach only
//! members who are already its friends. Kept on the actor row, in force in every process
//! within a second (the server blocks' generation mark), recorded in the audit log.

use crate::entity::actor;
use crate::error::{OpError, OpResult};
use crate::{Db, audit, domain_blocks};
use enishi_core::Actor;
use enishi_core::moderation::Severity;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

/// What moderating an account did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moderated {
    /// Friendships of members here that ended (suspension only).
    pub friendships_ended: u64,
}

/// Suspends (`Reject`) or limits `account`, or lifts either (`None`), as `moderator`. Only
/// accounts of other servers: members here are suspended as members.
pub async fn moderate(
    db: &Db,
    account: &Actor,
    severity: Option<Severity>,
    moderator: &str,
    reason: Option<&str>,
) -> OpResult<Moderated> {
    if account.is_local {
        return Err(OpError::Conflict(
            "not_remote",
            "a member of this instance is suspended as a member (enishi user suspend)".into(),
        ));
    }
    let txn = db.conn.begin().await?;
    let row = actor::Entity::find_by_id(account.id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| OpError::not_found("no such account"))?;
    let mut active: actor::ActiveModel = row.clone().into();
    active.moderation = Set(severity.map(|s| s.as_str().to_owned()));
    active.update(&txn).await?;
    let mut out = Moderated::default();
    if severity == Some(Severity::Reject) {
        let (ended, _) = domain_blocks::clear_accounts(db, &txn, vec![row]).await?;
        out.friendships_ended = ended;
    }
    domain_blocks::bump_generation(&txn).await?;
    let action = match severity {
        Some(Severity::Reject) => "account_suspend",
        Some(Severity::Limit) => "account_limit",
        None => "account_lift",
    };
    audit::record(&txn, moderator, action, &account.handle(), reason).await?;
    txn.commit().await?;
    Ok(out)
}

/// Every remote account suspended or limited, newest change last.
pub async fn list(db: &Db) -> OpResult<Vec<(Actor, Severity)>> {
    let rows = actor::Entity::find()
        .filter(actor::Column::Moderation.is_not_null())
        .order_by_asc(actor::Column::Id)
        .all(&db.conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let severity = r
            .moderation
            .as_deref()
            .and_then(|m| m.parse().ok())
            .unwrap_or(Severity::Reject);
        out.push((crate::actors::to_domain(r)?, severity));
    }
    Ok(out)
}
