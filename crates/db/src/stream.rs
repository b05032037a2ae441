//! What is new since a mark, for the streaming API (issue 18): posts and notifications with
//! row ids above the last ones seen. Every web process polls these on its own, so a post
//! written through one process reaches streams held by another.

use crate::Db;
use crate::entity::{notification, post};
use enishi_core::{ActorId, PostKind};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// A post newer than the mark: enough to decide, per stream, whether to read it.
#[derive(Clone, Debug)]
pub struct NewPost {
    /// Row id (the Mastodon status id).
    pub id: i64,
    /// Diary or voice.
    pub kind: PostKind,
    /// Its public id, to read it through the audience rule.
    pub public_id: String,
    /// Its author.
    pub author: ActorId,
}

/// A notification newer than the mark.
#[derive(Clone, Copy, Debug)]
pub struct NewNotification {
    /// Row id.
    pub id: i64,
    /// Who it is for.
    pub recipient: ActorId,
}

/// The highest post and notification ids now (0 for none).
pub async fn marks(db: &Db) -> Result<(i64, i64), DbErr> {
    let post = post::Entity::find()
        .order_by_desc(post::Column::Id)
        .one(&db.conn)
        .await?
        .map_or(0, |p| p.id);
    let note = notification::Entity::find()
        .order_by_desc(notification::Column::Id)
        .one(&db.conn)
        .await?
        .map_or(0, |n| n.id);
    Ok((post, note))
}

/// Posts with ids above `after`, oldest first, at most `limit`.
pub async fn posts_after(db: &Db, after: i64, limit: u64) -> Result<Vec<NewPost>, DbErr> {
    let rows = post::Entity::find()
        .filter(post::Column::Id.gt(after))
        .order_by_asc(post::Column::Id)
        .limit(limit)
        .all(&db.conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|p| {
            Some(NewPost {
                id: p.id,
                kind: p.kind.parse().ok()?,
                public_id: p.public_id,
                author: ActorId(p.author_id),
            })
        })
        .collect())
}

/// Notifications with ids above `after`, oldest first, at most `limit`.
pub async fn notifications_after(
    db: &Db,
    after: i64,
    limit: u64,
) -> Result<Vec<NewNotification>, DbErr> {
    let rows = notification::Entity::find()
        .filter(notification::Column::Id.gt(after))
        .order_by_asc(notification::Column::Id)
        .limit(limit)
        .all(&db.conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|n| NewNotification {
            id: n.id,
            recipient: ActorId(n.recipient_id),
        })
        .collect())
}
