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

/// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
///
/// SQLite is opened in WAL mode with a busy timeout, so the web server and the delivery
/// workers can share the file; foreign keys are enforced on both engines.
pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbErr> {
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
