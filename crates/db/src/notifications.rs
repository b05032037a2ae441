//! In-site notifications (mixi told people on the site, not by e-mail).

use crate::entity::{comment, introduction, notification, post};
use crate::error::OpResult;
use crate::{Db, actors};
use chrono::{DateTime, Utc};
use enishi_core::{Actor, ActorId, NotificationKind, Viewer};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// What a notification points at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refs {
    /// The post concerned.
    pub post: Option<i64>,
    /// The comment concerned.
    pub comment: Option<i64>,
    /// The introduction concerned.
    pub introduction: Option<i64>,
}

/// A notification as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Id (also the pagination cursor).
    pub id: i64,
    /// What happened.
    pub kind: NotificationKind,
    /// Who did it.
    pub actor: Actor,
    /// Public id and kind of the post concerned.
    pub post: Option<(String, enishi_core::PostKind)>,
    /// Public id of the comment concerned.
    pub comment: Option<String>,
    /// Public id of the introduction concerned.
    pub introduction: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Whether the recipient has read it.
    pub read: bool,
}

/// Records a notification for a local recipient (no-op for oneself).
pub async fn create(
    conn: &impl ConnectionTrait,
    recipient: ActorId,
    kind: NotificationKind,
    actor: ActorId,
    refs: Refs,
) -> Result<(), DbErr> {
    if recipient == actor {
        return Ok(());
    }
    notification::ActiveModel {
        recipient_id: Set(recipient.0),
        kind: Set(kind.as_str().into()),
        actor_id: Set(actor.0),
        post_id: Set(refs.post),
        comment_id: Set(refs.comment),
        introduction_id: Set(refs.introduction),
        created_at: Set(Utc::now()),
        read_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Removes the friend-request notification `recipient` got from `requester`.
pub async fn clear_friend_request(
    conn: &impl ConnectionTrait,
    recipient: ActorId,
    requester: ActorId,
) -> Result<(), DbErr> {
    notification::Entity::delete_many()
        .filter(notification::Column::RecipientId.eq(recipient.0))
        .filter(notification::Column::ActorId.eq(requester.0))
        .filter(notification::Column::Kind.eq(NotificationKind::FriendRequest.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Removes a like notification when the like is withdrawn.
pub async fn clear_like(
    conn: &impl ConnectionTrait,
    post_id: i64,
    liker: ActorId,
) -> Result<(), DbErr> {
    clear_on_post(conn, NotificationKind::Like, post_id, liker).await
}

/// Removes the notification of kind `kind` that `actor` caused on post `post_id` (a like or
/// boost withdrawn).
pub async fn clear_on_post(
    conn: &impl ConnectionTrait,
    kind: NotificationKind,
    post_id: i64,
    actor: ActorId,
) -> Result<(), DbErr> {
    notification::Entity::delete_many()
        .filter(notification::Column::PostId.eq(post_id))
        .filter(notification::Column::ActorId.eq(actor.0))
        .filter(notification::Column::Kind.eq(kind.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// The viewer's notifications, newest first, before cursor `before`. Only the recipient ever
/// sees a notification; one from someone blocked either way, or about a post the recipient
/// may not see, is left out.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    before: Option<i64>,
    limit: u64,
) -> OpResult<Vec<Notification>> {
    let Some(me) = viewer.actor else {
        return Ok(Vec::new());
    };
    let mut q = shown(me, viewer);
    if let Some(before) = before {
        q = q.filter(notification::Column::Id.lt(before));
    }
    let rows = q
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(&db.conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(actor) = actors::find_by_id(&db.conn, ActorId(row.actor_id)).await? else {
            continue;
        };
        let post = match row.post_id {
            Some(id) => post::Entity::find_by_id(id)
                .one(&db.conn)
                .await?
                .and_then(|p| p.kind.parse().ok().map(|k| (p.public_id, k))),
            None => None,
        };
        let comment = match row.comment_id {
            Some(id) => comment::Entity::find_by_id(id)
                .one(&db.conn)
                .await?
                .map(|c| c.public_id),
            None => None,
        };
        let introduction = match row.introduction_id {
            Some(id) => introduction::Entity::find_by_id(id)
                .one(&db.conn)
                .await?
                .map(|i| i.public_id),
            None => None,
        };
        out.push(Notification {
            id: row.id,
            kind: row.kind.parse().map_err(DbErr::Custom)?,
            actor,
            post,
            comment,
            introduction,
            created_at: row.created_at,
            read: row.read_at.is_some(),
        });
    }
    Ok(out)
}

/// Marks all of the viewer's notifications read.
pub async fn mark_all_read(db: &Db, me: ActorId) -> OpResult<u64> {
    let res = notification::Entity::update_many()
        .col_expr(
            notification::Column::ReadAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(notification::Column::RecipientId.eq(me.0))
        .filter(notification::Column::ReadAt.is_null())
        .exec(&db.conn)
        .await?;
    Ok(res.rows_affected)
}

/// How many of the viewer's notifications are unread (those `list` would show).
pub async fn unread_count(db: &Db, viewer: &Viewer) -> OpResult<u64> {
    use sea_orm::PaginatorTrait;
    let Some(me) = viewer.actor else {
        return Ok(0);
    };
    Ok(shown(me, viewer)
        .filter(notification::Column::ReadAt.is_null())
        .count(&db.conn)
        .await?)
}

/// The notifications of `me` that they are shown: none from someone blocked either way, and
/// none about a post they may not see (any more) — a mention in a post narrowed since, or one
/// whose author's friendship that let them see it has ended.
fn shown(me: ActorId, viewer: &Viewer) -> sea_orm::Select<notification::Entity> {
    // One post looked up by its key per notice: an `IN (every visible post)` would make the
    // database weigh the whole post table on every page (hundreds of milliseconds at 100,000
    // posts on PostgreSQL).
    let visible_post = sea_orm::sea_query::Query::select()
        .expr(Expr::val(1))
        .from(post::Entity)
        .and_where(Expr::cust("post.id = notification.post_id"))
        .and_where(crate::visibility::may_see_post(viewer))
        .to_owned();
    notification::Entity::find()
        .filter(notification::Column::RecipientId.eq(me.0))
        .filter(crate::visibility::reaction_author_visible(
            "notification.actor_id",
            viewer,
        ))
        .filter(
            // Only a mention is about someone else's post: comments and likes are about the
            // recipient's own, which they always see.
            sea_orm::Condition::any()
                .add(notification::Column::Kind.ne(NotificationKind::Mention.as_str()))
                .add(notification::Column::PostId.is_null())
                .add(Expr::exists(visible_post)),
        )
}
