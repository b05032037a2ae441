//! The `enishi` command line: run a community instance and administer it.

use crate::Config;
use crate::cli_ops as ops;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use enishi_apub::keys::generate_actor_keys;
use enishi_db::accounts::{self, CreateMemberError, NewMember};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "enishi",
    version,
    about = "A federated community social network in the spirit of mixi"
)]
struct Cli {
    /// TOML configuration file; ENISHI_* environment variables override it.
    #[arg(long, global = true, env = "ENISHI_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (applies pending migrations first) with delivery workers.
    Serve {
        /// Do not run delivery workers in this process (run `enishi worker` elsewhere).
        #[arg(long)]
        no_workers: bool,
    },
    /// Run delivery workers only (any number on PostgreSQL; one on SQLite).
    Worker,
    /// Inspect and operate the outgoing delivery queue.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage members.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage invite codes.
    #[command(subcommand)]
    Invite(InviteCommand),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Inspect and tidy the photo store.
    #[command(subcommand)]
    Media(MediaCommand),
    /// Write a backup of the database to FILE (SQLite: while serving; PostgreSQL: pg_dump).
    Backup {
        /// The backup file to create (never overwritten).
        file: PathBuf,
    },
    /// Restore the database from a backup made by `enishi backup` (stop Enishi first).
    Restore {
        /// The backup file.
        file: PathBuf,
        /// SQLite: set the existing database file aside (renamed, not deleted) and restore in
        /// its place.
        #[arg(long)]
        replace: bool,
    },
    /// Database operations.
    #[command(subcommand)]
    Db(DbCommand),
    /// Block and unblock other servers (takes effect in every running process).
    #[command(subcommand)]
    Domain(crate::cli_moderation::DomainCommand),
    /// Suspend, limit or lift one account of another server (takes effect in every running
    /// process).
    #[command(subcommand)]
    Account(crate::cli_moderation::AccountCommand),
    /// List, resolve and dismiss reports.
    #[command(subcommand)]
    Report(crate::cli_moderation::ReportCommand),
    /// Print the audit log of moderation actions, newest first.
    Audit {
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Move this SQLite instance, whole, into an empty PostgreSQL database (resumable).
    MoveToPostgres {
        /// postgres://USER[:PASSWORD]@HOST:PORT/DATABASE of an empty database.
        url: String,
    },
}

#[derive(Subcommand)]
enum MediaCommand {
    /// Forget uploads never attached (after a day), move re-keyed photos' files, and delete
    /// files nothing needs any more. `enishi serve` does this every hour.
    Prune,
    /// How many photos the database knows and how much the store holds.
    Usage,
}

#[derive(Subcommand)]
enum QueueCommand {
    /// Depth, due now, retrying, dead-lettered and unavailable hosts.
    Status,
    /// Requeue dead-lettered deliveries (all, or those to one host).
    RetryDead {
        /// Only deliveries to this host[:port].
        #[arg(long)]
        host: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API bearer token for a member and print it once.
    Create {
        /// Username.
        name: String,
        /// What the token is for (shown to nobody; for your own records).
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a member. The password is read as one line from standard input.
    Create {
        /// Username: 1-30 characters of a-z, 0-9 and '_' (case-insensitive).
        name: String,
        /// Make the member an administrator.
        #[arg(long)]
        admin: bool,
        /// Generate a password and print it once, instead of reading one.
        #[arg(long)]
        generate_password: bool,
    },
    /// List members.
    List,
    /// Suspend a member: they can no longer log in, and their profile and actor disappear.
    Suspend {
        /// Username.
        name: String,
    },
    /// Lift a member's suspension.
    Unsuspend {
        /// Username.
        name: String,
    },
    /// Give a member a role: `member`, `moderator` (handles reports, acts on accounts and
    /// content) or `admin` (everything, server blocks included).
    Role {
        /// Username.
        name: String,
        /// The role.
        #[arg(value_parser = ["member", "moderator", "admin"])]
        role: String,
    },
}

#[derive(Subcommand)]
enum InviteCommand {
    /// Create an invite code.
    Create {
        /// How many sign-ups the code allows.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=10_000))]
        max_uses: i32,
        /// Days until the code expires (never, if not given).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=3650))]
        expires_in_days: Option<i64>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration (secrets redacted); fail on an invalid value.
    Check,
}

/// Parses the command line and runs the command (the whole `enishi` binary).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    crate::logging::init(config.log_format);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command as `enishi ARGS…` would, with `config` (for tests that type a command
/// against a running instance's database in the same process).
pub async fn run_args(args: &[&str], config: Config) -> anyhow::Result<ExitCode> {
    let cli = Cli::try_parse_from(std::iter::once("enishi").chain(args.iter().copied()))?;
    run(cli.command, config).await
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Config(ConfigCommand::Check) => {
            print!("{}", config.describe());
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let db = crate::open_database(&config).await?;
            println!("database is up to date ({:?})", db.backend);
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { no_workers } => {
            let mut config = config;
            config.run_workers = !no_workers;
            serve(config).await
        }
        Command::Worker => worker(config).await,
        Command::Domain(c) => crate::cli_moderation::domain(config, c).await,
        Command::Account(c) => crate::cli_moderation::account(config, c).await,
        Command::Report(c) => crate::cli_moderation::report(config, c).await,
        Command::Audit { limit } => crate::cli_moderation::audit(config, limit).await,
        Command::Media(MediaCommand::Prune) => ops::media_prune(config).await,
        Command::Media(MediaCommand::Usage) => ops::media_usage(config).await,
        Command::Backup { file } => ops::backup(config, &file).await,
        Command::Restore { file, replace } => ops::restore(config, &file, replace).await,
        Command::Db(DbCommand::MoveToPostgres { url }) => ops::move_to_postgres(config, &url).await,
        Command::Queue(QueueCommand::Status) => {
            let db = crate::open_database(&config).await?;
            let q = enishi_db::outbox::status(&db).await?;
            println!("depth          {}", q.depth);
            println!("due now        {}", q.due_now);
            println!("retrying       {}", q.retrying);
            println!("dead-lettered  {}", q.dead);
            println!(
                "delivered      {} (kept {} days)",
                q.delivered, config.delivery.retention_days
            );
            println!("oldest due     {} s", q.oldest_due_secs);
            println!("unavailable hosts: {}", q.unavailable_hosts.len());
            for h in q.unavailable_hosts {
                println!(
                    "  {}\t{} failures\tnext probe {}\t{}",
                    h.host,
                    h.failures,
                    h.next_probe_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    h.last_error.unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Queue(QueueCommand::RetryDead { host }) => {
            let db = crate::open_database(&config).await?;
            let n = enishi_db::outbox::retry_dead(&db, host.as_deref()).await?;
            println!("requeued {n} dead-lettered deliveries");
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Create {
            name,
            admin,
            generate_password,
        }) => create_user(config, &name, admin, generate_password).await,
        Command::User(UserCommand::List) => {
            let db = crate::open_database(&config).await?;
            let members = accounts::list(&db).await?;
            if members.is_empty() {
                println!("no members yet; create one with: enishi user create NAME --admin");
            }
            for m in members {
                let mut flags = Vec::new();
                if m.is_admin {
                    flags.push("admin");
                }
                if m.suspended_at.is_some() {
                    flags.push("suspended");
                }
                println!(
                    "{}\t{}\t{}\t{}",
                    m.actor.username,
                    m.actor.ap_id,
                    m.created_at.format("%Y-%m-%d"),
                    flags.join(",")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(TokenCommand::Create { name, label }) => {
            let db = crate::open_database(&config).await?;
            let Some(member) = accounts::find_by_username(&db, &name).await? else {
                eprintln!("error: no member named {name:?}");
                return Ok(ExitCode::from(3));
            };
            let token = enishi_db::tokens::create(&db, member.account_id, &label).await?;
            println!("{token}");
            eprintln!(
                "token for {}; it is shown only this once",
                member.actor.username
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Suspend { name }) => set_suspended(config, &name, true).await,
        Command::User(UserCommand::Unsuspend { name }) => set_suspended(config, &name, false).await,
        Command::User(UserCommand::Role { name, role }) => {
            let db = crate::open_database(&config).await?;
            let role = accounts::Role::parse(&role).context("a role")?;
            if !accounts::set_role(&db, &name, role, enishi_db::audit::COMMAND_LINE).await? {
                eprintln!("error: no member named {name:?}");
                return Ok(ExitCode::from(3));
            }
            println!("{name} is now {}", role.as_str());
            Ok(ExitCode::SUCCESS)
        }
        Command::Invite(InviteCommand::Create {
            max_uses,
            expires_in_days,
        }) => {
            let db = crate::open_database(&config).await?;
            let expires = expires_in_days.map(|d| chrono::Utc::now() + chrono::Duration::days(d));
            let invite = enishi_db::invites::create(&db, None, max_uses, expires).await?;
            println!("{}", invite.code);
            eprintln!(
                "invite code for {} sign-up(s){}",
                invite.max_uses,
                invite
                    .expires_at
                    .map(|t| format!(", valid until {}", t.format("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn set_suspended(config: Config, name: &str, suspended: bool) -> anyhow::Result<ExitCode> {
    let db = crate::open_database(&config).await?;
    if !accounts::set_suspended(&db, name, suspended, enishi_db::audit::COMMAND_LINE).await? {
        eprintln!("error: no member named {name:?}");
        return Ok(ExitCode::from(3));
    }
    println!(
        "{} {name}",
        if suspended { "suspended" } else { "reinstated" }
    );
    Ok(ExitCode::SUCCESS)
}

async fn create_user(
    config: Config,
    name: &str,
    admin: bool,
    generate: bool,
) -> anyhow::Result<ExitCode> {
    // Validate the name before asking for a password or opening the database.
    if let Err(e) = enishi_core::Username::parse(name) {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(2));
    }
    let password = if generate {
        enishi_db::password::generate()
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            bail!(
                "no password on standard input; pipe one in (echo 'PASSWORD' | enishi user create {name}) or use --generate-password"
            );
        }
        line
    };
    let db = crate::open_database(&config).await?;
    let keys = tokio::task::spawn_blocking(generate_actor_keys).await?;
    let settings = &config.instance;
    match accounts::create(
        &db,
        settings,
        NewMember {
            username: name,
            password: &password,
            is_admin: admin,
            keys,
        },
    )
    .await
    {
        Ok(member) => {
            println!(
                "created {}{} — {}",
                member.actor.handle(),
                if admin { " (admin)" } else { "" },
                member.actor.ap_id
            );
            if generate {
                println!("password: {password}");
                eprintln!("the password is shown only this once");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(CreateMemberError::Invalid(e)) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
        Err(e @ CreateMemberError::UsernameTaken(_)) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(3))
        }
        Err(CreateMemberError::Db(e)) => Err(e.into()),
    }
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let running = crate::start(config, listener, shutdown_signal()).await?;
    let base = running.base_url.clone();
    let bind = running.config.bind;
    let members = accounts::list(&running.db).await?.len();
    if members == 0 {
        println!("No members yet. Create the first one (an administrator) with:");
        println!("  enishi user create NAME --admin --generate-password");
    }
    println!(
        "Enishi is serving {base} (listening on {bind}, database: {:?})",
        running.db.backend
    );
    crate::wait(running).await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn worker(config: Config) -> anyhow::Result<ExitCode> {
    let db = crate::open_database(&config).await?;
    if db.backend == enishi_db::Backend::Sqlite {
        eprintln!(
            "note: on SQLite run one worker process only (or serve's own workers); PostgreSQL allows many"
        );
    }
    let metrics = std::sync::Arc::new(enishi_apub::outbox::Metrics::default());
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let db = crate::worker_database(&config, &db).await?;
    // Its own `/metrics`, when an address is configured: the delivery counters are per process.
    let metrics_task = match config.access.metrics_bind {
        Some(addr) => {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("ENISHI_METRICS_BIND: cannot listen on {addr}"))?;
            println!(
                "Enishi worker metrics on http://{}/metrics",
                l.local_addr()?
            );
            let router = enishi_web::worker_metrics_router(db.clone(), metrics.clone());
            Some(tokio::spawn(async move {
                if let Err(e) = axum::serve(l, router).await {
                    tracing::warn!(error = %e, "the metrics listener stopped");
                }
            }))
        }
        None => None,
    };
    let (blocks, blocks_task) = crate::live_blocks(&config, &db).await?;
    let w = crate::delivery_worker(&config, blocks, db, metrics, wake)?;
    println!("Enishi delivery worker running");
    w.run(shutdown_signal()).await;
    if let Some(t) = metrics_task {
        t.abort();
    }
    blocks_task.abort();
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
