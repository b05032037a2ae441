use enishi_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait,
};
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
    /// Where write transactions ([`crate::begin_write`]) run. On SQLite, a pool of one
    /// connection: writers there take turns anyway, and waiting for the connection in this
    /// process is a queue, where waiting for SQLite's lock is a busy loop of sleeps that grow
    /// to 100 ms (a flood of inbound activities spent most of its time there). On PostgreSQL,
    /// the same pool as `conn`. Single statements that write under load (the outbox's claims
    /// and outcomes) run here too, so that they do not lose every race for SQLite's lock to
    /// the queue.
    pub writer: DatabaseConnection,
    /// The engine behind it.
    pub backend: Backend,
    /// Builds the activities that tell other servers of local changes (set by the server at
    /// start-up; without it, changes that remote actors must hear of are refused).
    pub herald: Option<std::sync::Arc<dyn crate::federation::Herald>>,
    /// The inbound activity being handled, if any: the first write transaction begun through
    /// this handle records it (see [`crate::inbound::Claim`]).
    pub claim: Option<std::sync::Arc<crate::inbound::Claim>>,
    /// Hosts recorded well a moment ago (shared with the delivery workers' handle, whose
    /// failures clear it).
    pub hosts_well: std::sync::Arc<crate::hosts_well::HostsWell>,
    /// The group commit of inbound posts (started on first use).
    pub(crate) batcher: std::sync::Arc<crate::inbound::batch::BatcherCell>,
}

impl Db {
    /// The same pool with no inbound activity claimed: for a write that must not record the
    /// activity as handled (a refusal, which is answered with an error and so may come again).
    pub fn without_claim(&self) -> Db {
        Db {
            claim: None,
            ..self.clone()
        }
    }

    /// Closes both pools (the writer's too, on SQLite; closing a pool twice is harmless where
    /// they are the same).
    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await?;
        self.writer.close().await
    }

    /// The same pools, sharing `hosts` with another handle of this process (so that the
    /// delivery workers' failures reach what the inbox remembers).
    pub fn sharing_hosts_well(self, hosts: std::sync::Arc<crate::hosts_well::HostsWell>) -> Db {
        Db {
            hosts_well: hosts,
            ..self
        }
    }

    /// The group commit of inbound posts, on the writer pool.
    pub(crate) fn batcher(&self) -> &crate::inbound::batch::Batcher {
        self.batcher
            .get(&self.writer, self.backend, &self.hosts_well)
    }

    /// The herald, if this process federates.
    pub fn herald(&self) -> Option<&dyn crate::federation::Herald> {
        self.herald.as_deref()
    }

    /// The same pool, with every write transaction begun through it recording `claim` first
    /// (for the handling of one inbound activity).
    pub fn claiming(&self, claim: std::sync::Arc<crate::inbound::Claim>) -> Db {
        Db {
            claim: Some(claim),
            ..self.clone()
        }
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

fn options(url: &str, max_connections: u32, relaxed: bool) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        // sqlx pings a connection on every checkout by default: a round trip (on SQLite, two
        // thread switches) before each statement outside a transaction. Only a connection
        // idle long enough to have been dropped by the server is pinged.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
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
    options
}

async fn connect_inner(url: &str, max_connections: u32, relaxed: bool) -> Result<Db, DbErr> {
    let conn = sea_orm::Database::connect(options(url, max_connections, relaxed)).await?;
    let backend = match conn.get_database_backend() {
        DbBackend::Sqlite => Backend::Sqlite,
        DbBackend::Postgres => Backend::Postgres,
        other => {
            return Err(DbErr::Custom(format!(
                "unsupported database backend {other:?}; use SQLite or PostgreSQL"
            )));
        }
    };
    // An in-memory SQLite database is one per connection pool: its writes must share it.
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let writer = if backend == Backend::Sqlite && !in_memory {
        sea_orm::Database::connect(options(url, 1, relaxed)).await?
    } else {
        conn.clone()
    };
    Ok(Db {
        conn,
        writer,
        backend,
        herald: None,
        claim: None,
        hosts_well: Default::default(),
        batcher: Default::default(),
    })
}

/// Opens the SQLite file at `path` for reading only, changing nothing in it (not even its
/// journal mode): for checking a backup, or copying from a snapshot.
pub async fn open_sqlite_read_only(path: &std::path::Path) -> Result<Db, DbErr> {
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode=ro", path.display()));
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| o.read_only(true).create_if_missing(false));
    let conn = sea_orm::Database::connect(options).await?;
    Ok(Db {
        writer: conn.clone(),
        conn,
        backend: Backend::Sqlite,
        herald: None,
        claim: None,
        hosts_well: Default::default(),
        batcher: Default::default(),
    })
}

/// Applies every pending migration; returns how many were applied.
///
/// All pending migrations run in one transaction: if one fails, the database is left exactly
/// as it was, on SQLite too (sea-orm-migration alone runs SQLite's migrations without one, so a
/// failure could leave half a schema). On PostgreSQL an advisory lock held by that transaction
/// lets several processes start at once: the first migrates, the others wait and find nothing
/// left to do.
pub async fn migrate(db: &Db) -> Result<usize, DbErr> {
    migrate_with::<Migrator>(db).await
}

/// [`migrate`] with another list of migrations (tests use one that ends in a failing step).
pub async fn migrate_with<M: MigratorTrait>(db: &Db) -> Result<usize, DbErr> {
    let txn = db.conn.begin().await?;
    if db.backend == Backend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .await?;
    }
    let pending = M::get_pending_migrations(&txn).await?.len();
    M::up(&txn, None).await?;
    txn.commit().await?;
    Ok(pending)
}

/// The PostgreSQL advisory lock key that serialises migrations ("enishi" in ASCII).
const MIGRATION_LOCK: i64 = 0x656e_6973_6869;

/// How many migrations this build knows that the database has not applied.
pub async fn pending_migrations(db: &Db) -> Result<usize, DbErr> {
    Ok(Migrator::get_pending_migrations_read_only(&db.conn)
        .await?
        .len())
}

/// A round trip to the database (for readiness checks).
pub async fn ping(db: &Db) -> Result<(), DbErr> {
    db.conn.ping().await
}
