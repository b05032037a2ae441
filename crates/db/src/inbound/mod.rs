//! What other servers tell us: the database side of the inbox. The ActivityPub layer verifies
//! each activity (signature, actor, shape) and then calls one function here per change.

pub(crate) mod batch;
pub mod boosts;
pub mod content;
pub mod introductions;
pub mod social;

use crate::Db;
use crate::entity::inbound_activity;
use crate::hosts_well::HostsWell;
use chrono::{DateTime, Utc};
use enishi_core::ActorId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};
use std::sync::Mutex;

/// The message of the error that refuses a write transaction for an activity handled before.
pub const DUPLICATE: &str = "inbound activity already handled";

/// One inbound activity being handled: the record that it was handled goes into the first
/// write transaction its handling begins ([`crate::begin_write`]), so the change and the
/// record commit or roll back together, and an insert that finds the record already there
/// decides that the delivery is a duplicate (two deliveries of it at once, or a redelivery
/// after a crash). Only handlers that make their change in one transaction are given a
/// claim; the others are recorded after they finish ([`Claim::record`]). For the first kind,
/// a transaction that rolls back (say, a post nobody here follows) takes the record with it,
/// which is right: nothing changed, so a redelivery has nothing to repeat.
#[derive(Debug)]
pub struct Claim {
    ap_id: String,
    actor: ActorId,
    kind: String,
    /// The sender's server: talking to us means it is up, so its delivery rest ends in the
    /// same transaction (DESIGN §6).
    host: String,
    state: Mutex<ClaimState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClaimState {
    Open,
    Taken,
    Duplicate,
}

impl Claim {
    /// A claim on the activity `ap_id` of `kind`, sent by `actor` from `host`.
    pub fn new(ap_id: &str, actor: ActorId, kind: &str, host: &str) -> Claim {
        Claim {
            ap_id: ap_id.to_owned(),
            actor,
            kind: kind.to_owned(),
            host: host.to_owned(),
            state: Mutex::new(ClaimState::Open),
        }
    }

    fn state(&self) -> ClaimState {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, state: ClaimState) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
    }

    /// Forgets what a transaction that rolled back found: the record it took, or the record
    /// of another delivery of the same activity in the same (rolled back) transaction that made
    /// this one look like a duplicate. The next transaction takes it again.
    pub(crate) fn reopen(&self) {
        self.set(ClaimState::Open);
    }

    /// The sender's server.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// Whether the activity turned out to be handled before.
    pub fn is_duplicate(&self) -> bool {
        self.state() == ClaimState::Duplicate
    }

    /// Whether a write transaction has recorded the activity (or found it recorded).
    pub fn is_taken(&self) -> bool {
        self.state() != ClaimState::Open
    }

    /// Records the activity in `txn` unless already done in this handling.
    /// The sender's host is recorded well too, unless `hosts_well` says that was done a moment
    /// ago.
    pub(crate) async fn take(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        hosts_well: &HostsWell,
    ) -> Result<(), DbErr> {
        match self.state() {
            ClaimState::Taken => return Ok(()),
            ClaimState::Duplicate => return Err(DbErr::Custom(DUPLICATE.into())),
            ClaimState::Open => {}
        }
        let inserted = inbound_activity::Entity::insert(inbound_activity::ActiveModel {
            ap_id: Set(self.ap_id.clone()),
            actor_id: Set(self.actor.0),
            kind: Set(self.kind.clone()),
            received_at: Set(Utc::now()),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(inbound_activity::Column::ApId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        if inserted == 0 {
            self.set(ClaimState::Duplicate);
            return Err(DbErr::Custom(DUPLICATE.into()));
        }
        self.set(ClaimState::Taken);
        if hosts_well.fresh(&self.host) {
            return Ok(());
        }
        crate::outbox::host_ok(txn, &self.host).await?;
        // Marked before the commit: should it roll back, the host's rest (if any) ends at its
        // next activity after `FRESH_FOR` instead of this one.
        hosts_well.mark(&self.host);
        Ok(())
    }

    /// Records the activity in a transaction of its own, for a handler that made its change
    /// in several steps (and so was given no claim). Returns whether it was new.
    pub async fn record(&self, db: &Db) -> Result<bool, DbErr> {
        match self.state() {
            ClaimState::Duplicate => return Ok(false),
            ClaimState::Taken => return Ok(true),
            ClaimState::Open => {}
        }
        let txn = crate::begin_write(&db.without_claim()).await?;
        match self.take(&txn, &db.hosts_well).await {
            Ok(()) => {
                txn.commit().await?;
                Ok(true)
            }
            Err(_) if self.is_duplicate() => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Whether the activity `ap_id` was already handled (the same activity delivered twice changes
/// nothing): an indexed read, before anything else is done with a delivery.
pub async fn seen(db: &Db, ap_id: &str) -> Result<bool, DbErr> {
    Ok(inbound_activity::Entity::find()
        .filter(inbound_activity::Column::ApId.eq(ap_id))
        .one(&db.conn)
        .await?
        .is_some())
}

/// Forgets handled activities older than `before` (replays that old fail the Date check).
pub async fn forget_before(db: &Db, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(inbound_activity::Entity::delete_many()
        .filter(inbound_activity::Column::ReceivedAt.lt(before))
        .exec(&db.conn)
        .await?
        .rows_affected)
}
