//! Enishi's database layer over sea-orm: one code path for SQLite and PostgreSQL.
//!
//! Entities mirror the tables; the query modules speak in the domain's words and are the only
//! place that knows how rows are laid out.

pub mod accounts;
pub mod actors;
pub mod browser_sessions;
mod connection;
pub mod delivery_health;
pub mod entity;
pub mod error;
pub mod federation;
pub mod footprints;
pub mod friend_proof;
pub mod inbound;
pub mod instance;
pub mod introductions;
pub mod invites;
mod marks;
pub mod notifications;
pub mod outbox;
pub mod password;
pub mod posts;
pub mod profiles;
pub mod reactions;
pub mod relations;
pub mod social;
pub mod stats;
pub mod tokens;
pub mod visibility;

pub use connection::{Backend, Db, connect, connect_for_delivery, migrate};
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
pub async fn begin_write(db: &Db) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let txn = db.conn.begin().await?;
    if db.backend == Backend::Sqlite {
        txn.execute_unprepared("UPDATE instance_setting SET value = value WHERE key = 'domain'")
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
