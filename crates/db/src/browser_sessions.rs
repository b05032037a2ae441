//! Browser sessions of the web interface: a random secret in a cookie, of which only a SHA-256
//! is stored, so that a session works on every `enishi serve` process sharing the database and
//! a member can see and end each of their sessions.

use crate::entity::{account, browser_session};
use crate::{Db, accounts};
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use enishi_core::Member;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

/// How long a session lasts without being used.
pub const IDLE_LIFETIME: Duration = Duration::days(30);

fn hash(secret: &str) -> String {
    let d = digest(&SHA256, secret.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A random, URL-safe secret of 256 bits.
pub fn random_secret() -> Result<String, DbErr> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| DbErr::Custom("no randomness".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// One of a member's sessions, as their sessions page lists it.
#[derive(Debug, Clone)]
pub struct BrowserSession {
    /// Row id, to end it by.
    pub id: i64,
    /// The browser's `User-Agent` when it logged in (cut to 200 characters).
    pub user_agent: String,
    /// When it logged in.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_used_at: DateTime<Utc>,
}

/// Starts a session for an account; returns the secret for the cookie, which is not stored.
pub async fn create(db: &Db, account_id: i64, user_agent: &str) -> Result<String, DbErr> {
    let secret = random_secret()?;
    let now = Utc::now();
    browser_session::ActiveModel {
        account_id: Set(account_id),
        token_hash: Set(hash(&secret)),
        user_agent: Set(user_agent.chars().take(200).collect()),
        created_at: Set(now),
        last_used_at: Set(now),
        ..Default::default()
    }
    .insert(&db.conn)
    .await?;
    Ok(secret)
}

/// The member and session id a cookie's secret belongs to; `None` when the secret is unknown,
/// the session has been idle too long, or the member is suspended.
pub async fn authenticate(db: &Db, secret: &str) -> Result<Option<(Member, i64)>, DbErr> {
    let Some((row, Some(acct))) = browser_session::Entity::find()
        .filter(browser_session::Column::TokenHash.eq(hash(secret)))
        .find_also_related(account::Entity)
        .one(&db.conn)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if now - row.last_used_at > IDLE_LIFETIME {
        browser_session::Entity::delete_by_id(row.id)
            .exec(&db.conn)
            .await?;
        return Ok(None);
    }
    if acct.suspended_at.is_some() {
        return Ok(None);
    }
    let id = row.id;
    // Touch at most once a minute, so that page views do not all become writes.
    if now - row.last_used_at > Duration::minutes(1) {
        let mut active: browser_session::ActiveModel = row.into();
        active.last_used_at = Set(now);
        active.update(&db.conn).await?;
    }
    Ok(accounts::find_by_username(db, &acct.username)
        .await?
        .map(|m| (m, id)))
}

/// A member's sessions, most recently used first.
pub async fn list(db: &Db, account_id: i64) -> Result<Vec<BrowserSession>, DbErr> {
    Ok(browser_session::Entity::find()
        .filter(browser_session::Column::AccountId.eq(account_id))
        .order_by_desc(browser_session::Column::LastUsedAt)
        .order_by_desc(browser_session::Column::Id)
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|r| BrowserSession {
            id: r.id,
            user_agent: r.user_agent,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
        .collect())
}

/// Ends one of a member's own sessions; false when they have none by that id.
pub async fn end(db: &Db, account_id: i64, id: i64) -> Result<bool, DbErr> {
    let res = browser_session::Entity::delete_many()
        .filter(browser_session::Column::AccountId.eq(account_id))
        .filter(browser_session::Column::Id.eq(id))
        .exec(&db.conn)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Ends every session of a member but one (after a password change, say).
pub async fn end_all_but(db: &Db, account_id: i64, keep: Option<i64>) -> Result<u64, DbErr> {
    let mut q = browser_session::Entity::delete_many()
        .filter(browser_session::Column::AccountId.eq(account_id));
    if let Some(keep) = keep {
        q = q.filter(browser_session::Column::Id.ne(keep));
    }
    Ok(q.exec(&db.conn).await?.rows_affected)
}
