//! Invite codes for `invite` registration.

use crate::Db;
use crate::entity::invite;
use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::{ActiveModelTrait, DbErr, Set};

/// An invite code that lets someone sign up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// The code to hand out.
    pub code: String,
    /// How many sign-ups it allows.
    pub max_uses: i32,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Creates an invite code (16 random characters).
pub async fn create(
    db: &Db,
    created_by: Option<i64>,
    max_uses: i32,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Invite, DbErr> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let code: String = (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    let row = invite::ActiveModel {
        code: Set(code),
        created_by: Set(created_by),
        max_uses: Set(max_uses),
        uses: Set(0),
        expires_at: Set(expires_at),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&db.conn)
    .await?;
    Ok(Invite {
        code: row.code,
        max_uses: row.max_uses,
        expires_at: row.expires_at,
    })
}

/// An invite as the admin page lists it.
#[derive(Debug, Clone)]
pub struct InviteRow {
    /// Row id.
    pub id: i64,
    /// The code.
    pub code: String,
    /// Sign-ups it allows.
    pub max_uses: i32,
    /// Sign-ups it has given.
    pub uses: i32,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// Every invite, newest first.
pub async fn list(db: &Db) -> Result<Vec<InviteRow>, DbErr> {
    use sea_orm::{EntityTrait, QueryOrder};
    Ok(invite::Entity::find()
        .order_by_desc(invite::Column::Id)
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|r| InviteRow {
            id: r.id,
            code: r.code,
            max_uses: r.max_uses,
            uses: r.uses,
            expires_at: r.expires_at,
            created_at: r.created_at,
        })
        .collect())
}

/// Withdraws an invite; false when there was none by that id.
pub async fn delete(db: &Db, id: i64) -> Result<bool, DbErr> {
    use sea_orm::EntityTrait;
    Ok(invite::Entity::delete_by_id(id)
        .exec(&db.conn)
        .await?
        .rows_affected
        > 0)
}
