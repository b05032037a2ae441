//! API bearer tokens: Enishi's own (every permission of their member) and Mastodon apps'
//! (the scopes granted to the app). Only a SHA-256 of each token is stored.

use crate::entity::{account, api_token, oauth_app};
use crate::{Db, accounts};
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use enishi_core::Member;
use enishi_core::scopes::Scopes;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

/// The SHA-256 of a secret (a token, a client secret, an authorization code), in hex.
pub(crate) fn hash(token: &str) -> String {
    let d = digest(&SHA256, token.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random secret: 32 bytes, URL-safe base64.
pub(crate) fn secret() -> Result<String, DbErr> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| DbErr::Custom("no randomness".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Issues a new token for `account_id`, named for the person's own reference. Returns the
/// token, which is not stored and cannot be shown again.
pub async fn create(db: &Db, account_id: i64, name: &str) -> Result<String, DbErr> {
    insert(&db.conn, account_id, name, None, None).await
}

/// Issues a token of Mastodon app `app` for `account_id` with `scopes` (the OAuth grants
/// call this; so does the benchmark).
pub async fn create_for_app(
    conn: &impl sea_orm::ConnectionTrait,
    account_id: i64,
    app: &oauth_app::Model,
    scopes: &Scopes,
) -> Result<String, DbErr> {
    insert(
        conn,
        account_id,
        &app.name,
        Some(app.id),
        Some(scopes.to_text()),
    )
    .await
}

async fn insert(
    conn: &impl sea_orm::ConnectionTrait,
    account_id: i64,
    name: &str,
    app_id: Option<i64>,
    scopes: Option<String>,
) -> Result<String, DbErr> {
    let token = secret()?;
    api_token::ActiveModel {
        account_id: Set(account_id),
        name: Set(name.chars().take(100).collect()),
        token_hash: Set(hash(&token)),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        app_id: Set(app_id),
        scopes: Set(scopes),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// What a token lets its bearer do.
#[derive(Clone, Debug)]
pub struct Grant {
    /// The token's row.
    pub id: i64,
    /// The Mastodon app it was issued to, if any.
    pub app_id: Option<i64>,
    /// Its scopes.
    pub scopes: Scopes,
}

/// The member a token belongs to, unless the token is unknown or the member suspended.
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<Member>, DbErr> {
    Ok(authenticate_grant(db, token).await?.map(|(m, _)| m))
}

/// The member a token belongs to with what the token grants, unless the token is unknown or
/// the member suspended.
pub async fn authenticate_grant(db: &Db, token: &str) -> Result<Option<(Member, Grant)>, DbErr> {
    let Some((row, Some(acct))) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(token)))
        .find_also_related(account::Entity)
        .one(&db.conn)
        .await?
    else {
        return Ok(None);
    };
    if acct.suspended_at.is_some() {
        return Ok(None);
    }
    // Touch at most once a minute, so that reads do not all become writes.
    let grant = Grant {
        id: row.id,
        app_id: row.app_id,
        scopes: match &row.scopes {
            None => Scopes::All,
            // Stored only after parsing; a row that no longer parses grants nothing.
            Some(text) => Scopes::parse(text).unwrap_or(Scopes::Granted(Vec::new())),
        },
    };
    if row
        .last_used_at
        .is_none_or(|t| Utc::now() - t > chrono::Duration::minutes(1))
    {
        let mut active: api_token::ActiveModel = row.into();
        active.last_used_at = Set(Some(Utc::now()));
        active.update(&db.conn).await?;
    }
    Ok(accounts::find_by_username(db, &acct.username)
        .await?
        .map(|m| (m, grant)))
}

/// A token as its member sees it on the settings page (never the token itself).
#[derive(Clone, Debug)]
pub struct TokenInfo {
    /// Its row, to revoke it by.
    pub id: i64,
    /// The app's name, or the name given to one of Enishi's own tokens.
    pub name: String,
    /// The app's website, if it gave one.
    pub website: Option<String>,
    /// Its scopes, space-separated (every permission for Enishi's own).
    pub scopes: String,
    /// Whether a Mastodon app holds it.
    pub is_app: bool,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The member's tokens, newest first.
pub async fn list(db: &Db, account_id: i64) -> Result<Vec<TokenInfo>, DbErr> {
    let rows = api_token::Entity::find()
        .filter(api_token::Column::AccountId.eq(account_id))
        .order_by_desc(api_token::Column::Id)
        .all(&db.conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let app = match row.app_id {
            Some(id) => oauth_app::Entity::find_by_id(id).one(&db.conn).await?,
            None => None,
        };
        out.push(TokenInfo {
            id: row.id,
            name: app.as_ref().map_or(row.name.clone(), |a| a.name.clone()),
            website: app.and_then(|a| a.website),
            scopes: row.scopes.unwrap_or_else(|| Scopes::All.to_text()),
            is_app: row.app_id.is_some(),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        });
    }
    Ok(out)
}

/// Revokes one of the member's tokens by its row; false if they have none by that id.
pub async fn revoke_by_id(db: &Db, account_id: i64, id: i64) -> Result<bool, DbErr> {
    let res = api_token::Entity::delete_many()
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::AccountId.eq(account_id))
        .exec(&db.conn)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Revokes a token; false if it was unknown.
pub async fn revoke(db: &Db, token: &str) -> Result<bool, DbErr> {
    let res = api_token::Entity::delete_many()
        .filter(api_token::Column::TokenHash.eq(hash(token)))
        .exec(&db.conn)
        .await?;
    Ok(res.rows_affected > 0)
}
