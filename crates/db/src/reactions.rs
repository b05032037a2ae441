//! Comments and likes (イイネ!) on diaries and voice posts. Both follow their parent's
//! audience: only someone who may see the post may see, write or give them.

use crate::entity::{comment, post_like};
use crate::error::{OpError, OpResult};
use crate::federation::{self, Event};
use crate::posts::{self, PostView};
use crate::{Db, actors, marks, notifications, relations, visibility};
use chrono::Utc;
use enishi_core::{
    Actor, ActorId, Comment, InstanceSettings, NotificationKind, PostId, PostKind, Viewer,
    ViewerKind,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use url::Url;

/// Converts a row into the domain comment.
pub(crate) fn comment_to_domain(row: comment::Model) -> Result<Comment, DbErr> {
    Ok(Comment {
        id: row.id,
        ap_id: Url::parse(&row.ap_id)
            .map_err(|e| DbErr::Custom(format!("comment {} ap_id: {e}", row.id)))?,
        public_id: row.public_id,
        post: PostId(row.post_id),
        author: ActorId(row.author_id),
        body: row.body,
        content_html: row.content_html,
        tags: enishi_core::mention::Tag::list_from_json(row.tags.as_deref()),
        created_at: row.created_at,
    })
}

/// A comment with its author and the post it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentView {
    /// The comment.
    pub comment: Comment,
    /// Its author.
    pub author: Actor,
    /// Public id of the post.
    pub post_public_id: String,
    /// Kind of the post.
    pub post_kind: PostKind,
    /// Audience of the post, which the comment inherits.
    pub post_audience: enishi_core::Audience,
}

pub(crate) fn member_of(viewer: &Viewer) -> OpResult<ActorId> {
    match (viewer.actor, viewer.kind) {
        (Some(a), ViewerKind::Member) => Ok(a),
        _ => Err(OpError::Forbidden("log in to do this".into())),
    }
}

/// `viewer` comments on a post they may see; `known` are the actors its `@handles` may name
/// (see [`posts::NewPost::known`]).
pub async fn comment(
    db: &Db,
    settings: &InstanceSettings,
    viewer: &Viewer,
    kind: PostKind,
    public_id: &str,
    text: &str,
    known: &[Actor],
) -> OpResult<CommentView> {
    let me = member_of(viewer)?;
    let parent = posts::get_visible(db, viewer, kind, public_id).await?;
    settings.limits.check_comment(text)?;
    let comment_id = uuid::Uuid::now_v7().to_string();
    let ap_id = settings.url(&format!("/comments/{comment_id}"));
    let now = Utc::now();
    let author = actors::find_by_id(&db.conn, me)
        .await?
        .ok_or_else(|| OpError::not_found("no such member"))?;
    let txn = crate::begin_write(db).await?;
    let setting = marks::Setting {
        owner: parent.post.author,
        audience: parent.post.audience,
        post: Some(parent.post.id),
    };
    let written = marks::write(&txn, settings, setting, marks::Format::Plain, text, known).await?;
    let row = comment::ActiveModel {
        public_id: Set(comment_id),
        ap_id: Set(ap_id.to_string()),
        post_id: Set(parent.post.id.0),
        author_id: Set(me.0),
        body: Set(text.to_owned()),
        content_html: Set(Some(written.html.clone())),
        tags: Set(enishi_core::mention::Tag::list_to_json(&written.tags)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    notifications::create(
        &txn,
        parent.post.author,
        NotificationKind::Comment,
        me,
        notifications::Refs {
            post: Some(parent.post.id.0),
            comment: Some(row.id),
            introduction: None,
        },
    )
    .await?;
    // The post's author already hears of the comment.
    let named: Vec<Actor> = written
        .mentioned
        .iter()
        .filter(|a| a.id != parent.post.author)
        .cloned()
        .collect();
    let refs = notifications::Refs {
        post: Some(parent.post.id.0),
        comment: Some(row.id),
        introduction: None,
    };
    marks::notify(&txn, &named, me, refs).await?;
    let comment = comment_to_domain(row)?;
    let mut recipients = reaction_recipients(&txn, &parent).await?;
    posts::add_mentioned(&mut recipients, &written.mentioned);
    federation::announce(
        &txn,
        db.herald(),
        &author,
        parent.post.ap_id.as_str(),
        Event::CreateComment {
            comment: &comment,
            author: &author,
            parent: &parent,
        },
        &recipients,
    )
    .await?;
    // Other servers only take a comment on a restricted post from the post's author, who
    // vouches for it (DESIGN §4): our own members' comments on our members' friends-only
    // posts go out as the author's `Add` too, or remote friends would never see them.
    if parent.author.is_local
        && parent.author.id != me
        && !matches!(parent.post.audience, enishi_core::Audience::Public)
    {
        let event = Event::ForwardComment {
            comment: &comment,
            author: &author,
            parent: &parent,
        };
        author_passes_on(db, &txn, &parent, event, None).await?;
    }
    txn.commit().await?;
    Ok(CommentView {
        comment,
        author,
        post_public_id: parent.post.public_id,
        post_kind: kind,
        post_audience: parent.post.audience,
    })
}

/// The author of local post `parent` passes `event` (about a comment on it) on to the post's
/// remote audience, leaving out the server the comment came from (`except_domain`): the
/// conversation owner redistributes (DESIGN §4).
pub(crate) async fn author_passes_on(
    db: &Db,
    txn: &sea_orm::DatabaseTransaction,
    parent: &PostView,
    event: Event<'_>,
    except_domain: Option<&str>,
) -> OpResult<()> {
    if !parent.author.is_local || !parent.post.audience.leaves_instance() {
        return Ok(());
    }
    let others: Vec<Actor> = posts::remote_audience_except(txn, parent, except_domain)
        .await?
        .0;
    federation::announce(
        txn,
        db.herald(),
        &parent.author,
        parent.post.ap_id.as_str(),
        event,
        &others,
    )
    .await?;
    Ok(())
}

/// Who on other servers hears of a reaction to `parent`: its author when remote; when the post
/// is ours, everyone remote who may see it.
pub(crate) async fn reaction_recipients(
    conn: &impl sea_orm::ConnectionTrait,
    parent: &PostView,
) -> OpResult<Vec<Actor>> {
    if !parent.author.is_local {
        return Ok(vec![parent.author.clone()]);
    }
    if !parent.post.audience.leaves_instance() {
        return Ok(Vec::new());
    }
    Ok(posts::remote_audience(conn, parent).await?.0)
}

/// Comments on a post, oldest first, after cursor `after`, as `viewer` may see them.
pub async fn comments(
    db: &Db,
    viewer: &Viewer,
    kind: PostKind,
    public_id: &str,
    after: Option<i64>,
    limit: u64,
) -> OpResult<Vec<CommentView>> {
    let parent = posts::get_visible(db, viewer, kind, public_id).await?;
    comments_of(db, viewer, &parent, after, limit).await
}

/// Comments on an already-visible post.
pub async fn comments_of(
    db: &Db,
    viewer: &Viewer,
    parent: &PostView,
    after: Option<i64>,
    limit: u64,
) -> OpResult<Vec<CommentView>> {
    let mut q = comment::Entity::find()
        .filter(comment::Column::PostId.eq(parent.post.id.0))
        .filter(visibility::reaction_author_visible(
            "comment.author_id",
            viewer,
        ));
    if let Some(after) = after {
        q = q.filter(comment::Column::Id.gt(after));
    }
    let rows = q
        .order_by_asc(comment::Column::Id)
        .limit(limit)
        .all(&db.conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.author_id).collect();
    let authors = actors::by_ids(&db.conn, &ids).await?;
    rows.into_iter()
        // A comment whose author was deleted since the first read went with its author.
        .filter_map(|row| Some((authors.get(&row.author_id)?.clone(), row)))
        .map(|(author, row)| {
            Ok(CommentView {
                comment: comment_to_domain(row)?,
                author,
                post_public_id: parent.post.public_id.clone(),
                post_kind: parent.post.kind,
                post_audience: parent.post.audience,
            })
        })
        .collect()
}

/// Deletes a comment: its author or the post's author may; others who can see it get 403.
pub async fn delete_comment(db: &Db, viewer: &Viewer, comment_public_id: &str) -> OpResult<()> {
    let missing = || OpError::not_found(format!("no comment {comment_public_id:?}"));
    let row = comment::Entity::find()
        .filter(comment::Column::PublicId.eq(comment_public_id))
        .one(&db.conn)
        .await?
        .ok_or_else(missing)?;
    let post_row = crate::entity::post::Entity::find_by_id(row.post_id)
        .one(&db.conn)
        .await?
        .ok_or_else(missing)?;
    let parent = posts::to_domain(post_row)?;
    // The parent is judged as every read judges it (a post from another server included, which
    // reaches its readers by addressing or by their follow of its author).
    let parent_view = posts::get_visible(db, viewer, parent.kind, &parent.public_id)
        .await
        .map_err(|_| missing())?;
    let to_author = relations::relation(&db.conn, viewer, ActorId(row.author_id)).await?;
    if !enishi_core::may_see_reaction_author(to_author) {
        return Err(missing());
    }
    if viewer.actor != Some(ActorId(row.author_id)) && viewer.actor != Some(parent.author) {
        return Err(OpError::Forbidden(
            "only the comment's author or the post's author may delete it".into(),
        ));
    }
    let deleter = actors::find_by_id(&db.conn, viewer.actor.unwrap_or(parent_view.author.id))
        .await?
        .ok_or_else(missing)?;
    let txn = crate::begin_write(db).await?;
    let ap_id = comment_to_domain(row.clone())?.ap_id;
    // Only what was made here is ours to announce; a remote comment removed from a local post
    // is announced by the post's author to the post's audience.
    if ActorId(row.author_id) == deleter.id || parent_view.author.is_local {
        let recipients = reaction_recipients(&txn, &parent_view).await?;
        // Also every server the post went to: one may keep a public post (and its comments)
        // after the last follower there left, and no longer counts among the recipients.
        let key = parent_view.post.ap_id.as_str();
        let mut inboxes = crate::outbox::inboxes_for(&recipients);
        for inbox in crate::outbox::inboxes_reached(&txn, key).await? {
            if !inboxes.contains(&inbox) {
                inboxes.push(inbox);
            }
        }
        federation::announce_to(
            &txn,
            db.herald(),
            &deleter,
            key,
            Event::DeleteComment {
                ap_id: &ap_id,
                actor: &deleter,
                parent: &parent_view,
            },
            &inboxes,
        )
        .await?;
    }
    comment::Entity::delete_by_id(row.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// A comment `viewer` may see, with its post.
pub async fn get_visible_comment(
    db: &Db,
    viewer: &Viewer,
    comment_public_id: &str,
) -> OpResult<(CommentView, PostView)> {
    let missing = || OpError::not_found(format!("no comment {comment_public_id:?}"));
    let row = comment::Entity::find()
        .filter(comment::Column::PublicId.eq(comment_public_id))
        .one(&db.conn)
        .await?
        .ok_or_else(missing)?;
    let post_row = crate::entity::post::Entity::find_by_id(row.post_id)
        .one(&db.conn)
        .await?
        .ok_or_else(missing)?;
    let parent = posts::view_of(db, posts::to_domain(post_row)?).await?;
    let parent = posts::get_visible(db, viewer, parent.post.kind, &parent.post.public_id)
        .await
        .map_err(|_| missing())?;
    let to_author = relations::relation(&db.conn, viewer, ActorId(row.author_id)).await?;
    // The parent was judged by `get_visible` above; what remains is the comment's author.
    if !enishi_core::may_see_reaction_author(to_author) {
        return Err(missing());
    }
    let author = actors::find_by_id(&db.conn, ActorId(row.author_id))
        .await?
        .ok_or_else(missing)?;
    Ok((
        CommentView {
            comment: comment_to_domain(row)?,
            author,
            post_public_id: parent.post.public_id.clone(),
            post_kind: parent.post.kind,
            post_audience: parent.post.audience,
        },
        parent,
    ))
}

/// `viewer` likes a post they may see; liking twice changes nothing.
pub async fn like(
    db: &Db,
    settings: &InstanceSettings,
    viewer: &Viewer,
    kind: PostKind,
    public_id: &str,
) -> OpResult<()> {
    let me = member_of(viewer)?;
    let parent = posts::get_visible(db, viewer, kind, public_id).await?;
    let liker = actors::find_by_id(&db.conn, me)
        .await?
        .ok_or_else(|| OpError::not_found("no such member"))?;
    // Likes of local posts stay here (the count is ours); a remote post's server is told.
    let ap_id = (!parent.author.is_local).then(|| {
        settings
            .url(&format!("/likes/{}", uuid::Uuid::now_v7()))
            .to_string()
    });
    let txn = crate::begin_write(db).await?;
    let inserted = post_like::Entity::insert(post_like::ActiveModel {
        post_id: Set(parent.post.id.0),
        actor_id: Set(me.0),
        ap_id: Set(ap_id.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([post_like::Column::PostId, post_like::Column::ActorId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted > 0
        && let Some(id) = &ap_id
    {
        let event = Event::Like {
            id,
            actor: &liker,
            parent: &parent,
        };
        let to = std::slice::from_ref(&parent.author);
        federation::announce(
            &txn,
            db.herald(),
            &liker,
            parent.post.ap_id.as_str(),
            event,
            to,
        )
        .await?;
    }
    if inserted > 0 {
        notifications::create(
            &txn,
            parent.post.author,
            NotificationKind::Like,
            me,
            notifications::Refs {
                post: Some(parent.post.id.0),
                ..Default::default()
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Withdraws `viewer`'s like.
pub async fn unlike(db: &Db, viewer: &Viewer, kind: PostKind, public_id: &str) -> OpResult<()> {
    let me = member_of(viewer)?;
    let parent = posts::get_visible(db, viewer, kind, public_id).await?;
    let txn = crate::begin_write(db).await?;
    let Some(like) = post_like::Entity::find()
        .filter(post_like::Column::PostId.eq(parent.post.id.0))
        .filter(post_like::Column::ActorId.eq(me.0))
        .one(&txn)
        .await?
    else {
        // Nothing to withdraw: the caller does not like it, which is what they asked for.
        return Ok(());
    };
    if let Some(id) = like.ap_id.as_deref()
        && let Some(liker) = actors::find_by_id(&txn, me).await?
    {
        let event = Event::UndoLike {
            id,
            actor: &liker,
            parent: &parent,
        };
        let to = std::slice::from_ref(&parent.author);
        federation::announce(
            &txn,
            db.herald(),
            &liker,
            parent.post.ap_id.as_str(),
            event,
            to,
        )
        .await?;
    }
    post_like::Entity::delete_by_id(like.id).exec(&txn).await?;
    notifications::clear_like(&txn, parent.post.id.0, me).await?;
    txn.commit().await?;
    Ok(())
}

/// Who liked a post, oldest first, as `viewer` may see them.
pub async fn likers(
    db: &Db,
    viewer: &Viewer,
    kind: PostKind,
    public_id: &str,
) -> OpResult<Vec<Actor>> {
    let parent = posts::get_visible(db, viewer, kind, public_id).await?;
    likers_of(db, viewer, parent.post.id).await
}

/// Likers of an already-visible post.
pub async fn likers_of(db: &Db, viewer: &Viewer, post: PostId) -> OpResult<Vec<Actor>> {
    let rows = post_like::Entity::find()
        .filter(post_like::Column::PostId.eq(post.0))
        .filter(visibility::reaction_author_visible(
            "post_like.actor_id",
            viewer,
        ))
        .order_by_asc(post_like::Column::Id)
        .all(&db.conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.actor_id).collect();
    actors::by_ids_in_order(&db.conn, &ids).await
}

/// Whether `viewer` has liked `post`.
pub async fn has_liked(db: &Db, viewer: &Viewer, post: PostId) -> OpResult<bool> {
    let Some(me) = viewer.actor else {
        return Ok(false);
    };
    Ok(post_like::Entity::find()
        .filter(post_like::Column::PostId.eq(post.0))
        .filter(post_like::Column::ActorId.eq(me.0))
        .one(&db.conn)
        .await?
        .is_some())
}

/// The public id of the comment with row id `id`, if there is one (no audience check: callers
/// read it through [`get_visible_comment`] next). Mastodon apps name replies by number.
pub async fn locate_comment(db: &Db, id: i64) -> Result<Option<String>, DbErr> {
    Ok(comment::Entity::find_by_id(id)
        .one(&db.conn)
        .await?
        .map(|c| c.public_id))
}

/// For each post of `posts` (already visible to `viewer`): how many likes by accounts the
/// viewer may see it has, and whether the viewer liked it — one query for a whole page.
pub async fn like_summary(
    db: &Db,
    viewer: &Viewer,
    posts: &[i64],
) -> OpResult<std::collections::HashMap<i64, (u64, bool)>> {
    let mut out = std::collections::HashMap::new();
    if posts.is_empty() {
        return Ok(out);
    }
    let rows = post_like::Entity::find()
        .filter(post_like::Column::PostId.is_in(posts.iter().copied()))
        .filter(visibility::reaction_author_visible(
            "post_like.actor_id",
            viewer,
        ))
        .all(&db.conn)
        .await?;
    for row in rows {
        let entry = out.entry(row.post_id).or_insert((0, false));
        entry.0 += 1;
        entry.1 |= viewer.actor.is_some_and(|me| me.0 == row.actor_id);
    }
    Ok(out)
}
