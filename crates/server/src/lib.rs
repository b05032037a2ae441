//! The `enishi` binary's library half: configuration and start-up, shared with the tests
//! (which start several instances in one process).

pub mod access;
pub mod backup;
pub mod cli;
mod cli_moderation;
mod cli_ops;
pub mod config;
pub mod logging;
pub mod media_config;
pub mod media_prune;
pub mod move_db;

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
    // Migrations run on a connection of their own, in one transaction, before the pool opens:
    // a pooled connection whose view of the schema is older could fail a statement (refusing,
    // say, to create an index that was just dropped).
    let single = open(1).await?;
    let applied = enishi_db::migrate(&single).await;
    single.close().await?;
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
    /// Where `/metrics` is served on an address of its own (`ENISHI_METRICS_BIND`).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The server and account blocks this process holds in force (they follow the database
    /// within `BLOCKS_POLL`).
    pub blocks: enishi_core::moderation::LiveBlocks,
    shutdown: Option<oneshot::Sender<()>>,
    worker_stop: Option<oneshot::Sender<()>>,
    worker: Option<tokio::task::JoinHandle<()>>,
    upkeep: tokio::task::JoinHandle<()>,
    media_upkeep: Option<tokio::task::JoinHandle<()>>,
    metrics_task: Option<tokio::task::JoinHandle<()>>,
    blocks_task: tokio::task::JoinHandle<()>,
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
        self.upkeep.abort();
        self.blocks_task.abort();
        if let Some(m) = self.media_upkeep.take() {
            m.abort();
        }
        if let Some(m) = self.metrics_task.take() {
            m.abort();
        }
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
    let (blocks, blocks_task) = live_blocks(&config, &db).await?;
    let inbox = inbox_context(&config, &db, &settings, &instance_actor, blocks.clone()).await?;
    let upkeep = enishi_apub::friend_proof::spawn_upkeep(db.clone(), inbox.fetcher.clone());

    let federation = FederationConfig::builder()
        .domain(settings.domain.clone())
        // The federation crate sends nothing for us today; should it ever, the policy holds.
        .client(http_client(&config)?.for_federation_crate())
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
        access: Arc::new(enishi_web::state::Access {
            trusted_proxies: config.access.trusted_proxies.clone(),
            metrics_token: config.access.metrics_token.clone(),
            login: enishi_web::limits::LoginLimits::new(
                config.access.login_per_address,
                config.access.login_failures_per_account,
            ),
            actions: enishi_web::rate_limits::ActionLimits::new(&config.access.rate_limits),
        }),
        media: enishi_web::media::MediaHub::new(
            enishi_media::MediaStore::open(&config.media.store)
                .context("opening the media store")?,
            config.media.limits,
        )
        .with_cache(config.media.cache_max, config.media.fetch_timeout),
        archives_dir: config.data_dir.join("archives"),
        streams: Default::default(),
    };
    let media_upkeep = config
        .run_workers
        .then(|| media_prune::spawn_hourly(db.clone(), state.media.store.clone()));
    // `/metrics` on an address of its own, when one is configured.
    let (metrics_addr, metrics_task) = match config.access.metrics_bind {
        Some(addr) => {
            let l = TcpListener::bind(addr)
                .await
                .with_context(|| format!("ENISHI_METRICS_BIND: cannot listen on {addr}"))?;
            let bound = l.local_addr()?;
            let router = enishi_web::metrics_router(state.clone());
            let task = tokio::spawn(async move {
                if let Err(e) = axum::serve(l, router).await {
                    tracing::warn!(error = %e, "the metrics listener stopped");
                }
            });
            (Some(bound), Some(task))
        }
        None => (None, None),
    };
    let app = enishi_web::router(state, federation.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();

    let (worker_stop, worker_rx) = oneshot::channel::<()>();
    let worker = if config.run_workers {
        let w = delivery_worker(
            &config,
            blocks.clone(),
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
    let handle = axum_server::Handle::new();
    let task = match &config.tls {
        None => {
            let mut server = axum_server::from_tcp(listener.into_std()?)?.handle(handle.clone());
            raise_connection_limits(&mut server);
            tokio::spawn(async move {
                tokio::spawn(async move {
                    stop.await;
                    handle.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
                });
                server.serve(app).await
            })
        }
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
            let mut server =
                axum_server::from_tcp_rustls(listener.into_std()?, rustls)?.handle(handle.clone());
            raise_connection_limits(&mut server);
            tokio::spawn(async move {
                tokio::spawn(async move {
                    stop.await;
                    handle.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
                });
                server.serve(app).await
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
        upkeep,
        media_upkeep,
        metrics_task,
        metrics_addr,
        blocks,
        blocks_task,
        task,
    })
}

/// Sets hyper's own header limits well above the application's (`enishi_web::error::
/// MAX_HEADER_COUNT` and `MAX_HEADER_BYTES`), so that a request with too many or too large
/// headers reaches the application and gets its 431 with the JSON error body, rather than the
/// empty 431 hyper writes by itself. Beyond these, hyper still refuses on its own.
fn raise_connection_limits<A: axum_server::Address, Acc>(server: &mut axum_server::Server<A, Acc>) {
    let builder = server.http_builder();
    builder
        .http1()
        .max_headers(4 * enishi_web::error::MAX_HEADER_COUNT)
        .max_buf_size(1024 * 1024);
    builder.http2().max_header_list_size(1024 * 1024);
}

/// Waits for the server task to end by itself (after a shutdown signal).
pub async fn wait(mut running: Running) -> anyhow::Result<()> {
    (&mut running.task).await??;
    running.stop_workers().await;
    Ok(())
}

/// How often a process looks whether the server blocks changed (a block made elsewhere takes
/// effect here within this).
pub const BLOCKS_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// The server blocks in force, kept in step with the database by the returned task (abort it
/// when the process's instance stops). The start-up setting's servers are put in the list
/// first, once each.
pub async fn live_blocks(
    config: &Config,
    db: &Db,
) -> anyhow::Result<(
    enishi_core::moderation::LiveBlocks,
    tokio::task::JoinHandle<()>,
)> {
    let added = enishi_db::domain_blocks::seed(db, &config.blocked_domains)
        .await
        .context("ENISHI_BLOCKED_DOMAINS")?;
    if !added.is_empty() {
        tracing::info!(?added, "blocked servers from ENISHI_BLOCKED_DOMAINS");
    }
    let live = enishi_core::moderation::LiveBlocks::default();
    let task = enishi_db::domain_blocks::keep_live(db.clone(), live.clone(), BLOCKS_POLL).await?;
    Ok((live, task))
}

/// The inbox's verifier and the fetcher, signing as the instance actor.
pub async fn inbox_context(
    config: &Config,
    db: &Db,
    settings: &Arc<enishi_core::InstanceSettings>,
    instance_actor: &enishi_core::Actor,
    blocks: enishi_core::moderation::LiveBlocks,
) -> anyhow::Result<enishi_apub::inbox::InboxContext> {
    let pem = enishi_db::actors::private_key_pem(db, instance_actor.id)
        .await?
        .context("the instance actor has no private key")?;
    let signer = enishi_apub::signatures::Signer::from_pem(&pem, &instance_actor.public_key_id)
        .context("the instance actor's key")?;
    let client = outgoing_client(config, |b| {
        b.connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(
                config.delivery.timeout_secs.max(5),
            ))
            .user_agent(format!(
                "Enishi/{} (+{})",
                env!("CARGO_PKG_VERSION"),
                settings.origin()
            ))
    })?;
    let fetcher = enishi_apub::fetch::Fetcher::new(client, settings.clone(), signer, db.clone())
        .with_blocks(blocks.clone());
    Ok(enishi_apub::inbox::InboxContext {
        db: db.clone(),
        settings: settings.clone(),
        fetcher,
        blocks,
        inbound_limit: Arc::new(enishi_core::rate::KeyedLimit::new(
            config.access.rate_limits.inbound,
        )),
    })
}

/// The database handle delivery workers use: on PostgreSQL a pool of their own whose commits
/// do not wait for the disk (see `enishi_db::connect_for_delivery`); on SQLite the same pool.
pub async fn worker_database(config: &Config, db: &Db) -> anyhow::Result<Db> {
    if config.is_sqlite() {
        return Ok(db.clone());
    }
    let workers = enishi_db::connect_for_delivery(&config.database_url, config.db_max_connections)
        .await
        .context("cannot open the delivery workers' database pool")?;
    // A failed delivery must clear what the inbox remembers of its host being well.
    Ok(workers.sharing_hosts_well(db.hosts_well.clone()))
}

/// The outgoing-request policy of `config` (see [`enishi_apub::egress`]): private networks
/// as [`Config::allows_private_networks`] says, names resolved by `config.resolver` if set.
pub fn egress_policy(config: &Config) -> enishi_apub::egress::Policy {
    let policy = enishi_apub::egress::Policy::new(config.allows_private_networks());
    match &config.resolver {
        Some(r) => policy.with_resolver(r.clone()),
        None => policy,
    }
}

/// `builder` trusting, besides the system's CAs, those of `extra_ca_certs` if configured.
/// Outgoing requests never use this directly (see [`outgoing_client`]); tests use it for
/// clients that talk to an instance.
pub fn with_trusted_cas(
    config: &Config,
    builder: reqwest::ClientBuilder,
) -> anyhow::Result<reqwest::ClientBuilder> {
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

/// A client for outgoing requests, the only way this server makes one: the trusted CAs,
/// whatever `customize` sets (timeouts, user agent…), then the outgoing-request policy of
/// [`egress_policy`] (filtered resolution, no redirects, no proxy).
pub fn outgoing_client(
    config: &Config,
    customize: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
) -> anyhow::Result<enishi_apub::egress::Client> {
    let builder = customize(with_trusted_cas(config, reqwest::Client::builder())?);
    Ok(egress_policy(config).client(builder)?)
}

/// An outgoing-request client with default timeouts.
pub fn http_client(config: &Config) -> anyhow::Result<enishi_apub::egress::Client> {
    outgoing_client(config, |b| {
        b.connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(30))
    })
}

/// The HTTP client deliveries use: bounded timeouts, and the outgoing-request policy.
pub fn delivery_client(config: &Config) -> anyhow::Result<enishi_apub::egress::Client> {
    outgoing_client(config, |b| {
        b.connect_timeout(std::time::Duration::from_secs(
            config.delivery.timeout_secs.min(10),
        ))
        .timeout(std::time::Duration::from_secs(config.delivery.timeout_secs))
        .pool_max_idle_per_host(config.delivery.per_host)
    })
}

/// A delivery worker configured from `config`.
pub fn delivery_worker(
    config: &Config,
    blocks: enishi_core::moderation::LiveBlocks,
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
        blocks,
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
    config.media = media_config::MediaConfig::local(data_dir);
    config
}
