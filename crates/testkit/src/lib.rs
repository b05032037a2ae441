//! Test support shared by Enishi's integration tests.
//!
//! Every test that touches the database runs once on SQLite and once on PostgreSQL, each on a
//! database of its own so that tests run in parallel. When no PostgreSQL server answers, the
//! PostgreSQL variants are reported as *ignored* by name — never silently counted as passed.

pub mod api;
pub mod markers;
pub mod mastodon;
pub mod s3;
pub mod web;

use libtest_mimic::{Arguments, Failed, Trial};
use sea_orm::{ConnectionTrait, Database};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::time::Duration;

/// Where the test PostgreSQL server is; override with `ENISHI_TEST_POSTGRES_URL`.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// A fresh SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the test PostgreSQL server.
    Postgres,
}

impl DbKind {
    /// `sqlite` or `postgres`, as used in test names.
    pub fn name(self) -> &'static str {
        match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        }
    }
}

/// An empty database made for one test.
#[derive(Debug)]
pub struct TestDb {
    /// Engine.
    pub kind: DbKind,
    /// Connection URL, as `ENISHI_DATABASE_URL` would take it.
    pub url: String,
    /// A directory the test may use for files (SQLite lives here too); removed afterwards.
    pub dir: PathBuf,
    pg_name: Option<String>,
}

fn postgres_base_url() -> String {
    std::env::var("ENISHI_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

fn with_database(base: &str, name: &str) -> String {
    let (prefix, _) = base.rsplit_once('/').expect("postgres URL has a path");
    format!("{prefix}/{name}")
}

impl TestDb {
    /// Creates an empty database of `kind`.
    pub async fn create(kind: DbKind) -> anyhow::Result<TestDb> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let dir = std::env::temp_dir().join(format!("enishi-test-{id}"));
        std::fs::create_dir_all(&dir)?;
        match kind {
            DbKind::Sqlite => Ok(TestDb {
                kind,
                url: format!("sqlite://{}?mode=rwc", dir.join("enishi.db").display()),
                dir,
                pg_name: None,
            }),
            DbKind::Postgres => {
                let base = postgres_base_url();
                let name = format!("enishi_t_{id}");
                let admin = Database::connect(&base).await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await?;
                admin.close().await?;
                Ok(TestDb {
                    kind,
                    url: with_database(&base, &name),
                    dir,
                    pg_name: Some(name),
                })
            }
        }
    }

    /// Removes the database and the directory.
    pub async fn destroy(self) -> anyhow::Result<()> {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(name) = &self.pg_name {
            let admin = Database::connect(&postgres_base_url()).await?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await?;
            admin.close().await?;
        }
        Ok(())
    }
}

/// Whether the test PostgreSQL server answers; the reason when it does not.
pub fn postgres_available() -> Result<(), String> {
    let rt = runtime();
    rt.block_on(async {
        let base = postgres_base_url();
        match tokio::time::timeout(Duration::from_secs(5), Database::connect(&base)).await {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                Ok(())
            }
            Ok(Err(e)) => Err(format!("{base}: {e}")),
            Err(_) => Err(format!("{base}: no answer within 5 s")),
        }
    })
}

/// A multi-threaded runtime for one test (servers and clients run side by side).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The future a database test returns.
pub type TestFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// A test that runs against a fresh database.
pub type DbTest = fn(TestDb) -> TestFuture;

/// A test that needs no database.
pub type PlainTest = fn() -> TestFuture;

fn failed(e: anyhow::Error) -> Failed {
    Failed::from(format!("{e:?}"))
}

/// Runs database tests on both engines, plus plain tests, with libtest's command line and
/// output. Call it from `main` of a `harness = false` test target.
pub fn run(
    db_tests: &[(&'static str, DbTest)],
    plain_tests: &[(&'static str, PlainTest)],
) -> ExitCode {
    let args = Arguments::from_args();
    let pg = if args.list {
        Ok(())
    } else {
        postgres_available()
    };
    if let Err(reason) = &pg {
        eprintln!(
            "note: PostgreSQL is not reachable ({reason}); the postgres variants are reported as ignored"
        );
    }
    let mut trials = Vec::new();
    for &(name, test) in plain_tests {
        trials.push(Trial::test(name, move || {
            runtime().block_on(test()).map_err(failed)
        }));
    }
    for kind in [DbKind::Sqlite, DbKind::Postgres] {
        for &(name, test) in db_tests {
            let trial = Trial::test(format!("{}::{name}", kind.name()), move || {
                runtime().block_on(async move {
                    let db = TestDb::create(kind).await.map_err(failed)?;
                    let dir = db.dir.clone();
                    let (url, pg_name) = (db.url.clone(), db.pg_name.clone());
                    let outcome = test(db).await;
                    // Keep a failed test's database for inspection.
                    if outcome.is_ok() {
                        TestDb {
                            kind,
                            url,
                            dir,
                            pg_name,
                        }
                        .destroy()
                        .await
                        .map_err(failed)?;
                    } else {
                        eprintln!("kept the database of the failed test: {url}");
                    }
                    outcome.map_err(failed)
                })
            });
            let ignore = kind == DbKind::Postgres && pg.is_err();
            trials.push(trial.with_ignored_flag(ignore));
        }
    }
    libtest_mimic::run(&args, trials).exit_code()
}

/// Declares `main` for a test target: `enishi_testkit::main!(db: [a, b], plain: [c]);` where
/// database tests are `async fn(TestDb) -> anyhow::Result<()>` and plain ones take nothing.
#[macro_export]
macro_rules! main {
    (db: [$($db:ident),* $(,)?] $(, plain: [$($plain:ident),* $(,)?])? $(,)?) => {
        fn main() -> std::process::ExitCode {
            $crate::run(
                &[$((stringify!($db), |db| Box::pin($db(db)) as $crate::TestFuture)),*],
                &[$($((stringify!($plain), || Box::pin($plain()) as $crate::TestFuture)),*)?],
            )
        }
    };
}
