//! Posts, comments and likes from other servers (DESIGN §5, inbound delivery).

use super::batch;
use crate::entity::{actor, comment, follow, post, post_like, post_recipient};
use crate::error::OpResult;
use crate::federation::{self, Event};
use crate::posts::{self, PostView};
use crate::{Db, actors, notifications, relations};
use chrono::{DateTime, Utc};
use enishi_core::{
    Actor, ActorId, Audience, FollowState, NotificationKind, PostId, PostKind, Viewer, ViewerKind,
    may_see,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, Set,
};
use std::sync::Arc;
use url::Url;

/// A post from another server, already checked and sanitised by the ActivityPub layer.
#[derive(Debug, Clone)]
pub struct RemotePost<'a> {
    /// Its id.
    pub ap_id: &'a Url,
    /// `Article` → diary, `Note` → voice.
    pub kind: PostKind,
    /// Its author (the activity's verified actor).
    pub author: &'a Actor,
    /// Title of an article.
    pub title: Option<&'a str>,
    /// The text of its content (for previews and search).
    pub text: &'a str,
    /// The sanitised HTML content.
    pub html: &'a str,
    /// A warning shown before it.
    pub content_warning: Option<&'a str>,
    /// `as:Public` in `to` or `cc`.
    pub public: bool,
    /// Addressed to the author's followers collection.
    pub to_followers: bool,
    /// Local actors it names in `to`/`cc`.
    pub addressed: &'a [ActorId],
    /// Local members its `Mention` tags name: told of it if they may see it.
    pub mentioned: &'a [ActorId],
    /// Its hashtags, lower-case.
    pub hashtags: &'a [String],
    /// Its attachments, in order.
    pub attachments: &'a [crate::remote_media::RemoteAttachment],
    /// When it was published.
    pub published: DateTime<Utc>,
}

/// What became of an inbound post, comment or like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Stored (or updated).
    Stored,
    /// Nothing here is concerned: not addressed to anyone here, nobody follows its author,
    /// or its parent is unknown.
    Ignored,
    /// The sender may not see what they answered: refused, and a `Reject` was queued.
    Refused,
}

/// The local members who follow `author` (accepted), friends included.
pub(super) async fn local_followers(
    conn: &impl ConnectionTrait,
    author: ActorId,
) -> Result<Vec<ActorId>, DbErr> {
    Ok(follow::Entity::find()
        .filter(follow::Column::FolloweeId.eq(author.0))
        .filter(follow::Column::State.eq(FollowState::Accepted.as_str()))
        .filter(Expr::cust(
            "follow.follower_id IN (SELECT id FROM actor WHERE is_local = TRUE)",
        ))
        .all(conn)
        .await?
        .into_iter()
        .map(|f| ActorId(f.follower_id))
        .collect())
}

/// The row of a post from another server seen for the first time.
pub(super) fn new_row(new: &RemotePost<'_>, audience: Audience) -> post::ActiveModel {
    post::ActiveModel {
        public_id: Set(uuid::Uuid::now_v7().to_string()),
        ap_id: Set(new.ap_id.to_string()),
        kind: Set(new.kind.as_str().into()),
        author_id: Set(new.author.id.0),
        title: Set(new.title.map(str::to_owned)),
        body: Set(new.text.to_owned()),
        content_html: Set(Some(new.html.to_owned())),
        content_warning: Set(new.content_warning.map(str::to_owned)),
        audience: Set(audience.as_str().into()),
        created_at: Set(new.published.min(Utc::now())),
        updated_at: Set(new.published.min(Utc::now())),
        ..Default::default()
    }
}

/// Stores a post from another server, or updates it when it is known (DESIGN §5).
///
/// - Public: shown to everyone; kept only when someone here follows the author or was named
///   (a copy already kept stays, updated, when the last follower here has left).
/// - Sent to the author's followers: stored as `friends`, and shown to those who follow the
///   author *now* (`Relation::follows`). Access follows the friendship as it stands, so an
///   unfriend from either side ends it, and an `Update` that narrows a public post to
///   followers narrows it here per reader.
/// - Sent to named members only: stored as `private` with those members as recipients.
pub async fn receive_post(db: &Db, new: RemotePost<'_>) -> OpResult<Received> {
    // Read before the write: on SQLite writers take turns on one connection, and every
    // statement inside the turn keeps the others waiting.
    let followers = local_followers(&db.conn, new.author.id).await?;
    let mut recipients: Vec<ActorId> = new.addressed.to_vec();
    recipients.sort_unstable();
    recipients.dedup();
    let reaches_followers = (new.public || new.to_followers) && !followers.is_empty();
    let concerned = !recipients.is_empty() || reaches_followers;
    if !concerned {
        // A copy kept of an earlier version may need updating or removing; otherwise nobody
        // here wants it, and nothing is written (nor recorded: a redelivery changes nothing).
        let known = post::Entity::find()
            .filter(post::Column::ApId.eq(new.ap_id.as_str()))
            .one(&db.conn)
            .await?
            .is_some();
        if !known {
            return Ok(Received::Ignored);
        }
    }
    let audience = audience_of(&new);
    let notify = if new.mentioned.is_empty() {
        Vec::new()
    } else {
        crate::marks::members_who_would_see(
            &db.conn,
            new.mentioned,
            new.author.id,
            audience,
            &recipients,
        )
        .await?
    };
    let post = Arc::new(NewPost {
        ap_id: new.ap_id.to_string(),
        author: new.author.id,
        row: new_row(&new, audience),
        audience,
        public: new.public,
        concerned,
        recipients,
        notify,
        hashtags: new.hashtags.to_vec(),
        attachments: new.attachments.to_vec(),
    });
    let change: batch::Change = Arc::new(move |txn| {
        let post = post.clone();
        Box::pin(async move { store_post(txn, &post).await })
    });
    Ok(db.batcher().run(db.claim.clone(), change).await?)
}

/// A post from another server as it is stored (owned: a batched change may run twice).
struct NewPost {
    ap_id: String,
    author: ActorId,
    /// The row of it as new ([`new_row`]); a known post takes its edited fields.
    row: post::ActiveModel,
    audience: Audience,
    public: bool,
    /// Someone here follows its author (and it is public or to followers), or it names
    /// members here.
    concerned: bool,
    recipients: Vec<ActorId>,
    /// The members it mentions who may see it: told of it when it is new.
    notify: Vec<ActorId>,
    hashtags: Vec<String>,
    attachments: Vec<crate::remote_media::RemoteAttachment>,
}

/// Stores `new` in `txn`: a new post, or a new version of one kept here.
async fn store_post(txn: &DatabaseTransaction, new: &NewPost) -> Result<Received, DbErr> {
    let inserted = if new.concerned {
        // The post's id decides "new or known" in the insert itself: no read before it.
        match post::Entity::insert(new.row.clone())
            .on_conflict(
                OnConflict::column(post::Column::ApId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_with_returning(txn)
            .await
        {
            Ok(row) => Some(row),
            // Nothing inserted, nothing returned: a post with this id is kept already.
            // (sea-orm reports an empty RETURNING as "not found".)
            Err(DbErr::RecordNotFound(_) | DbErr::RecordNotInserted) => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let Some(row) = inserted else {
        return update_post(txn, new).await;
    };
    add_recipients(txn, row.id, &new.recipients).await?;
    crate::marks::add_hashtags(txn, PostId(row.id), new.hashtags.iter().map(String::as_str))
        .await?;
    if !new.attachments.is_empty() {
        crate::remote_media::sync_post(txn, new.author, PostId(row.id), &new.attachments).await?;
    }
    let refs = notifications::Refs {
        post: Some(row.id),
        ..Default::default()
    };
    for &member in &new.notify {
        notifications::create(txn, member, NotificationKind::Mention, new.author, refs).await?;
    }
    Ok(Received::Stored)
}

/// How a post from another server is stored: public, to the author's followers, or to the
/// members it names.
fn audience_of(new: &RemotePost<'_>) -> Audience {
    if new.public {
        Audience::Public
    } else if new.to_followers {
        Audience::Friends
    } else {
        Audience::Private
    }
}

/// The members a post from another server names, as its recipients.
async fn add_recipients(
    conn: &impl ConnectionTrait,
    post: i64,
    recipients: &[ActorId],
) -> Result<(), DbErr> {
    if recipients.is_empty() {
        return Ok(());
    }
    let rows: Vec<post_recipient::ActiveModel> = recipients
        .iter()
        .map(|a| post_recipient::ActiveModel {
            post_id: Set(post),
            actor_id: Set(a.0),
        })
        .collect();
    post_recipient::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                post_recipient::Column::PostId,
                post_recipient::Column::ActorId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// A new version of a post already kept here.
async fn update_post(txn: &DatabaseTransaction, new: &NewPost) -> Result<Received, DbErr> {
    let Some(row) = post::Entity::find()
        .filter(post::Column::ApId.eq(new.ap_id.as_str()))
        .one(txn)
        .await?
    else {
        // Deleted in between: nothing to update.
        return Ok(Received::Ignored);
    };
    if row.author_id != new.author.0 {
        return Ok(Received::Ignored);
    }
    if !new.concerned && !new.public {
        // Narrowed after the last follower here left: the copy kept of an earlier version
        // must not outlive it. (Still public, the copy stays, updated: members' comments hang
        // off it, and anyone may read the original anyway.)
        post::Entity::delete_by_id(row.id).exec(txn).await?;
        return Ok(Received::Ignored);
    }
    let narrowed = row
        .audience
        .parse::<Audience>()
        .is_ok_and(|old| !new.audience.includes(old));
    if narrowed {
        // Those who got the old URLs may no longer see the post.
        crate::media::rekey_post(txn, PostId(row.id))
            .await
            .map_err(|e| match e {
                crate::error::OpError::Db(e) => e,
                other => DbErr::Custom(other.to_string()),
            })?;
    }
    let mut row: post::ActiveModel = row.into();
    row.title = new.row.title.clone();
    row.body = new.row.body.clone();
    row.content_html = new.row.content_html.clone();
    row.content_warning = new.row.content_warning.clone();
    row.audience = new.row.audience.clone();
    row.updated_at = Set(Utc::now());
    let row = row.update(txn).await?;
    add_recipients(txn, row.id, &new.recipients).await?;
    crate::marks::index_hashtags(txn, PostId(row.id), new.hashtags.iter().map(String::as_str))
        .await?;
    crate::remote_media::sync_post(txn, new.author, PostId(row.id), &new.attachments).await?;
    Ok(Received::Stored)
}

/// A comment from another server.
#[derive(Debug, Clone)]
pub struct RemoteComment<'a> {
    /// Its id.
    pub ap_id: &'a Url,
    /// Its author.
    pub author: &'a Actor,
    /// What it answers (a post, or a comment on one).
    pub in_reply_to: &'a Url,
    /// The text of its content.
    pub text: &'a str,
    /// The sanitised HTML content.
    pub html: &'a str,
    /// Local members its `Mention` tags name: told of it if they may see the post.
    pub mentioned: &'a [ActorId],
    /// When it was published.
    pub published: DateTime<Utc>,
}

/// The post `url` names: the post itself, or the post a comment with that id answers.
pub async fn parent_post(db: &Db, url: &Url) -> OpResult<Option<PostView>> {
    let by_id = post::Entity::find()
        .filter(post::Column::ApId.eq(url.as_str()))
        .one(&db.conn)
        .await?;
    let row = match by_id {
        Some(row) => row,
        None => {
            let Some(c) = comment::Entity::find()
                .filter(comment::Column::ApId.eq(url.as_str()))
                .one(&db.conn)
                .await?
            else {
                return Ok(None);
            };
            match post::Entity::find_by_id(c.post_id).one(&db.conn).await? {
                Some(row) => row,
                None => return Ok(None),
            }
        }
    };
    Ok(Some(posts::view_of(db, posts::to_domain(row)?).await?))
}

/// Whether remote `actor` may see `parent` (the audience rule, addressing included).
pub async fn may_react(db: &Db, actor: &Actor, parent: &PostView) -> OpResult<bool> {
    let viewer = Viewer::remote(actor.id);
    let mut rel = relations::relation(&db.conn, &viewer, parent.author.id).await?;
    rel.addressed = post_recipient::Entity::find_by_id((parent.post.id.0, actor.id.0))
        .one(&db.conn)
        .await?
        .is_some();
    Ok(may_see(parent.post.audience, ViewerKind::Remote, rel))
}

/// Stores a remote comment. On a local post the commenter must be allowed to see it (else it
/// is refused with a `Reject` of `activity_id`), and the post's author passes it on to the
/// post's other remote viewers. `vouched` is set when the comment arrives forwarded by the
/// post's author, whose server judged it.
pub async fn receive_comment(
    db: &Db,
    new: RemoteComment<'_>,
    activity_id: &str,
    vouched: bool,
) -> OpResult<Received> {
    let Some(parent) = parent_post(db, new.in_reply_to).await? else {
        return Ok(Received::Ignored);
    };
    if parent.author.is_local && !may_react(db, new.author, &parent).await? {
        refuse(db, &parent, new.author, new.ap_id.as_str(), activity_id).await?;
        return Ok(Received::Refused);
    }
    if !vouched && !parent.author.is_local && !may_react(db, new.author, &parent).await? {
        return Ok(Received::Ignored);
    }
    let txn = crate::begin_write(db).await?;
    let existing = comment::Entity::find()
        .filter(comment::Column::ApId.eq(new.ap_id.as_str()))
        .one(&txn)
        .await?;
    let row = match existing {
        Some(row) if row.author_id != new.author.id.0 => return Ok(Received::Ignored),
        Some(row) => {
            let mut row: comment::ActiveModel = row.into();
            row.body = Set(new.text.to_owned());
            row.content_html = Set(Some(new.html.to_owned()));
            row.updated_at = Set(Utc::now());
            row.update(&txn).await?
        }
        None => {
            let row = comment::ActiveModel {
                public_id: Set(uuid::Uuid::now_v7().to_string()),
                ap_id: Set(new.ap_id.to_string()),
                post_id: Set(parent.post.id.0),
                author_id: Set(new.author.id.0),
                body: Set(new.text.to_owned()),
                content_html: Set(Some(new.html.to_owned())),
                created_at: Set(new.published.min(Utc::now())),
                updated_at: Set(new.published.min(Utc::now())),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let refs = notifications::Refs {
                post: Some(parent.post.id.0),
                comment: Some(row.id),
                introduction: None,
            };
            if parent.author.is_local {
                notifications::create(
                    &txn,
                    parent.author.id,
                    NotificationKind::Comment,
                    new.author.id,
                    refs,
                )
                .await?;
            }
            // The post's author already hears of the comment.
            let named: Vec<ActorId> = new
                .mentioned
                .iter()
                .copied()
                .filter(|m| *m != parent.author.id)
                .collect();
            let setting = crate::marks::Setting {
                owner: parent.post.author,
                audience: parent.post.audience,
                post: Some(parent.post.id),
            };
            crate::marks::notify_members_who_see(&txn, &named, new.author.id, setting, refs)
                .await?;
            row
        }
    };
    let comment = crate::reactions::comment_to_domain(row)?;
    let event = Event::ForwardComment {
        comment: &comment,
        author: new.author,
        parent: &parent,
    };
    crate::reactions::author_passes_on(db, &txn, &parent, event, Some(&new.author.domain)).await?;
    txn.commit().await?;
    Ok(Received::Stored)
}

/// Queues the `Reject` of `activity_id`, which carried `object` (a reply or a like): once per
/// object, however often its server retries the delivery or sends the object again.
async fn refuse(
    db: &Db,
    parent: &PostView,
    sender: &Actor,
    object: &str,
    activity_id: &str,
) -> OpResult<()> {
    let key = format!("refused:{object}");
    // The delivery is answered 403, so its retries must be refused again, not taken for
    // duplicates: the refusal does not record the activity as handled.
    let txn = crate::begin_write(&db.without_claim()).await?;
    if crate::outbox::has_activity_about(&txn, &key).await? {
        return Ok(());
    }
    federation::announce(
        &txn,
        db.herald(),
        &parent.author,
        &key,
        Event::RejectActivity {
            activity_id,
            actor: &parent.author,
            to: sender,
        },
        std::slice::from_ref(sender),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Remote `liker` likes `object` (a local post) with the Like `like_id`.
pub async fn receive_like(
    db: &Db,
    liker: &Actor,
    object: &Url,
    like_id: &str,
) -> OpResult<Received> {
    let Some(parent) = parent_post(db, object).await? else {
        return Ok(Received::Ignored);
    };
    if parent.post.ap_id != *object {
        // Likes of comments are not kept.
        return Ok(Received::Ignored);
    }
    if !may_react(db, liker, &parent).await? {
        if parent.author.is_local {
            refuse(db, &parent, liker, like_id, like_id).await?;
            return Ok(Received::Refused);
        }
        return Ok(Received::Ignored);
    }
    let txn = crate::begin_write(db).await?;
    let inserted = post_like::Entity::insert(post_like::ActiveModel {
        post_id: Set(parent.post.id.0),
        actor_id: Set(liker.id.0),
        ap_id: Set(Some(like_id.to_owned())),
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
    if inserted > 0 && parent.author.is_local {
        notifications::create(
            &txn,
            parent.author.id,
            NotificationKind::Like,
            liker.id,
            notifications::Refs {
                post: Some(parent.post.id.0),
                ..Default::default()
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Received::Stored)
}

/// Remote `liker` withdraws a like, named by the Like's id or by the object liked.
pub async fn undo_like(
    db: &Db,
    liker: &Actor,
    like_id: Option<&str>,
    object: Option<&Url>,
) -> OpResult<bool> {
    let mut q = post_like::Entity::delete_many().filter(post_like::Column::ActorId.eq(liker.id.0));
    q = match (like_id, object) {
        (Some(id), _) => q.filter(post_like::Column::ApId.eq(id)),
        (None, Some(object)) => q.filter(Expr::cust(format!(
            "post_id IN (SELECT id FROM post WHERE ap_id = '{}')",
            object.as_str().replace('\'', "''")
        ))),
        (None, None) => return Ok(false),
    };
    Ok(q.exec(&db.conn).await?.rows_affected > 0)
}

/// `actor` deletes the object `ap_id`: their post, their comment, or a comment on their post.
/// Returns whether anything was removed.
pub async fn delete_object(db: &Db, actor: &Actor, ap_id: &Url) -> OpResult<bool> {
    let posts_gone = post::Entity::delete_many()
        .filter(post::Column::ApId.eq(ap_id.as_str()))
        .filter(post::Column::AuthorId.eq(actor.id.0))
        .exec(&db.conn)
        .await?
        .rows_affected;
    if posts_gone > 0 {
        return Ok(true);
    }
    let Some(row) = comment::Entity::find()
        .filter(comment::Column::ApId.eq(ap_id.as_str()))
        .one(&db.conn)
        .await?
    else {
        return Ok(false);
    };
    let Some(parent) = post::Entity::find_by_id(row.post_id).one(&db.conn).await? else {
        return Ok(false);
    };
    if row.author_id != actor.id.0 && parent.author_id != actor.id.0 {
        return Ok(false);
    }
    let parent = posts::view_of(db, posts::to_domain(parent)?).await?;
    let txn = crate::begin_write(db).await?;
    // A comment on one of our posts was passed on by its author here: the deletion goes the
    // same way, to the post's other remote viewers.
    let event = Event::DeleteComment {
        ap_id,
        actor: &parent.author,
        parent: &parent,
    };
    crate::reactions::author_passes_on(db, &txn, &parent, event, Some(&actor.domain)).await?;
    let gone = comment::Entity::delete_by_id(row.id)
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(gone > 0)
}

/// A remote actor deleted their account: everything of theirs goes.
pub async fn delete_actor(db: &Db, gone: &Actor) -> OpResult<bool> {
    if gone.is_local {
        return Ok(false);
    }
    Ok(actor::Entity::delete_by_id(gone.id.0)
        .exec(&db.conn)
        .await?
        .rows_affected
        > 0)
}

/// Finds a known actor by id, for activities that name one.
pub async fn known_actor(db: &Db, id: &Url) -> OpResult<Option<Actor>> {
    Ok(actors::find_by_ap_id(db, id).await?)
}

/// The server of `refuser` (the author of the post) refused our member's comment `note`:
/// it goes, as it cannot be part of the conversation.
pub async fn withdraw_comment(db: &Db, refuser: &Actor, note: &Url) -> OpResult<bool> {
    Ok(comment::Entity::delete_many()
        .filter(comment::Column::ApId.eq(note.as_str()))
        .filter(Expr::cust(format!(
            "comment.post_id IN (SELECT id FROM post WHERE author_id = {})",
            refuser.id.0
        )))
        .exec(&db.conn)
        .await?
        .rows_affected
        > 0)
}

/// The server of `refuser` refused our member's like `like_id` of their post.
pub async fn withdraw_like(db: &Db, refuser: &Actor, like_id: &str) -> OpResult<bool> {
    Ok(post_like::Entity::delete_many()
        .filter(post_like::Column::ApId.eq(like_id))
        .filter(Expr::cust(format!(
            "post_like.post_id IN (SELECT id FROM post WHERE author_id = {})",
            refuser.id.0
        )))
        .exec(&db.conn)
        .await?
        .rows_affected
        > 0)
}
