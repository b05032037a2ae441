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
