//! `enishi domain …`, `enishi account …`, `enishi report …` and `enishi audit`: server blocks,
//! single accounts of other servers, the report queue and the audit log from the command line. A block made here takes effect in
//! every running process within a second.

use crate::Config;
use clap::Subcommand;
use enishi_core::moderation::Severity;
use enishi_db::audit::COMMAND_LINE;
use enishi_db::domain_blocks::{self, NewBlock};
use enishi_db::{OpError, domain_block_csv};
use std::path::PathBuf;
use std::process::ExitCode;

/// `enishi domain …`.
#[derive(Subcommand)]
pub enum DomainCommand {
    /// Block a server (or change its block). `reject`: nothing in or out, what is kept of its
    /// accounts removed, our members' friendships with them ended (they are told). `limit`:
    /// its accounts reach only members who are already their friends.
    Block {
        /// The server's domain, e.g. spam.example (covers its subdomains).
        domain: String,
        /// reject or limit (Mastodon's suspend and silence are understood too).
        #[arg(long, default_value = "reject")]
        severity: String,
        /// Why, for moderators (kept in the audit log too).
        #[arg(long)]
        reason: Option<String>,
        /// Why, as members and the export see it.
        #[arg(long)]
        public_comment: Option<String>,
    },
    /// Lift a server's block (what a reject removed stays removed).
    Unblock {
        /// The server's domain.
        domain: String,
    },
    /// List the blocked servers.
    List,
    /// Block every server of a file: Mastodon's domain block CSV, or one domain per line.
    Import {
        /// The file.
        file: PathBuf,
    },
    /// Write the blocks as Mastodon's domain block CSV (to standard output without FILE).
    Export {
        /// The file to write.
        file: Option<PathBuf>,
    },
}

/// `enishi account …`: one account of another server.
#[derive(Subcommand)]
pub enum AccountCommand {
    /// Suspend an account of another server: nothing in or out, what is kept of it removed,
    /// our members' friendships with it ended (they are told).
    Suspend {
        /// Its handle (name@server) or actor URL; it must be known here.
        account: String,
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Limit an account of another server: it reaches only members who are already its
    /// friends, and its friend requests wait apart.
    Limit {
        /// Its handle or actor URL.
        account: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Lift an account's suspension or limit (what a suspension removed stays removed).
    Lift {
        /// Its handle or actor URL.
        account: String,
    },
    /// List the suspended and limited accounts.
    List,
}

/// Runs an `account` command.
pub async fn account(config: Config, command: AccountCommand) -> anyhow::Result<ExitCode> {
    use enishi_db::account_blocks;
    let db = crate::open_database(&config).await?;
    let (name, severity, reason) = match command {
        AccountCommand::List => {
            for (a, s) in account_blocks::list(&db).await? {
                println!("{}\t{}\t{}", a.handle(), s.as_str(), a.ap_id);
            }
            return Ok(ExitCode::SUCCESS);
        }
        AccountCommand::Suspend { account, reason } => (account, Some(Severity::Reject), reason),
        AccountCommand::Limit { account, reason } => (account, Some(Severity::Limit), reason),
        AccountCommand::Lift { account } => (account, None, None),
    };
    let name = name.trim().trim_start_matches('@').to_owned();
    let found = match url::Url::parse(&name) {
        Ok(url) => enishi_db::actors::find_by_ap_id(&db, &url).await?,
        Err(_) => match name.split_once('@') {
            Some((user, domain)) => {
                enishi_db::actors::find_remote_by_handle(&db, user, domain).await?
            }
            None => None,
        },
    };
    let Some(account) = found.filter(|a| !a.is_local) else {
        eprintln!("error: no account of another server known here as {name:?}");
        return Ok(ExitCode::from(3));
    };
    match account_blocks::moderate(&db, &account, severity, COMMAND_LINE, reason.as_deref()).await {
        Ok(done) => {
            let what = match severity {
                Some(Severity::Reject) => "suspended",
                Some(Severity::Limit) => "limited",
                None => "lifted",
            };
            println!(
                "{} {what}; {} friendship(s) ended",
                account.handle(),
                done.friendships_ended
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(e),
    }
}

/// `enishi report …`: the report queue from the command line (acting as an admin).
#[derive(Subcommand)]
pub enum ReportCommand {
    /// List reports, newest first.
    List {
        /// open (default), resolved, dismissed or all.
        #[arg(long, default_value = "open", value_parser = ["open", "resolved", "dismissed", "all"])]
        state: String,
    },
    /// Resolve a report, taking any of the actions.
    Resolve {
        /// The report's id.
        id: String,
        /// Remove the reported posts and comments.
        #[arg(long)]
        delete_content: bool,
        /// Suspend the account (a member here, or one of another server).
        #[arg(long)]
        suspend: bool,
        /// Limit the account (another server's).
        #[arg(long)]
        limit: bool,
        /// Block the account's server (reject).
        #[arg(long)]
        block_server: bool,
        /// What was decided, for the audit log.
        #[arg(long)]
        note: Option<String>,
    },
    /// Dismiss a report: nothing to act on.
    Dismiss {
        /// The report's id.
        id: String,
        /// Why, for the audit log.
        #[arg(long)]
        note: Option<String>,
    },
}

/// Runs a `report` command.
pub async fn report(config: Config, command: ReportCommand) -> anyhow::Result<ExitCode> {
    use enishi_core::report::{ReportAction, ReportState};
    use enishi_db::report_actions::{self, Moderator};
    use enishi_db::reports;
    let db = crate::open_database(&config).await?;
    let by = Moderator {
        name: COMMAND_LINE,
        is_admin: true,
    };
    let (id, outcome, actions, note) = match command {
        ReportCommand::List { state } => {
            let which = ReportState::parse(&state);
            let list = reports::list(&db, which, None, 500).await?;
            if list.is_empty() {
                println!("no reports");
            }
            for r in list {
                let from = match (&r.reporter, &r.origin) {
                    (Some(a), _) => a.handle(),
                    (None, Some(o)) => format!("server {o}"),
                    (None, None) => "a member who left".into(),
                };
                println!(
                    "{}\t{}\t{}\t{}\tby {from}\t{} object(s)\t{}",
                    r.public_id,
                    r.created_at.format("%Y-%m-%d %H:%M"),
                    r.state.as_str(),
                    r.target.handle(),
                    r.objects.len(),
                    r.comment
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        ReportCommand::Resolve {
            id,
            delete_content,
            suspend,
            limit,
            block_server,
            note,
        } => {
            let mut actions = Vec::new();
            for (on, a) in [
                (delete_content, ReportAction::DeleteContent),
                (suspend, ReportAction::SuspendAccount),
                (limit, ReportAction::LimitAccount),
                (block_server, ReportAction::BlockServer),
            ] {
                if on {
                    actions.push(a);
                }
            }
            (id, ReportState::Resolved, actions, note)
        }
        ReportCommand::Dismiss { id, note } => (id, ReportState::Dismissed, Vec::new(), note),
    };
    let report = match reports::get(&db, &id).await {
        Ok(r) => r,
        Err(OpError::NotFound(m)) => {
            eprintln!("error: {m}");
            return Ok(ExitCode::from(3));
        }
        Err(e) => return refused(e),
    };
    if let Err(e) = report_actions::check(&report, &actions, by) {
        return refused(e);
    }
    for a in actions {
        if let Err(e) = report_actions::act(&db, &report, a, by).await {
            return refused(e);
        }
    }
    let done = reports::close(&db, &id, by.name, outcome, note.as_deref()).await?;
    println!("report {} {}", done.public_id, done.state.as_str());
    Ok(ExitCode::SUCCESS)
}

/// Prints a refusal as the other commands do; 2 for bad input.
fn refused(e: OpError) -> anyhow::Result<ExitCode> {
    match e {
        OpError::Db(e) => Err(e.into()),
        other => {
            eprintln!("error: {other}");
            Ok(ExitCode::from(2))
        }
    }
}

/// Runs a `domain` command.
pub async fn domain(config: Config, command: DomainCommand) -> anyhow::Result<ExitCode> {
    let db = crate::open_database(&config).await?;
    match command {
        DomainCommand::Block {
            domain,
            severity,
            reason,
            public_comment,
        } => {
            let severity: Severity = match severity.parse() {
                Ok(s) => s,
                Err(e) => return refused(OpError::Invalid(e)),
            };
            let new = NewBlock {
                domain,
                severity,
                private_comment: reason,
                public_comment,
            };
            match domain_blocks::block(&db, new, COMMAND_LINE).await {
                Ok(b) => {
                    println!(
                        "{} {} ({}){}",
                        if b.created { "blocked" } else { "changed" },
                        b.domain,
                        severity.as_str(),
                        if severity == Severity::Reject {
                            format!(
                                "; {} friendships ended, {} accounts cleared",
                                b.friendships_ended, b.accounts_cleared
                            )
                        } else {
                            String::new()
                        }
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(e),
            }
        }
        DomainCommand::Unblock { domain } => {
            match domain_blocks::unblock(&db, &domain, COMMAND_LINE).await {
                Ok(true) => {
                    println!("unblocked {}", domain.trim().to_ascii_lowercase());
                    Ok(ExitCode::SUCCESS)
                }
                Ok(false) => {
                    eprintln!("error: {domain} is not blocked");
                    Ok(ExitCode::from(2))
                }
                Err(e) => refused(e),
            }
        }
        DomainCommand::List => {
            let blocks = domain_blocks::list(&db).await?;
            if blocks.is_empty() {
                println!("no server is blocked");
            }
            for b in blocks {
                println!(
                    "{}\t{}\t{}\t{}",
                    b.domain,
                    b.severity.as_str(),
                    b.created_at.format("%Y-%m-%d"),
                    b.private_comment.unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DomainCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let parsed = match domain_block_csv::parse(&text) {
                Ok(p) => p,
                Err(e) => return refused(OpError::Invalid(e)),
            };
            let mut made = 0;
            for new in parsed.blocks {
                match domain_blocks::block(&db, new, COMMAND_LINE).await {
                    Ok(b) => {
                        made += 1;
                        println!("blocked {}", b.domain);
                    }
                    Err(e) => return refused(e),
                }
            }
            for d in &parsed.skipped {
                println!("skipped {d} (noop: no block)");
            }
            println!("{made} servers blocked");
            Ok(ExitCode::SUCCESS)
        }
        DomainCommand::Export { file } => {
            let csv = domain_block_csv::export(&domain_blocks::list(&db).await?)?;
            match file {
                Some(f) => std::fs::write(&f, csv)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", f.display()))?,
                None => print!("{csv}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `enishi audit`: the newest moderation actions, newest first.
pub async fn audit(config: Config, limit: u64) -> anyhow::Result<ExitCode> {
    let db = crate::open_database(&config).await?;
    let entries = enishi_db::audit::list(&db, None, limit).await?;
    if entries.is_empty() {
        println!("no moderation action yet");
    }
    for e in entries {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.moderator,
            e.action,
            e.target,
            e.reason.unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
