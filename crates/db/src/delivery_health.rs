//! Federation health per remote host, for the admin page: what the outbox holds for each host
//! (pending, retrying, dead-lettered deliveries and how long the oldest due one has waited)
//! together with the host's own record (resting after repeated failures, or well).

use crate::Db;
use crate::entity::delivery_host;
use crate::outbox::state;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, Statement, Value};
use std::collections::BTreeMap;

/// How deliveries to one host are faring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostState {
    /// Nothing has failed lately.
    Ok,
    /// Some deliveries failed and wait for another attempt.
    Retrying,
    /// Failed so often that deliveries wait until the next probe.
    Resting,
}

/// One remote host as the admin page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostHealth {
    /// `host[:port]`.
    pub host: String,
    /// How deliveries to it are faring.
    pub state: HostState,
    /// Deliveries not yet settled (its queue depth).
    pub pending: u64,
    /// Of those, waiting after a failed attempt.
    pub retrying: u64,
    /// Deliveries given up on (dead letters), which an admin may requeue.
    pub dead: u64,
    /// Seconds the oldest due delivery to it has waited (0 when none is due).
    pub oldest_due_secs: u64,
    /// Failures in a row.
    pub failures: i32,
    /// When a resting host is tried again.
    pub next_probe_at: Option<DateTime<Utc>>,
    /// The last error, when it has failed.
    pub last_error: Option<String>,
}

/// Every host with something pending or dead-lettered, or with failures on record: resting
/// hosts first, then those with dead letters, then by queue depth; hosts whose deliveries
/// were all made are left out.
pub async fn hosts(db: &Db) -> Result<Vec<HostHealth>, DbErr> {
    let now = Utc::now();
    let backend = db.conn.get_database_backend();
    // One grouped pass over the unsettled rows (done rows are skipped by the state index),
    // rather than loading a backlog that can run into thousands.
    let sql = format!(
        "SELECT host,
           SUM(CASE WHEN state = '{p}' THEN 1 ELSE 0 END) AS pending,
           SUM(CASE WHEN state = '{p}' AND attempts > 0 THEN 1 ELSE 0 END) AS retrying,
           SUM(CASE WHEN state = '{d}' THEN 1 ELSE 0 END) AS dead,
           MIN(CASE WHEN state = '{p}' AND next_attempt_at <= $1 THEN next_attempt_at END) AS oldest_due
         FROM delivery WHERE state IN ('{p}', '{d}') GROUP BY host",
        p = state::PENDING,
        d = state::DEAD,
    );
    let rows = db
        .conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(now)],
        ))
        .await?;
    let mut out: BTreeMap<String, HostHealth> = BTreeMap::new();
    for row in rows {
        let host: String = row.try_get("", "host")?;
        let count = |col: &str| -> Result<u64, DbErr> {
            Ok(u64::try_from(row.try_get::<Option<i64>>("", col)?.unwrap_or(0)).unwrap_or(0))
        };
        // SQLite hands back MIN() of a timestamp column as text; PostgreSQL as a timestamp.
        let oldest: Option<DateTime<Utc>> =
            match row.try_get::<Option<DateTime<Utc>>>("", "oldest_due") {
                Ok(t) => t,
                Err(_) => row
                    .try_get::<Option<String>>("", "oldest_due")?
                    .and_then(|s| parse_time(&s)),
            };
        out.insert(
            host.clone(),
            HostHealth {
                host,
                state: HostState::Ok,
                pending: count("pending")?,
                retrying: count("retrying")?,
                dead: count("dead")?,
                oldest_due_secs: oldest
                    .map_or(0, |t| u64::try_from((now - t).num_seconds()).unwrap_or(0)),
                failures: 0,
                next_probe_at: None,
                last_error: None,
            },
        );
    }
    let troubled = delivery_host::Entity::find()
        .filter(
            Expr::col(delivery_host::Column::Available)
                .eq(false)
                .or(Expr::col(delivery_host::Column::ConsecutiveFailures).gt(0)),
        )
        .all(&db.conn)
        .await?;
    for h in troubled {
        let entry = out.entry(h.host.clone()).or_insert_with(|| HostHealth {
            host: h.host.clone(),
            state: HostState::Ok,
            pending: 0,
            retrying: 0,
            dead: 0,
            oldest_due_secs: 0,
            failures: 0,
            next_probe_at: None,
            last_error: None,
        });
        entry.failures = h.consecutive_failures;
        entry.next_probe_at = h.next_probe_at.filter(|_| !h.available);
        entry.last_error = h.last_error;
        if !h.available {
            entry.state = HostState::Resting;
        }
    }
    let mut list: Vec<HostHealth> = out
        .into_values()
        .map(|mut h| {
            if h.state == HostState::Ok && (h.retrying > 0 || h.failures > 0) {
                h.state = HostState::Retrying;
            }
            h
        })
        .collect();
    list.sort_by(|a, b| {
        (b.state == HostState::Resting)
            .cmp(&(a.state == HostState::Resting))
            .then(b.dead.cmp(&a.dead))
            .then(b.pending.cmp(&a.pending))
            .then(a.host.cmp(&b.host))
    });
    Ok(list)
}

/// A timestamp as SQLite stores it (RFC 3339, or with a space between date and time).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z"))
        .map(|t| t.with_timezone(&Utc))
        .ok()
}

/// Seconds the oldest delivery that a worker could take right now has waited (0 when none):
/// due, not leased, its host not resting after failures, and not held behind an earlier
/// delivery of the same object to the same inbox. Unlike the queue's `oldest_due_secs`, a
/// dead server that keeps being sent activities does not raise it; only workers that are not
/// working (or far behind) do.
pub async fn oldest_takeable_secs(db: &Db) -> Result<u64, DbErr> {
    let now = Utc::now();
    let backend = db.conn.get_database_backend();
    let sql = format!(
        "SELECT d.next_attempt_at FROM delivery d
         WHERE d.state = '{p}' AND d.next_attempt_at <= $1
           AND (d.locked_until IS NULL OR d.locked_until < $1)
           AND NOT EXISTS (SELECT 1 FROM delivery e WHERE e.inbox_url = d.inbox_url
                           AND e.object_key = d.object_key AND e.id < d.id AND e.state = '{p}')
           AND NOT EXISTS (SELECT 1 FROM delivery_host h WHERE h.host = d.host
                           AND h.available = FALSE AND h.next_probe_at > $1)
         ORDER BY d.next_attempt_at LIMIT 1",
        p = state::PENDING,
    );
    let row = db
        .conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(now)],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(0);
    };
    let oldest: DateTime<Utc> = row.try_get("", "next_attempt_at")?;
    Ok(u64::try_from((now - oldest).num_seconds()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_times_parse() {
        for s in [
            "2026-12-03 11:37:49.123456+00:00",
            "2026-12-03T11:37:49.123456+00:00",
            "2026-12-03 11:37:49+00:00",
        ] {
            assert!(super::parse_time(s).is_some(), "{s}");
        }
    }
}
