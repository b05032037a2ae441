//! `Idempotency-Key` of Mastodon apps: a status posted again with the same key (a retry after
//! a lost answer) is the first one, not a second post. Keys are kept per member.

use crate::Db;
use crate::entity::idempotency_key;
use chrono::Utc;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};

/// How long a key is remembered (Mastodon keeps them for an hour).
pub const LIFETIME: chrono::Duration = chrono::Duration::hours(1);

/// The post made with `key` by `account_id` within the last hour, if any.
pub async fn find(db: &Db, account_id: i64, key: &str) -> Result<Option<i64>, DbErr> {
    Ok(idempotency_key::Entity::find()
        .filter(idempotency_key::Column::AccountId.eq(account_id))
        .filter(idempotency_key::Column::Key.eq(crate::tokens::hash(key)))
        .filter(idempotency_key::Column::CreatedAt.gt(Utc::now() - LIFETIME))
        .one(&db.conn)
        .await?
        .map(|r| r.post_id))
}

/// Remembers that `key` made `post_id`, replacing an expired use of the same key.
pub async fn remember(db: &Db, account_id: i64, key: &str, post_id: i64) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::AccountId.eq(account_id))
        .filter(idempotency_key::Column::CreatedAt.lte(Utc::now() - LIFETIME))
        .exec(&db.conn)
        .await?;
    let row = idempotency_key::ActiveModel {
        account_id: Set(account_id),
        // Kept as a hash: any length of key fits, and the same key always matches.
        key: Set(crate::tokens::hash(key)),
        post_id: Set(post_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    idempotency_key::Entity::insert(row)
        .on_conflict_do_nothing_on([
            idempotency_key::Column::AccountId,
            idempotency_key::Column::Key,
        ])
        .exec(&db.conn)
        .await?;
    Ok(())
}
