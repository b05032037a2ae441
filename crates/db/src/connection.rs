use enishi_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, DatabaseConnection, DbBackend, DbErr};
use std::time::Duration;

/// Which database engine is behind a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file (the default).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A pooled connection to Enishi's database.
#[derive(Debug, Clone)]
pub struct Db {
    /// The sea-orm connection pool.
    pub conn: DatabaseConnection,
    /// The engine behind it.
    pub backend: Backend,
    /// Builds the activities that tell other servers of local changes (set by the server at
    /// start-up; without it, changes that remote actors must hear of are refused).
    pub herald: Option<std::sync::Arc<dyn crate::federation::Herald>>,
}

impl Db {
    /// The herald, if this process federates.
    pub fn herald(&self) -> Option<&dyn crate::federation::Herald> {
        self.herald.as_deref()
    }
}

/// A connection pool for delivery workers. On PostgreSQL its sessions commit without waiting
/// for the WAL flush (`synchronous_commit = off`): a worker's writes (claims, outcomes) may be
/// lost in a crash, which only means a delivery is made again — never lost, because the
/// activity and its delivery rows were committed durably by the change that queued them. On
/// SQLite this is the ordinary pool (WAL with `synchronous = NORMAL` already).
pub async fn connect_for_delivery(url: &str, max_connections: u32) -> Result<Db, DbErr> {
    connect_inner(url, max_connections, true).await
}

/// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
///
/// SQLite is opened in WAL mode with a busy timeout, so the web server and the delivery
/// workers can share the file; foreign keys are enforced on both engines.
pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbErr> {
    connect_inner(url, max_connections, false).await
}

async fn connect_inner(url: &str, max_connections: u32, relaxed: bool) -> Result<Db, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.pragma("journal_mode", "WAL")
                .pragma("synchronous", "NORMAL")
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .create_if_missing(true)
        })
        .map_sqlx_postgres_opts(move |o| {
            if relaxed {
                o.options([("synchronous_commit", "off")])
            } else {
                o
            }
        });
    let conn = sea_orm::Database::connect(options).await?;
    let backend = match conn.get_database_backend() {
        DbBackend::Sqlite => Backend::Sqlite,
        DbBackend::Postgres => Backend::Postgres,
        other => {
            return Err(DbErr::Custom(format!(
                "unsupported database backend {other:?}; use SQLite or PostgreSQL"
            )));
        }
    };
    Ok(Db {
        conn,
        backend,
        herald: None,
    })
}

/// Applies every pending migration; returns how many were applied.
pub async fn migrate(db: &Db) -> Result<usize, DbErr> {
    let pending = Migrator::get_pending_migrations(&db.conn).await?.len();
    Migrator::up(&db.conn, None).await?;
    Ok(pending)
}
