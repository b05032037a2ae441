//! The `enishi` binary's library half: configuration and start-up, shared with the tests
//! (which start several instances in one process).

pub mod cli;
pub mod config;

pub use config::{Config, ConfigError};

use activitypub_federation::config::FederationConfig;
use anyhow::Context;
use enishi_apub::FederationData;
use enishi_apub::keys::generate_actor_keys;
use enishi_apub::outbox::{DeliveryWorker, Metrics, WorkerSettings};
use enishi_db::Db;
use enishi_web::AppState;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};

/// Connects to the configured database (creating the SQLite directory), applies pending
/// migrations and checks that the database belongs to this domain.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    if config.is_sqlite() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
    }
    let open = |connections: u32| async move {
        enishi_db::connect(&config.database_url, connections)
            .await
            .with_context(|| {
                format!(
                    "cannot open the database at {}",
                    config::redact_database_url(&config.database_url)
                )
            })
    };
    // Migrations run on a connection of their own, before the pool opens: on SQLite they are
    // not one transaction, and a statement taking another pooled connection whose view of the
    // schema is older fails (it refuses, say, to create an index that was just dropped).
    let single = open(1).await?;
    let applied = enishi_db::migrate(&single).await;
    single.conn.close().await?;
    let applied = applied.context("database migration failed")?;
    let db = open(config.db_max_connections).await?;
    if applied > 0 {
        tracing::info!(applied, "applied database migrations");
    }
    enishi_db::instance::claim_domain(&db, &config.instance).await?;
    Ok(db)
}

/// A running instance.
pub struct Running {
    /// `scheme://domain`, e.g. `http://localhost:8080`.
    pub base_url: String,
    /// The database it uses.
    pub db: Db,
    /// The configuration it runs with.
    pub config: Config,
    /// The federation crate's configuration (fetching remote objects, signing).
    pub federation: FederationConfig<FederationData>,
    /// Delivery counters of this process.
    pub metrics: Arc<Metrics>,
    /// Wakes this process's delivery workers.
    pub wake: Arc<Notify>,
    shutdown: Option<oneshot::Sender<()>>,
    worker_stop: Option<oneshot::Sender<()>>,
    worker: Option<tokio::task::JoinHandle<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting requests, finishes those in flight and waits for the server to end.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await??;
        self.stop_workers().await;
        Ok(())
    }

    async fn stop_workers(&mut self) {
        if let Some(tx) = self.worker_stop.take() {
            let _ = tx.send(());
        }
        if let Some(w) = self.worker.take() {
            let _ = w.await;
        }
    }
}

/// Opens the database, makes sure the instance actor exists, and serves on `listener` until
/// [`Running::stop`] (or until `shutdown_signal` completes, for the binary).
pub async fn start(
    config: Config,
    listener: TcpListener,
    shutdown_signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Running> {
    let mut db = open_database(&config).await?;
    let settings = Arc::new(config.instance.clone());
    let instance_actor =
        enishi_db::instance::ensure_instance_actor(&db, &settings, generate_actor_keys).await?;
    db.herald = Some(Arc::new(enishi_apub::herald::ActivityHerald::new(
        settings.clone(),
    )));
    let inbox = inbox_context(&config, &db, &settings, &instance_actor).await?;

    let federation = FederationConfig::builder()
        .domain(settings.domain.clone())
        .app_data(FederationData {
            db: db.clone(),
            settings: settings.clone(),
        })
        .debug(settings.scheme == enishi_core::Scheme::Http)
        .build()
        .await
        .context("federation configuration")?;
    let metrics = Arc::new(Metrics::default());
    let wake = Arc::new(Notify::new());
    let state = AppState {
        db: db.clone(),
        settings: settings.clone(),
        metrics: metrics.clone(),
        outbox_wake: wake.clone(),
        inbox,
    };
    let app = enishi_web::router(state, federation.clone());

    let (worker_stop, worker_rx) = oneshot::channel::<()>();
    let worker = if config.run_workers {
        let w = delivery_worker(
            &config,
            worker_database(&config, &db).await?,
            metrics.clone(),
            wake.clone(),
        )?;
        Some(tokio::spawn(w.run(async move {
            let _ = worker_rx.await;
        })))
    } else {
        None
    };
    let (tx, rx) = oneshot::channel::<()>();
    let stop = async move {
        tokio::select! {
            _ = rx => {},
            _ = shutdown_signal => {},
        }
    };
    let task = match &config.tls {
        None => tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
        }),
        Some(tls) => {
            let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                .await
                .with_context(|| {
                    format!(
                        "ENISHI_TLS_CERT/ENISHI_TLS_KEY: cannot use {} and {}",
                        tls.cert.display(),
                        tls.key.display()
                    )
                })?;
            let handle = axum_server::Handle::new();
            let server =
                axum_server::from_tcp_rustls(listener.into_std()?, rustls)?.handle(handle.clone());
            tokio::spawn(async move {
                tokio::spawn(async move {
                    stop.await;
                    handle.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
                });
                server.serve(app.into_make_service()).await
            })
        }
    };
    Ok(Running {
        base_url: settings.origin(),
        db,
        config,
        federation,
        metrics,
        wake,
        shutdown: Some(tx),
        worker_stop: Some(worker_stop),
        worker,
        task,
    })
}

/// Waits for the server task to end by itself (after a shutdown signal).
pub async fn wait(mut running: Running) -> anyhow::Result<()> {
    (&mut running.task).await??;
    running.stop_workers().await;
    Ok(())
}

/// The inbox's verifier and the fetcher, signing as the instance actor.
pub async fn inbox_context(
    config: &Config,
    db: &Db,
    settings: &Arc<enishi_core::InstanceSettings>,
    instance_actor: &enishi_core::Actor,
) -> anyhow::Result<enishi_apub::inbox::InboxContext> {
    let pem = enishi_db::actors::private_key_pem(db, instance_actor.id)
        .await?
        .context("the instance actor has no private key")?;
    let signer = enishi_apub::signatures::Signer::from_pem(&pem, &instance_actor.public_key_id)
        .context("the instance actor's key")?;
    let client = http_client(config)?
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(
            config.delivery.timeout_secs.max(5),
        ))
        .user_agent(format!(
            "Enishi/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            settings.origin()
        ))
        .build()?;
    let fetcher = enishi_apub::fetch::Fetcher::new(client, settings.clone(), signer, db.clone());
    Ok(enishi_apub::inbox::InboxContext {
        db: db.clone(),
        settings: settings.clone(),
        fetcher,
        blocked_domains: Arc::new(config.blocked_domains.clone()),
    })
}

/// The database handle delivery workers use: on PostgreSQL a pool of their own whose commits
/// do not wait for the disk (see `enishi_db::connect_for_delivery`); on SQLite the same pool.
pub async fn worker_database(config: &Config, db: &Db) -> anyhow::Result<Db> {
    if config.is_sqlite() {
        return Ok(db.clone());
    }
    enishi_db::connect_for_delivery(&config.database_url, config.db_max_connections)
        .await
        .context("cannot open the delivery workers' database pool")
}

/// A client builder for outgoing requests: the system's trusted CAs plus those of
/// `extra_ca_certs`, if configured.
pub fn http_client(config: &Config) -> anyhow::Result<reqwest::ClientBuilder> {
    let builder = reqwest::Client::builder();
    let Some(path) = &config.extra_ca_certs else {
        return Ok(builder);
    };
    let pem = std::fs::read(path)
        .with_context(|| format!("ENISHI_EXTRA_CA_CERTS: cannot read {}", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).with_context(|| {
        format!(
            "ENISHI_EXTRA_CA_CERTS: {} holds no PEM certificates",
            path.display()
        )
    })?;
    anyhow::ensure!(
        !certs.is_empty(),
        "ENISHI_EXTRA_CA_CERTS: {} holds no certificates",
        path.display()
    );
    Ok(builder.tls_certs_merge(certs))
}

/// The HTTP client deliveries use: no redirects (they cannot be checked), bounded timeouts.
pub fn delivery_client(config: &Config) -> anyhow::Result<reqwest::Client> {
    Ok(http_client(config)?
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(
            config.delivery.timeout_secs.min(10),
        ))
        .timeout(std::time::Duration::from_secs(config.delivery.timeout_secs))
        .pool_max_idle_per_host(config.delivery.per_host)
        .build()?)
}

/// A delivery worker configured from `config`.
pub fn delivery_worker(
    config: &Config,
    db: Db,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
) -> anyhow::Result<Arc<DeliveryWorker>> {
    let d = &config.delivery;
    let settings = WorkerSettings {
        concurrency: d.concurrency,
        per_host: d.per_host,
        timeout: std::time::Duration::from_secs(d.timeout_secs),
        policy: enishi_core::delivery::RetryPolicy {
            base: std::time::Duration::from_millis(d.retry_base_ms),
            give_up_after: std::time::Duration::from_secs(d.give_up_hours * 3600),
            host_failure_threshold: d.host_failure_threshold,
            ..Default::default()
        },
        retention: std::time::Duration::from_secs(d.retention_days * 24 * 3600),
        lease: std::time::Duration::from_secs(d.lease_secs),
        user_agent: format!(
            "Enishi/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            config.instance.origin()
        ),
        blocked_domains: config.blocked_domains.clone(),
        ..Default::default()
    };
    Ok(DeliveryWorker::new(
        db,
        delivery_client(config)?,
        settings,
        metrics,
        wake,
    ))
}

/// Starts an instance on a free loopback port, named `localhost:PORT` (the federation crate
/// refuses IP literals). Used by tests and local multi-instance setups.
pub async fn start_on_free_port(config: Config) -> anyhow::Result<Running> {
    start_on_loopback(config, 0).await
}

/// Starts an instance on loopback port `port` (0: any free one), named `localhost:PORT`.
pub async fn start_on_loopback(mut config: Config, port: u16) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let addr = listener.local_addr()?;
    config.bind = addr;
    config.instance.domain = format!("localhost:{}", addr.port());
    config.instance.scheme = if config.tls.is_some() {
        enishi_core::Scheme::Https
    } else {
        enishi_core::Scheme::Http
    };
    start(config, listener, std::future::pending()).await
}

/// A configuration with every default, on the given database (for tests and tools).
pub fn default_config(database_url: &str, data_dir: &std::path::Path) -> Config {
    let mut config = Config::from_sources(&Default::default(), None).expect("defaults are valid");
    config.database_url = database_url.to_owned();
    config.data_dir = data_dir.to_owned();
    config
}
