//! Server blocks kept in the database (issue 17): made and lifted at run time by the admin
//! commands and pages, in force in every process within a second (each polls a generation
//! mark), recorded in the audit log. A `reject` block also removes what this instance keeps of
//! the server's accounts and ends our members' friendships with them, telling the members.

use crate::entity::{
    actor, block, boost, comment, domain_block, follow, footprint, friendship, inbound_activity,
    instance_setting, introduction, known_friendship, media, notification, post, post_like,
    post_recipient,
};
use crate::error::OpResult;
use crate::{Db, audit, notifications};
use chrono::{DateTime, Utc};
use enishi_core::moderation::{DomainBlocks, LiveBlocks, Severity, normalize_domain};
use enishi_core::{ActorId, NotificationKind, ValidationError};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::time::Duration;

/// Changes whenever the list changes; processes poll it.
const GENERATION_KEY: &str = "domain_blocks_generation";
/// The domains of `ENISHI_BLOCKED_DOMAINS` already put in the list once (an admin may lift
/// them afterwards; a restart does not put them back).
const SEEDED_KEY: &str = "domain_blocks_seeded";
/// Longest accepted comment.
const MAX_COMMENT: usize = 1_000;

/// A server block as moderators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainBlock {
    /// `host[:port]`, lower-case.
    pub domain: String,
    /// How hard.
    pub severity: Severity,
    /// For moderators only.
    pub private_comment: Option<String>,
    /// Shown to members, exported.
    pub public_comment: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A block to make (or change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBlock {
    /// The server, as given (normalised by [`block`]).
    pub domain: String,
    /// How hard.
    pub severity: Severity,
    /// For moderators only.
    pub private_comment: Option<String>,
    /// Shown to members, exported.
    pub public_comment: Option<String>,
}

/// What making a block did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blocked {
    /// The normalised domain.
    pub domain: String,
    /// Whether the server was not blocked before (otherwise its block changed).
    pub created: bool,
    /// Friendships of our members with its accounts that ended (`reject` only).
    pub friendships_ended: u64,
    /// Its accounts whose content was removed here (`reject` only).
    pub accounts_cleared: u64,
}

fn to_block(row: domain_block::Model) -> DomainBlock {
    DomainBlock {
        severity: row.severity.parse().unwrap_or(Severity::Reject),
        domain: row.domain,
        private_comment: row.private_comment,
        public_comment: row.public_comment,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

fn comment(field: &'static str, c: Option<String>) -> Result<Option<String>, ValidationError> {
    let c = c.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    if c.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT) {
        return Err(ValidationError::new(
            field,
            format!("at most {MAX_COMMENT} characters"),
        ));
    }
    Ok(c)
}

/// Every block, by domain.
pub async fn list(db: &Db) -> OpResult<Vec<DomainBlock>> {
    Ok(domain_block::Entity::find()
        .order_by_asc(domain_block::Column::Domain)
        .all(&db.conn)
        .await?
        .into_iter()
        .map(to_block)
        .collect())
}

/// The blocks in force, as the matching rule reads them.
pub async fn load(conn: &impl ConnectionTrait) -> Result<DomainBlocks, DbErr> {
    let rows = domain_block::Entity::find().all(conn).await?;
    let accounts: Vec<(String, Option<String>)> = actor::Entity::find()
        .select_only()
        .column(actor::Column::ApId)
        .column(actor::Column::Moderation)
        .filter(actor::Column::Moderation.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    Ok(DomainBlocks::new(rows.into_iter().map(|r| {
        let severity = r.severity.parse().unwrap_or(Severity::Reject);
        (r.domain, severity)
    }))
    .with_accounts(accounts.into_iter().filter_map(|(id, m)| {
        let severity = m?.parse().ok()?;
        Some((id, severity))
    })))
}

/// The list's generation mark: it changes with every change of the list.
pub async fn generation(conn: &impl ConnectionTrait) -> Result<String, DbErr> {
    Ok(
        instance_setting::Entity::find_by_id(GENERATION_KEY.to_owned())
            .one(conn)
            .await?
            .map(|r| r.value)
            .unwrap_or_default(),
    )
}

async fn set_setting(conn: &impl ConnectionTrait, key: &str, value: String) -> Result<(), DbErr> {
    instance_setting::Entity::insert(instance_setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value),
    })
    .on_conflict(
        OnConflict::column(instance_setting::Column::Key)
            .update_column(instance_setting::Column::Value)
            .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

pub(crate) async fn bump_generation(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    set_setting(conn, GENERATION_KEY, uuid::Uuid::now_v7().to_string()).await
}

/// Blocks a server (or changes its block), as `moderator`, and records it in the audit log.
/// With `reject`, everything kept here of its accounts goes and friendships with them end.
pub async fn block(db: &Db, new: NewBlock, moderator: &str) -> OpResult<Blocked> {
    let domain = normalize_domain(&new.domain)?;
    let private_comment = comment("private_comment", new.private_comment)?;
    let public_comment = comment("public_comment", new.public_comment)?;
    let txn = db.conn.begin().await?;
    let now = Utc::now();
    let existing = domain_block::Entity::find()
        .filter(domain_block::Column::Domain.eq(&domain))
        .one(&txn)
        .await?;
    let created = existing.is_none();
    // An upsert: processes seeding the same setting at once must not collide.
    domain_block::Entity::insert(domain_block::ActiveModel {
        domain: Set(domain.clone()),
        severity: Set(new.severity.as_str().into()),
        private_comment: Set(private_comment.clone()),
        public_comment: Set(public_comment),
        created_at: Set(existing.map_or(now, |e| e.created_at)),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(domain_block::Column::Domain)
            .update_columns([
                domain_block::Column::Severity,
                domain_block::Column::PrivateComment,
                domain_block::Column::PublicComment,
                domain_block::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    let mut outcome = Blocked {
        domain: domain.clone(),
        created,
        ..Default::default()
    };
    if new.severity == Severity::Reject {
        let (friendships, accounts) = clear(db, &txn, &domain).await?;
        outcome.friendships_ended = friendships;
        outcome.accounts_cleared = accounts;
    }
    bump_generation(&txn).await?;
    let what = format!(
        "{}{}; {} friendships ended, {} accounts cleared",
        new.severity.as_str(),
        private_comment
            .map(|c| format!(": {c}"))
            .unwrap_or_default(),
        outcome.friendships_ended,
        outcome.accounts_cleared,
    );
    audit::record(&txn, moderator, "domain_block", &domain, Some(&what)).await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Lifts a server's block; returns whether there was one. What a `reject` removed stays
/// removed.
pub async fn unblock(db: &Db, domain: &str, moderator: &str) -> OpResult<bool> {
    let domain = normalize_domain(domain)?;
    let txn = db.conn.begin().await?;
    let gone = domain_block::Entity::delete_many()
        .filter(domain_block::Column::Domain.eq(&domain))
        .exec(&txn)
        .await?
        .rows_affected
        > 0;
    if gone {
        bump_generation(&txn).await?;
        audit::record(&txn, moderator, "domain_unblock", &domain, None).await?;
    }
    txn.commit().await?;
    Ok(gone)
}

/// Puts the start-up setting's servers in the list as `reject` blocks, each once: a server an
/// admin unblocked later stays unblocked across restarts.
pub async fn seed(db: &Db, domains: &[String]) -> OpResult<Vec<String>> {
    let seeded: Vec<String> = instance_setting::Entity::find_by_id(SEEDED_KEY.to_owned())
        .one(&db.conn)
        .await?
        .and_then(|r| serde_json::from_str(&r.value).ok())
        .unwrap_or_default();
    let mut added = Vec::new();
    let mut all = seeded.clone();
    for d in domains {
        let d = normalize_domain(d)?;
        if seeded.contains(&d) {
            continue;
        }
        let new = NewBlock {
            domain: d.clone(),
            severity: Severity::Reject,
            private_comment: Some("from ENISHI_BLOCKED_DOMAINS".into()),
            public_comment: None,
        };
        block(db, new, "setting ENISHI_BLOCKED_DOMAINS").await?;
        all.push(d.clone());
        added.push(d);
    }
    if !added.is_empty() {
        let value = serde_json::to_string(&all).map_err(|e| DbErr::Custom(e.to_string()))?;
        set_setting(&db.conn, SEEDED_KEY, value).await?;
    }
    Ok(added)
}

/// Keeps `live` in step with the database: loads the list now, then polls the generation
/// mark every `every` and reloads when it changed. Ends with the process.
pub async fn keep_live(
    db: Db,
    live: LiveBlocks,
    every: Duration,
) -> Result<tokio::task::JoinHandle<()>, DbErr> {
    let mut seen = generation(&db.conn).await?;
    live.replace(load(&db.conn).await?);
    Ok(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match generation(&db.conn).await {
                Ok(g) if g != seen => match load(&db.conn).await {
                    Ok(blocks) => {
                        live.replace(blocks);
                        seen = g;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not reload the server blocks"),
                },
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the server blocks' mark"),
            }
        }
    }))
}

/// Ends every friendship of a member here with an account of `domain` (telling the member)
/// and removes what is kept of those accounts: their posts, comments, likes, boosts,
/// introductions, footprints, follows and notifications. The accounts themselves stay (a
/// notice names them). Returns (friendships ended, accounts cleared).
async fn clear(db: &Db, txn: &DatabaseTransaction, domain: &str) -> OpResult<(u64, u64)> {
    let rule = DomainBlocks::new([(domain.to_owned(), Severity::Reject)]);
    let host = domain.split(':').next().unwrap_or(domain);
    let candidates = actor::Entity::find()
        .filter(actor::Column::IsLocal.eq(false))
        .filter(actor::Column::Domain.contains(host))
        .all(txn)
        .await?;
    let gone: Vec<actor::Model> = candidates
        .into_iter()
        .filter(|a| rule.rejects(&a.domain))
        .collect();
    clear_accounts(db, txn, gone).await
}

/// Ends every friendship of a member here with the accounts `gone` (telling the member) and
/// removes what is kept of them (see [`clear`]). Returns (friendships ended, accounts cleared).
pub(crate) async fn clear_accounts(
    db: &Db,
    txn: &DatabaseTransaction,
    gone: Vec<actor::Model>,
) -> OpResult<(u64, u64)> {
    let mut ended = 0;
    for chunk in gone.chunks(200) {
        let mut told = Vec::new();
        let ids: Vec<i64> = chunk.iter().map(|a| a.id).collect();
        let pairs: Vec<(i64, i64)> = friendship::Entity::find()
            .select_only()
            .column(friendship::Column::OwnerId)
            .column(friendship::Column::FriendId)
            .filter(friendship::Column::FriendId.is_in(ids.clone()))
            .into_tuple()
            .all(txn)
            .await?;
        for (owner, friend) in pairs {
            let (Some(member), Some(other)) = (
                crate::actors::find_by_id(txn, ActorId(owner)).await?,
                chunk.iter().find(|a| a.id == friend).cloned(),
            ) else {
                continue;
            };
            if !member.is_local {
                continue;
            }
            let other = crate::actors::to_domain(other)?;
            crate::social::sever(txn, member.id, other.id).await?;
            crate::friend_proof::tell_holders(db, txn, &member, &other).await?;
            told.push((owner, friend));
            ended += 1;
        }
        remove_traces(txn, &ids).await?;
        // After the traces, which include every earlier notice from these accounts.
        for (owner, friend) in told {
            notifications::create(
                txn,
                ActorId(owner),
                NotificationKind::ServerBlocked,
                ActorId(friend),
                Default::default(),
            )
            .await?;
        }
    }
    Ok((ended, gone.len() as u64))
}

/// Deletes every row that refers to the actors `ids` except the actors themselves.
pub(crate) async fn remove_traces(txn: &DatabaseTransaction, ids: &[i64]) -> Result<(), DbErr> {
    let ids = ids.to_vec();
    follow::Entity::delete_many()
        .filter(
            Condition::any()
                .add(follow::Column::FollowerId.is_in(ids.clone()))
                .add(follow::Column::FolloweeId.is_in(ids.clone())),
        )
        .exec(txn)
        .await?;
    friendship::Entity::delete_many()
        .filter(
            Condition::any()
                .add(friendship::Column::OwnerId.is_in(ids.clone()))
                .add(friendship::Column::FriendId.is_in(ids.clone())),
        )
        .exec(txn)
        .await?;
    notification::Entity::delete_many()
        .filter(notification::Column::ActorId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    comment::Entity::delete_many()
        .filter(comment::Column::AuthorId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    post_like::Entity::delete_many()
        .filter(post_like::Column::ActorId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    boost::Entity::delete_many()
        .filter(boost::Column::BoosterId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    introduction::Entity::delete_many()
        .filter(
            Condition::any()
                .add(introduction::Column::WriterId.is_in(ids.clone()))
                .add(introduction::Column::SubjectId.is_in(ids.clone())),
        )
        .exec(txn)
        .await?;
    footprint::Entity::delete_many()
        .filter(
            Condition::any()
                .add(footprint::Column::VisitorId.is_in(ids.clone()))
                .add(footprint::Column::OwnerId.is_in(ids.clone())),
        )
        .exec(txn)
        .await?;
    block::Entity::delete_many()
        .filter(block::Column::BlockerId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    post_recipient::Entity::delete_many()
        .filter(post_recipient::Column::ActorId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    known_friendship::Entity::delete_many()
        .filter(known_friendship::Column::OwnerId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    inbound_activity::Entity::delete_many()
        .filter(inbound_activity::Column::ActorId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    // Their posts last: what refers to a post (its comments, likes, photos, recipients,
    // notices) goes with it.
    post::Entity::delete_many()
        .filter(post::Column::AuthorId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    media::Entity::delete_many()
        .filter(media::Column::OwnerId.is_in(ids))
        .exec(txn)
        .await?;
    Ok(())
}
