//! Bookmarks (Mastodon apps' "save for later"): a member's private list of posts. Only the
//! member sees it, and it holds only what they may still see: a post narrowed out of their
//! sight drops out of the list (and comes back if widened again).

use crate::entity::{bookmark, post};
use crate::error::OpResult;
use crate::posts::{self, PostView};
use crate::{Db, visibility};
use chrono::Utc;
use enishi_core::{ActorId, PostKind, Viewer};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

fn member(viewer: &Viewer) -> OpResult<ActorId> {
    viewer
        .actor
        .ok_or_else(|| crate::error::OpError::Forbidden("log in to keep bookmarks".into()))
}

/// Bookmarks `kind`/`public_id` for the member `viewer`, if they may see it; bookmarking
/// twice is the same as once.
pub async fn add(db: &Db, viewer: &Viewer, kind: PostKind, public_id: &str) -> OpResult<PostView> {
    let me = member(viewer)?;
    let view = posts::get_visible(db, viewer, kind, public_id).await?;
    bookmark::Entity::insert(bookmark::ActiveModel {
        actor_id: Set(me.0),
        post_id: Set(view.post.id.0),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([bookmark::Column::ActorId, bookmark::Column::PostId])
    .exec(&db.conn)
    .await?;
    Ok(view)
}

/// Removes a bookmark (no error if there was none), if the member may see the post.
pub async fn remove(
    db: &Db,
    viewer: &Viewer,
    kind: PostKind,
    public_id: &str,
) -> OpResult<PostView> {
    let me = member(viewer)?;
    let view = posts::get_visible(db, viewer, kind, public_id).await?;
    bookmark::Entity::delete_many()
        .filter(bookmark::Column::ActorId.eq(me.0))
        .filter(bookmark::Column::PostId.eq(view.post.id.0))
        .exec(&db.conn)
        .await?;
    Ok(view)
}

/// Which of `posts` the viewer has bookmarked (none for an anonymous one).
pub async fn marked(
    db: &Db,
    viewer: &Viewer,
    posts: &[i64],
) -> OpResult<std::collections::HashSet<i64>> {
    let Some(me) = viewer.actor.filter(|_| !posts.is_empty()) else {
        return Ok(Default::default());
    };
    Ok(bookmark::Entity::find()
        .filter(bookmark::Column::ActorId.eq(me.0))
        .filter(bookmark::Column::PostId.is_in(posts.iter().copied()))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|b| b.post_id)
        .collect())
}

/// The member's bookmarked posts they may still see, most recently bookmarked first; the
/// cursor is the bookmark's row id.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    before: Option<i64>,
    limit: u64,
) -> OpResult<Vec<(i64, PostView)>> {
    let me = member(viewer)?;
    let mut q = bookmark::Entity::find()
        .filter(bookmark::Column::ActorId.eq(me.0))
        .filter(Expr::exists(
            sea_orm::sea_query::Query::select()
                .expr(Expr::val(1))
                .from(post::Entity)
                .and_where(Expr::cust("post.id = bookmark.post_id"))
                .and_where(visibility::may_see_post(viewer))
                .to_owned(),
        ));
    if let Some(before) = before {
        q = q.filter(bookmark::Column::Id.lt(before));
    }
    let marks = q
        .order_by_desc(bookmark::Column::Id)
        .limit(limit)
        .all(&db.conn)
        .await?;
    let ids: Vec<i64> = marks.iter().map(|b| b.post_id).collect();
    let rows = post::Entity::find()
        .filter(post::Column::Id.is_in(ids))
        .all(&db.conn)
        .await?;
    let views = posts::load_views(db, rows).await?;
    Ok(marks
        .iter()
        .filter_map(|b| {
            let v = views.iter().find(|v| v.post.id.0 == b.post_id)?;
            Some((b.id, v.clone()))
        })
        .collect())
}
