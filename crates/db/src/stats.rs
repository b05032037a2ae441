//! Usage figures for NodeInfo.

use crate::Db;
use crate::entity::account;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

/// Usage counts as NodeInfo reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Members who are not suspended.
    pub total_users: u64,
    /// Posts written here (diaries and voice posts).
    pub local_posts: u64,
}

/// Counts members and local posts.
pub async fn usage(db: &Db) -> Result<Usage, DbErr> {
    let total_users = account::Entity::find()
        .filter(account::Column::SuspendedAt.is_null())
        .count(&db.conn)
        .await?;
    Ok(Usage {
        total_users,
        local_posts: crate::posts::count_local(db).await?,
    })
}
