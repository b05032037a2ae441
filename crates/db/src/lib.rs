//! Enishi's database layer over sea-orm: one code path for SQLite and PostgreSQL.
//!
//! Entities mirror the tables; the query modules speak in the domain's words and are the only
//! place that knows how rows are laid out.

pub mod account_blocks;
pub mod accounts;
pub mod actors;
pub mod archive;
pub mod audit;
pub mod bookmarks;
pub mod boosts;
pub mod browser_sessions;
mod connection;
pub mod delivery_health;
pub mod domain_block_csv;
pub mod domain_blocks;
pub mod entity;
pub mod error;
pub mod federation;
pub mod footprints;
pub mod friend_proof;
pub mod hosts_well;
pub mod idempotency;
pub mod inbound;
pub mod instance;
pub mod introductions;
pub mod invites;
pub mod leaving;
mod marks;
pub mod media;
pub mod member_settings;
pub mod moves;
pub mod notifications;
pub mod oauth;
pub mod outbox;
pub mod password;
pub mod posts;
pub mod profile_images;
pub mod profiles;
pub mod reactions;
pub mod relations;
pub mod remote_media;
pub mod report_actions;
pub mod reports;
pub mod social;
pub mod stats;
pub mod stream;
pub mod tables;
pub mod tokens;
pub mod transfer;
pub mod visibility;

pub use connection::{
    Backend, Db, connect, connect_for_delivery, migrate, migrate_with, open_sqlite_read_only,
    pending_migrations, ping,
};
pub use error::{OpError, OpResult};
pub use sea_orm::DbErr;

/// A freshly generated RSA key pair, PEM-encoded, for a new local actor.
#[derive(Clone)]
pub struct ActorKeys {
    /// SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_pem: String,
    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`); never leaves the database.
    pub private_pem: String,
}

impl std::fmt::Debug for ActorKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorKeys")
            .field("public_pem", &self.public_pem)
            .field("private_pem", &"<redacted>")
            .finish()
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once (as `BEGIN
/// IMMEDIATE` would): a deferred transaction that reads and then writes fails outright when
/// another connection committed in between, instead of waiting its turn.
///
/// When `db` handles an inbound activity ([`Db::claiming`]), the first such transaction
/// records the activity as handled before anything else, so that the change and its record
/// commit together; if it was handled before, the transaction is refused with
/// [`inbound::DUPLICATE`] and nothing is written.
pub async fn begin_write(db: &Db) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    let txn = begin_on(&db.writer, db.backend).await?;
    if let Some(claim) = &db.claim {
        claim.take(&txn, &db.hosts_well).await?;
    }
    Ok(txn)
}

/// Begins a write transaction on `writer` (`BEGIN IMMEDIATE` on SQLite).
pub(crate) async fn begin_on(
    writer: &sea_orm::DatabaseConnection,
    backend: Backend,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    if backend == Backend::Sqlite {
        writer
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
    } else {
        writer.begin().await
    }
}

/// Begins a transaction that changes how two actors stand with each other (follows, requests,
/// friendships, blocks). SQLite already runs one writer at a time; PostgreSQL at READ COMMITTED
/// does not, and two such transactions on the same pair can each read the state before the
/// other's write and leave it half-done (both follows accepted, no friendship). A transaction
/// advisory lock on the pair makes them take turns; it is released at commit or rollback.
pub async fn begin_pair(
    db: &Db,
    a: enishi_core::ActorId,
    b: enishi_core::ActorId,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    let txn = begin_write(db).await?;
    if db.backend == Backend::Postgres {
        let (low, high) = if a.0 <= b.0 { (a.0, b.0) } else { (b.0, a.0) };
        // The two-key form with truncated ids: a collision only makes two unrelated pairs
        // wait for each other, never lets one pair run twice.
        txn.execute_raw(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1::int4, $2::int4)",
            [(low as i32).into(), (high as i32).into()],
        ))
        .await?;
    }
    Ok(txn)
}

/// Whether a database error is a unique-constraint violation (the same on both backends).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
