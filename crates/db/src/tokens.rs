//! API bearer tokens. Only a SHA-256 of each token is stored.

use crate::entity::{account, api_token};
use crate::{Db, accounts};
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use chrono::Utc;
use enishi_core::Member;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};

fn hash(token: &str) -> String {
    let d = digest(&SHA256, token.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Issues a new token for `account_id`, named for the person's own reference. Returns the
/// token, which is not stored and cannot be shown again.
pub async fn create(db: &Db, account_id: i64, name: &str) -> Result<String, DbErr> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| DbErr::Custom("no randomness".into()))?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    api_token::ActiveModel {
        account_id: Set(account_id),
        name: Set(name.chars().take(100).collect()),
        token_hash: Set(hash(&token)),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&db.conn)
    .await?;
    Ok(token)
}

/// The member a token belongs to, unless the token is unknown or the member suspended.
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<Member>, DbErr> {
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
    if row
        .last_used_at
        .is_none_or(|t| Utc::now() - t > chrono::Duration::minutes(1))
    {
        let mut active: api_token::ActiveModel = row.into();
        active.last_used_at = Set(Some(Utc::now()));
        active.update(&db.conn).await?;
    }
    accounts::find_by_username(db, &acct.username).await
}

/// Revokes a token; false if it was unknown.
pub async fn revoke(db: &Db, token: &str) -> Result<bool, DbErr> {
    let res = api_token::Entity::delete_many()
        .filter(api_token::Column::TokenHash.eq(hash(token)))
        .exec(&db.conn)
        .await?;
    Ok(res.rows_affected > 0)
}
