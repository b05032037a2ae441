//! The durable outbox (DESIGN §6): activities and their deliveries live in the database, written
//! in the same transaction as the change that caused them, and workers claim, send and settle
//! them. Nothing is lost on a crash: a claimed row whose worker died becomes due again when its
//! lease runs out.

use crate::Db;
use crate::entity::{delivery, delivery_host, outbox_activity};
use chrono::{DateTime, Duration, Utc};
use enishi_core::{Actor, ActorId};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set, Statement, Value,
};
use std::collections::BTreeSet;
use url::Url;

/// Delivery states.
pub mod state {
    /// Waiting to be sent (or retried).
    pub const PENDING: &str = "pending";
    /// Accepted by the inbox.
    pub const DONE: &str = "done";
    /// Given up on; the reason is kept.
    pub const DEAD: &str = "dead";
}

/// An activity to send.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// The activity's id.
    pub ap_id: &'a str,
    /// The local actor who signs it.
    pub actor: ActorId,
    /// What it is about (the object's id): activities about one object reach each inbox in
    /// the order they were made.
    pub object_key: &'a str,
    /// The JSON body, exactly as it will be sent.
    pub body: &'a str,
}

/// An activity built for a change, to be queued with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// The activity's id.
    pub id: String,
    /// The JSON body.
    pub body: String,
}

/// The inboxes to deliver to for `recipients`: each actor's shared inbox where it has one,
/// otherwise its own, each inbox once, local actors skipped.
pub fn inboxes_for<'a>(recipients: impl IntoIterator<Item = &'a Actor>) -> Vec<Url> {
    let mut seen = BTreeSet::new();
    recipients
        .into_iter()
        .filter(|a| !a.is_local)
        .map(|a| a.shared_inbox.clone().unwrap_or_else(|| a.inbox.clone()))
        .filter(|u| seen.insert(u.to_string()))
        .collect()
}

fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => String::new(),
    }
}

/// Writes an activity and one delivery per inbox (duplicates dropped). Call it inside the
/// transaction of the change it announces. Returns the activity's row id.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    out: Outgoing<'_>,
    inboxes: &[Url],
) -> Result<i64, DbErr> {
    let now = Utc::now();
    let activity = outbox_activity::ActiveModel {
        ap_id: Set(out.ap_id.to_owned()),
        actor_id: Set(out.actor.0),
        object_key: Set(out.object_key.to_owned()),
        body: Set(out.body.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let mut seen = BTreeSet::new();
    let rows: Vec<delivery::ActiveModel> = inboxes
        .iter()
        .filter(|u| seen.insert(u.as_str().to_owned()))
        .map(|inbox| delivery::ActiveModel {
            activity_id: Set(activity.id),
            inbox_url: Set(inbox.to_string()),
            host: Set(host_of(inbox)),
            object_key: Set(out.object_key.to_owned()),
            state: Set(state::PENDING.into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            last_status: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        delivery::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(activity.id)
}

/// The inboxes that have accepted an activity about `object_key` (while its deliveries are
/// kept): who holds a copy of the object, whoever they serve today.
pub async fn inboxes_reached(
    conn: &impl ConnectionTrait,
    object_key: &str,
) -> Result<Vec<Url>, DbErr> {
    let rows = delivery::Entity::find()
        .filter(delivery::Column::ObjectKey.eq(object_key))
        .filter(delivery::Column::State.eq(state::DONE))
        .all(conn)
        .await?;
    let mut seen = BTreeSet::new();
    Ok(rows
        .into_iter()
        .filter(|d| seen.insert(d.inbox_url.clone()))
        .filter_map(|d| Url::parse(&d.inbox_url).ok())
        .collect())
}

/// Whether an activity about `object_key` was ever queued here (its deliveries may be gone).
pub async fn has_activity_about(
    conn: &impl ConnectionTrait,
    object_key: &str,
) -> Result<bool, DbErr> {
    Ok(outbox_activity::Entity::find()
        .filter(outbox_activity::Column::ObjectKey.eq(object_key))
        .one(conn)
        .await?
        .is_some())
}

/// The body of an activity sent from here, by its id.
pub async fn activity_body(db: &Db, ap_id: &str) -> Result<Option<String>, DbErr> {
    Ok(outbox_activity::Entity::find()
        .filter(outbox_activity::Column::ApId.eq(ap_id))
        .one(&db.conn)
        .await?
        .map(|a| a.body))
}

/// A delivery a worker has claimed, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Delivery row id.
    pub id: i64,
    /// Target inbox.
    pub inbox: String,
    /// `host[:port]` of the inbox.
    pub host: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
    /// When the delivery was queued.
    pub created_at: DateTime<Utc>,
    /// The signing actor.
    pub actor: ActorId,
    /// The activity id.
    pub activity_ap_id: String,
    /// The body to send.
    pub body: String,
    /// Whether the host is marked unavailable (this attempt is a probe).
    pub probe: bool,
    /// Whether the host has failed recently (a success must then reset its record).
    pub host_troubled: bool,
}

/// Claims up to `limit` due deliveries for `lease`: pending, due, not leased by a live
/// worker, with no earlier pending delivery about the same object to the same inbox, and not
/// to a host that is resting; at most `per_host` for any one host, so that a batch is spread
/// over hosts instead of piling onto the first. On PostgreSQL concurrent workers skip each
/// other's rows.
pub async fn claim(
    db: &Db,
    limit: u64,
    lease: Duration,
    skip_hosts: &[String],
    per_host: usize,
) -> Result<Vec<Claimed>, DbErr> {
    let now = Utc::now();
    // Host names come from URLs we parsed; quotes are doubled all the same.
    let skip = if skip_hosts.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = skip_hosts
            .iter()
            .map(|h| format!("'{}'", h.replace('\'', "''")))
            .collect();
        format!("AND d.host NOT IN ({})", list.join(", "))
    };
    let backend = db.conn.get_database_backend();
    let per_host = per_host.max(1) as u64;
    // Only the first rows that could go now, in the order they fell due, are looked at: the
    // statement's cost follows the batch, not the backlog (numbering every pending row made a
    // claim grow with the queue). A host whose rows fill that window gets at most `per_host`
    // of this batch and is then on the worker's skip list (it has a full share claimed), so
    // the next window reaches the hosts behind it. The window's rows are numbered per host;
    // taking every host's first row, then every host's second, and so on spreads a batch
    // over as many hosts as possible.
    let window = Ord::max(limit.saturating_mul(4), per_host);
    let pick = format!(
        "SELECT w.id FROM (
           SELECT v.id, ROW_NUMBER() OVER (PARTITION BY v.host ORDER BY v.id) AS nth
           FROM (
             SELECT d.id, d.host FROM delivery d
             WHERE d.state = 'pending' AND d.next_attempt_at <= $2
               AND (d.locked_until IS NULL OR d.locked_until < $2)
               AND NOT EXISTS (SELECT 1 FROM delivery e WHERE e.inbox_url = d.inbox_url
                               AND e.object_key = d.object_key AND e.id < d.id
                               AND e.state = 'pending')
               AND NOT EXISTS (SELECT 1 FROM delivery_host h WHERE h.host = d.host
                               AND h.available = FALSE AND h.next_probe_at > $2)
               {skip}
             ORDER BY d.next_attempt_at LIMIT $3
           ) v
         ) w WHERE w.nth <= $4 ORDER BY w.nth, w.id LIMIT $5"
    );
    let sql = if backend == DbBackend::Postgres {
        // The middle select locks the picked rows: PostgreSQL allows no row locks in a query
        // with a window function. It repeats the "still free and due" conditions because
        // those are what PostgreSQL checks again on a row another worker claimed and
        // committed while this statement waited: the window was read from an older snapshot,
        // and without them both workers would take the row (a duplicate delivery), or one
        // would send again at once a delivery the other had just put off (its backoff lost). The ids go through arrays
        // so that both steps look rows up by primary key; `IN (subquery)` was planned as a
        // hash join over a scan of the whole table, settled rows included. "Not settled" is
        // "pending" said so that the planner cannot answer it from the partial indexes of
        // pending rows: on a young table's statistics it scanned one of them whole to AND it
        // with the few ids.
        format!(
            "UPDATE delivery SET locked_until = $1, attempts = attempts + 1
             WHERE id = ANY(ARRAY(
               SELECT c.id FROM delivery c WHERE c.id = ANY(ARRAY({pick}))
                 AND c.state NOT IN ('done', 'dead') AND c.next_attempt_at <= $2
                 AND (c.locked_until IS NULL OR c.locked_until < $2)
               FOR UPDATE SKIP LOCKED))
             RETURNING id, activity_id, inbox_url, host, attempts, created_at"
        )
    } else {
        // SQLite has one writer at a time (`Db::writer`): nothing can claim a row between
        // the pick and the update.
        format!(
            "UPDATE delivery SET locked_until = $1, attempts = attempts + 1 WHERE id IN ({pick})
             RETURNING id, activity_id, inbox_url, host, attempts, created_at"
        )
    };
    let as_i64 = |n: u64| Value::from(i64::try_from(n).unwrap_or(i64::MAX));
    // A write: on SQLite it waits its turn with the other writers (`Db::writer`).
    let rows = db
        .writer
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                Value::from(now + lease),
                Value::from(now),
                as_i64(window),
                as_i64(per_host),
                as_i64(limit),
            ],
        ))
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut claimed = Vec::with_capacity(rows.len());
    let mut activity_ids = BTreeSet::new();
    let mut raw = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("", "id")?;
        let activity_id: i64 = row.try_get("", "activity_id")?;
        let inbox: String = row.try_get("", "inbox_url")?;
        let host: String = row.try_get("", "host")?;
        let attempts: i32 = row.try_get("", "attempts")?;
        let created_at: DateTime<Utc> = row.try_get("", "created_at")?;
        activity_ids.insert(activity_id);
        raw.push((id, activity_id, inbox, host, attempts, created_at));
    }
    let activities: std::collections::HashMap<i64, outbox_activity::Model> =
        outbox_activity::Entity::find()
            .filter(outbox_activity::Column::Id.is_in(activity_ids))
            .all(&db.conn)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
    let troubled: std::collections::HashMap<String, bool> = delivery_host::Entity::find()
        .filter(
            Expr::col(delivery_host::Column::Available)
                .eq(false)
                .or(Expr::col(delivery_host::Column::ConsecutiveFailures).gt(0)),
        )
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|h| (h.host, !h.available))
        .collect();
    raw.sort_by_key(|r| r.0);
    for (id, activity_id, inbox, host, attempts, created_at) in raw {
        let Some(a) = activities.get(&activity_id) else {
            continue;
        };
        claimed.push(Claimed {
            id,
            probe: troubled.get(&host).copied().unwrap_or(false),
            host_troubled: troubled.contains_key(&host),
            inbox,
            host,
            attempts,
            created_at,
            actor: ActorId(a.actor_id),
            activity_ap_id: a.ap_id.clone(),
            body: a.body.clone(),
        });
    }
    Ok(claimed)
}

/// Gives a claimed delivery back untouched (the worker will not send it now).
pub async fn release(db: &Db, id: i64) -> Result<(), DbErr> {
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            delivery::Column::Attempts,
            Expr::col(delivery::Column::Attempts).sub(1),
        )
        .filter(delivery::Column::Id.eq(id))
        .exec(&db.writer)
        .await?;
    Ok(())
}

/// Records a successful delivery, and that its host is well.
pub async fn delivered(db: &Db, id: i64, host: &str, status: u16) -> Result<(), DbErr> {
    let now = Utc::now();
    delivery::Entity::update_many()
        .col_expr(delivery::Column::State, Expr::value(state::DONE))
        .col_expr(delivery::Column::DeliveredAt, Expr::value(now))
        .col_expr(delivery::Column::LastStatus, Expr::value(i32::from(status)))
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(delivery::Column::Id.eq(id))
        .exec(&db.writer)
        .await?;
    host_ok(&db.writer, host).await
}

/// Records many successful deliveries at once (the workers batch them: fewer writes, and a
/// crash before the write only means a duplicate delivery, never a lost one).
pub async fn delivered_many(db: &Db, ids: &[i64], status: u16) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    delivery::Entity::update_many()
        .col_expr(delivery::Column::State, Expr::value(state::DONE))
        .col_expr(delivery::Column::DeliveredAt, Expr::value(Utc::now()))
        .col_expr(delivery::Column::LastStatus, Expr::value(i32::from(status)))
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(delivery::Column::Id.is_in(ids.iter().copied()))
        .exec(&db.writer)
        .await?;
    Ok(())
}

/// Settles a failed attempt: records the status and error, frees the row, and sets `change`
/// (the next attempt's time, or the dead state).
async fn failed(
    db: &Db,
    id: i64,
    status: Option<u16>,
    error: &str,
    change: (delivery::Column, sea_orm::Value),
) -> Result<(), DbErr> {
    delivery::Entity::update_many()
        .col_expr(change.0, Expr::value(change.1))
        .col_expr(
            delivery::Column::LastStatus,
            Expr::value(status.map(i32::from)),
        )
        .col_expr(delivery::Column::LastError, Expr::value(truncate(error)))
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(delivery::Column::Id.eq(id))
        .exec(&db.writer)
        .await?;
    Ok(())
}

/// Schedules another attempt at `next` after a failure.
pub async fn retry_at(
    db: &Db,
    id: i64,
    status: Option<u16>,
    error: &str,
    next: DateTime<Utc>,
) -> Result<(), DbErr> {
    failed(
        db,
        id,
        status,
        error,
        (delivery::Column::NextAttemptAt, next.into()),
    )
    .await
}

/// Gives up on a delivery, keeping the reason.
pub async fn dead(db: &Db, id: i64, status: Option<u16>, reason: &str) -> Result<(), DbErr> {
    failed(
        db,
        id,
        status,
        reason,
        (delivery::Column::State, state::DEAD.into()),
    )
    .await
}

fn truncate(s: &str) -> String {
    s.chars().take(500).collect()
}

/// Marks a host well again (a delivery succeeded, or it sent us an activity).
pub async fn host_ok(conn: &impl sea_orm::ConnectionTrait, host: &str) -> Result<(), DbErr> {
    delivery_host::Entity::update_many()
        .col_expr(delivery_host::Column::Available, Expr::value(true))
        .col_expr(delivery_host::Column::ConsecutiveFailures, Expr::value(0))
        .col_expr(
            delivery_host::Column::NextProbeAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(delivery_host::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(delivery_host::Column::Host.eq(host))
        .filter(
            Expr::col(delivery_host::Column::ConsecutiveFailures)
                .gt(0)
                .or(Expr::col(delivery_host::Column::Available).eq(false)),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// Counts a failure against a host; once `threshold` failures in a row are reached the host
/// rests until `probe_wait(failures)` from now. Returns whether the host is now unavailable.
pub async fn host_failed(
    db: &Db,
    host: &str,
    error: &str,
    threshold: u32,
    probe_wait: impl Fn(u32) -> std::time::Duration,
) -> Result<bool, DbErr> {
    db.hosts_well.forget(host);
    let now = Utc::now();
    let current = delivery_host::Entity::find_by_id(host.to_owned())
        .one(&db.conn)
        .await?;
    let failures = current.as_ref().map_or(0, |h| h.consecutive_failures) + 1;
    let unavailable = failures as u32 >= threshold;
    let next_probe = unavailable.then(|| {
        now + Duration::from_std(probe_wait(failures as u32)).unwrap_or(Duration::hours(6))
    });
    delivery_host::Entity::insert(delivery_host::ActiveModel {
        host: Set(host.to_owned()),
        available: Set(!unavailable),
        consecutive_failures: Set(failures),
        next_probe_at: Set(next_probe),
        last_error: Set(Some(truncate(error))),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(delivery_host::Column::Host)
            .update_columns([
                delivery_host::Column::Available,
                delivery_host::Column::ConsecutiveFailures,
                delivery_host::Column::NextProbeAt,
                delivery_host::Column::LastError,
                delivery_host::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&db.writer)
    .await?;
    Ok(unavailable)
}

/// A resting host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnavailableHost {
    /// `host[:port]`.
    pub host: String,
    /// Failures in a row.
    pub failures: i32,
    /// When it will be probed next.
    pub next_probe_at: Option<DateTime<Utc>>,
    /// The last error.
    pub last_error: Option<String>,
}

/// The queue at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueStatus {
    /// Deliveries not yet settled.
    pub depth: u64,
    /// Of those, due now.
    pub due_now: u64,
    /// Of those, waiting after a failed attempt.
    pub retrying: u64,
    /// Given up on.
    pub dead: u64,
    /// Delivered and not yet cleaned up.
    pub delivered: u64,
    /// Seconds the oldest due delivery has waited.
    pub oldest_due_secs: u64,
    /// Hosts marked unavailable.
    pub unavailable_hosts: Vec<UnavailableHost>,
}

/// Reads the queue's state.
pub async fn status(db: &Db) -> Result<QueueStatus, DbErr> {
    let now = Utc::now();
    let count = |st: &'static str| delivery::Entity::find().filter(delivery::Column::State.eq(st));
    let depth = count(state::PENDING).count(&db.conn).await?;
    let due = count(state::PENDING).filter(delivery::Column::NextAttemptAt.lte(now));
    let due_now = due.clone().count(&db.conn).await?;
    let oldest = due
        .order_by_asc(delivery::Column::NextAttemptAt)
        .one(&db.conn)
        .await?;
    let retrying = count(state::PENDING)
        .filter(delivery::Column::Attempts.gt(0))
        .count(&db.conn)
        .await?;
    let dead = count(state::DEAD).count(&db.conn).await?;
    let delivered = count(state::DONE).count(&db.conn).await?;
    let unavailable_hosts = delivery_host::Entity::find()
        .filter(delivery_host::Column::Available.eq(false))
        .order_by_asc(delivery_host::Column::Host)
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|h| UnavailableHost {
            host: h.host,
            failures: h.consecutive_failures,
            next_probe_at: h.next_probe_at,
            last_error: h.last_error,
        })
        .collect();
    Ok(QueueStatus {
        depth,
        due_now,
        retrying,
        dead,
        delivered,
        oldest_due_secs: oldest.map_or(0, |o| {
            u64::try_from((now - o.next_attempt_at).num_seconds()).unwrap_or(0)
        }),
        unavailable_hosts,
    })
}

/// Requeues dead deliveries (all, or those to `host`); returns how many.
pub async fn retry_dead(db: &Db, host: Option<&str>) -> Result<u64, DbErr> {
    let now = Utc::now();
    let mut q = delivery::Entity::update_many()
        .col_expr(delivery::Column::State, Expr::value(state::PENDING))
        .col_expr(delivery::Column::Attempts, Expr::value(0))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(delivery::Column::CreatedAt, Expr::value(now))
        .filter(delivery::Column::State.eq(state::DEAD));
    if let Some(h) = host {
        q = q.filter(delivery::Column::Host.eq(h));
        host_ok(&db.writer, h).await?;
    }
    Ok(q.exec(&db.writer).await?.rows_affected)
}

/// Deletes deliveries settled before `before` and activities with nothing left to deliver.
pub async fn clean_up(db: &Db, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let gone = delivery::Entity::delete_many()
        .filter(delivery::Column::State.eq(state::DONE))
        .filter(delivery::Column::DeliveredAt.lt(before))
        .exec(&db.writer)
        .await?
        .rows_affected;
    outbox_activity::Entity::delete_many()
        .filter(outbox_activity::Column::CreatedAt.lt(before))
        .filter(Expr::cust(
            "NOT EXISTS (SELECT 1 FROM delivery d WHERE d.activity_id = outbox_activity.id)",
        ))
        .exec(&db.writer)
        .await?;
    Ok(gone)
}
