//! Photos in the database: uploads, attaching them to posts, the capability keys their URLs
//! carry, and what the prune cleans up. The files are in the media store (`enishi-media`); a
//! row here is what makes them servable, so deleting or re-keying a row kills its URLs at once.

use crate::Db;
use crate::entity::{media, post};
use crate::error::{OpError, OpResult};
use crate::posts::PostView;
use chrono::{DateTime, Utc};
use enishi_core::ValidationError;
use enishi_core::media::{Attachment, Media, max_per_post};
use enishi_core::{ActorId, Audience, PostId, PostKind};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use std::collections::HashMap;

/// A new capability key: 128 random bits as 32 hex digits.
pub fn new_key() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub(crate) fn to_domain(row: &media::Model) -> Media {
    Media {
        public_id: row.public_id.clone(),
        key: row.key.clone(),
        content_type: row.content_type.clone(),
        width: row.width as u32,
        height: row.height as u32,
        preview_width: row.preview_width as u32,
        preview_height: row.preview_height as u32,
        blurhash: row.blurhash.clone(),
        description: row.description.clone(),
        link: match FetchState::of(row) {
            FetchState::Linked | FetchState::Failed => row.remote_url.clone(),
            _ => None,
        },
    }
}

/// Where a photo's files stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchState {
    /// Uploaded here: the files are in the store.
    Stored,
    /// Another server's, not in the cache (never fetched, or evicted).
    Pending,
    /// Another server's, in the cache.
    Cached,
    /// Another server's; the last fetch failed and is tried again later.
    Failed,
    /// Another server's, of a type not fetched: only linked to.
    Linked,
}

impl FetchState {
    /// The column's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FetchState::Stored => "stored",
            FetchState::Pending => "pending",
            FetchState::Cached => "cached",
            FetchState::Failed => "failed",
            FetchState::Linked => "linked",
        }
    }

    pub(crate) fn of(row: &media::Model) -> Self {
        match row.fetch_state.as_str() {
            "pending" => FetchState::Pending,
            "cached" => FetchState::Cached,
            "failed" => FetchState::Failed,
            "linked" => FetchState::Linked,
            _ => FetchState::Stored,
        }
    }
}

/// A processed upload, its files already in the store under `key`.
#[derive(Debug, Clone)]
pub struct NewMedia<'a> {
    /// The key the files were stored under (from [`new_key`]).
    pub key: &'a str,
    /// `image/jpeg` or `image/png`.
    pub content_type: &'a str,
    /// Pixels of the original.
    pub width: u32,
    /// Pixels of the original.
    pub height: u32,
    /// Pixels of the thumbnail.
    pub preview_width: u32,
    /// Pixels of the thumbnail.
    pub preview_height: u32,
    /// BlurHash.
    pub blurhash: &'a str,
    /// Checked alt text.
    pub description: Option<String>,
    /// Bytes of both files.
    pub size: u64,
}

/// Records an upload by `owner`, not attached to anything yet.
pub async fn create(db: &Db, owner: ActorId, new: NewMedia<'_>) -> OpResult<Media> {
    let row = media::ActiveModel {
        public_id: Set(uuid::Uuid::now_v7().to_string()),
        key: Set(new.key.to_owned()),
        stored_key: Set(new.key.to_owned()),
        owner_id: Set(owner.0),
        post_id: Set(None),
        position: Set(0),
        attached_as: Set(attachment_str(Attachment::Unattached).into()),
        content_type: Set(new.content_type.to_owned()),
        width: Set(new.width as i32),
        height: Set(new.height as i32),
        preview_width: Set(new.preview_width as i32),
        preview_height: Set(new.preview_height as i32),
        blurhash: Set(new.blurhash.to_owned()),
        description: Set(new.description),
        size: Set(new.size as i64),
        created_at: Set(Utc::now()),
        fetch_state: Set(FetchState::Stored.as_str().into()),
        ..Default::default()
    }
    .insert(&db.conn)
    .await?;
    Ok(to_domain(&row))
}

pub(crate) fn attachment_str(a: Attachment) -> &'static str {
    match a {
        Attachment::Unattached => "unattached",
        Attachment::Post => "post",
        Attachment::Avatar => "avatar",
        Attachment::Header => "header",
    }
}

/// Changes the alt text of `owner`'s photo `public_id`.
pub async fn describe(
    db: &Db,
    owner: ActorId,
    public_id: &str,
    description: Option<String>,
) -> OpResult<Media> {
    let row = own(&db.conn, owner, public_id).await?;
    let mut active: media::ActiveModel = row.into();
    active.description = Set(description);
    let row = active.update(&db.conn).await?;
    Ok(to_domain(&row))
}

/// `owner`'s photo `public_id`.
pub async fn find_own(db: &Db, owner: ActorId, public_id: &str) -> OpResult<Media> {
    Ok(to_domain(&own(&db.conn, owner, public_id).await?))
}

async fn own(
    conn: &impl ConnectionTrait,
    owner: ActorId,
    public_id: &str,
) -> OpResult<media::Model> {
    media::Entity::find()
        .filter(media::Column::PublicId.eq(public_id))
        .filter(media::Column::OwnerId.eq(owner.0))
        .one(conn)
        .await?
        .ok_or_else(|| OpError::not_found(format!("no media {public_id}")))
}

/// Makes `ids` (in this order) the photos of `post`, written by `owner`: each must be the
/// owner's, and either unattached or already this post's. Photos the post had and `ids` leaves
/// out are removed, and their URLs die with their rows.
pub(crate) async fn set_for_post(
    conn: &impl ConnectionTrait,
    owner: ActorId,
    post: PostId,
    kind: PostKind,
    ids: &[String],
) -> OpResult<()> {
    let max = max_per_post(kind);
    if ids.len() > max {
        return Err(ValidationError::new(
            "media_ids",
            format!("a {} takes at most {max} photos", kind.as_str()),
        )
        .into());
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(
                ValidationError::new("media_ids", format!("media {id} is listed twice")).into(),
            );
        }
    }
    let rows = if ids.is_empty() {
        Vec::new()
    } else {
        media::Entity::find()
            .filter(media::Column::PublicId.is_in(ids.iter().map(String::as_str)))
            .filter(media::Column::OwnerId.eq(owner.0))
            .all(conn)
            .await?
    };
    for id in ids {
        match rows.iter().find(|r| &r.public_id == id) {
            None => {
                // A 409, not a 404: the post at the URL exists; what the body names does not
                // (or is not the author's, which is not told apart).
                return Err(OpError::Conflict(
                    "media_unknown",
                    format!("media_ids: no photo {id} of yours"),
                ));
            }
            Some(r)
                if r.post_id != Some(post.0)
                    && r.attached_as != attachment_str(Attachment::Unattached) =>
            {
                return Err(OpError::Conflict(
                    "media_attached",
                    format!("photo {id} is attached elsewhere already; upload it again"),
                ));
            }
            Some(_) => {}
        }
    }
    media::Entity::delete_many()
        .filter(media::Column::PostId.eq(post.0))
        .filter(media::Column::PublicId.is_not_in(ids.iter().map(String::as_str)))
        .exec(conn)
        .await?;
    for (position, id) in ids.iter().enumerate() {
        media::Entity::update_many()
            .col_expr(media::Column::PostId, Expr::value(post.0))
            .col_expr(media::Column::Position, Expr::value(position as i32))
            .col_expr(
                media::Column::AttachedAs,
                Expr::value(attachment_str(Attachment::Post)),
            )
            .filter(media::Column::PublicId.eq(id.as_str()))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Gives every photo of `post` a new key: its old URLs die now, and the files follow to the
/// new key at the next prune. For an audience that narrowed, since the old URLs went to people
/// who may not see the post any more.
pub(crate) async fn rekey_post(conn: &impl ConnectionTrait, post: PostId) -> OpResult<()> {
    let rows = media::Entity::find()
        .filter(media::Column::PostId.eq(post.0))
        .all(conn)
        .await?;
    for row in rows {
        // Another server's attachment not in the cache has no files to follow the key.
        let files = matches!(
            FetchState::of(&row),
            FetchState::Stored | FetchState::Cached
        );
        let key = new_key();
        let mut active: media::ActiveModel = row.into();
        if !files {
            active.stored_key = Set(key.clone());
        }
        active.key = Set(key);
        active.update(conn).await?;
    }
    Ok(())
}

/// The photos of each of `posts`, in order.
pub async fn for_posts(
    conn: &impl ConnectionTrait,
    posts: &[PostId],
) -> Result<HashMap<PostId, Vec<Media>>, DbErr> {
    let mut out: HashMap<PostId, Vec<Media>> = HashMap::new();
    if posts.is_empty() {
        return Ok(out);
    }
    let rows = media::Entity::find()
        .filter(media::Column::PostId.is_in(posts.iter().map(|p| p.0)))
        .order_by_asc(media::Column::PostId)
        .order_by_asc(media::Column::Position)
        .all(conn)
        .await?;
    for row in rows {
        if let Some(p) = row.post_id {
            out.entry(PostId(p)).or_default().push(to_domain(&row));
        }
    }
    Ok(out)
}

/// Loads the photos of `views` into them.
pub async fn fill(conn: &impl ConnectionTrait, views: &mut [PostView]) -> Result<(), DbErr> {
    let ids: Vec<PostId> = views.iter().map(|v| v.post.id).collect();
    let mut by_post = for_posts(conn, &ids).await?;
    for v in views {
        v.post.media = by_post.remove(&v.post.id).unwrap_or_default();
    }
    Ok(())
}

/// A photo as the file server needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Servable {
    /// Its row.
    pub id: i64,
    /// Where its files are in the store.
    pub stored_key: String,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Whether anyone may see it: then caches may keep it for long.
    pub public: bool,
    /// Whether its files are here, are to be fetched, or are not served at all.
    pub state: FetchState,
    /// Another server's attachment: where it is.
    pub remote_url: Option<String>,
    /// When the last fetch was tried.
    pub fetched_at: Option<DateTime<Utc>>,
}

/// The photo whose URLs carry `key`, if that key is alive.
pub async fn servable(db: &Db, key: &str) -> OpResult<Option<Servable>> {
    servable_where(db, media::Column::Key.eq(key)).await
}

/// Photo `id` as the file server needs it (read again after waiting for a fetch).
pub async fn servable_by_id(db: &Db, id: i64) -> OpResult<Option<Servable>> {
    servable_where(db, media::Column::Id.eq(id)).await
}

async fn servable_where(
    db: &Db,
    which: sea_orm::sea_query::SimpleExpr,
) -> OpResult<Option<Servable>> {
    let Some((row, post)) = media::Entity::find()
        .filter(which)
        .find_also_related(post::Entity)
        .one(&db.conn)
        .await?
    else {
        return Ok(None);
    };
    let public = match (&post, row.remote_url.is_some()) {
        (Some(p), _) => p.audience == Audience::Public.as_str(),
        // Another server's avatar or header: as public as the actor document it came in.
        (None, true) => row.attached_as != attachment_str(Attachment::Post),
        // A member's avatar or header: as public as their avatar audience.
        (None, false)
            if [Attachment::Avatar, Attachment::Header]
                .map(attachment_str)
                .contains(&row.attached_as.as_str()) =>
        {
            crate::profile_images::public(&db.conn, row.owner_id).await?
        }
        (None, false) => false,
    };
    Ok(Some(Servable {
        id: row.id,
        state: FetchState::of(&row),
        stored_key: row.stored_key,
        content_type: row.content_type,
        public,
        remote_url: row.remote_url,
        fetched_at: row.fetched_at,
    }))
}

/// Deletes uploads never attached and older than `before`; returns how many went.
pub async fn forget_unattached(db: &Db, before: DateTime<Utc>) -> OpResult<u64> {
    Ok(media::Entity::delete_many()
        .filter(media::Column::AttachedAs.eq(attachment_str(Attachment::Unattached)))
        .filter(media::Column::CreatedAt.lt(before))
        .exec(&db.conn)
        .await?
        .rows_affected)
}

/// A photo whose files are still under an old key.
#[derive(Debug, Clone)]
pub struct Move {
    /// Row id.
    pub id: i64,
    /// Where the files are.
    pub from: String,
    /// Where they belong.
    pub to: String,
    /// Their extension.
    pub ext: &'static str,
}

/// Photos re-keyed whose files have not followed yet.
pub async fn pending_moves(db: &Db) -> OpResult<Vec<Move>> {
    let rows = media::Entity::find()
        .filter(Expr::cust("media.key <> media.stored_key"))
        .all(&db.conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Move {
            id: r.id,
            ext: enishi_core::media::ext_of(&r.content_type),
            from: r.stored_key,
            to: r.key,
        })
        .collect())
}

/// Records that the files of photo `id` are now under `to` (if the key is still `to`: one
/// re-keyed again meanwhile waits for the next prune).
pub async fn moved(db: &Db, id: i64, to: &str) -> OpResult<bool> {
    Ok(media::Entity::update_many()
        .col_expr(media::Column::StoredKey, Expr::value(to))
        .filter(media::Column::Id.eq(id))
        .filter(media::Column::Key.eq(to))
        .exec(&db.conn)
        .await?
        .rows_affected
        > 0)
}

/// Every store key some row still needs (current keys and where files are now).
pub async fn live_keys(db: &Db) -> OpResult<std::collections::HashSet<String>> {
    let rows = media::Entity::find().all(&db.conn).await?;
    let mut out = std::collections::HashSet::new();
    for r in rows {
        out.insert(r.key);
        out.insert(r.stored_key);
    }
    Ok(out)
}

/// How many photos there are, and how many of them are attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Every photo.
    pub all: u64,
    /// Those on a post or profile.
    pub attached: u64,
}

/// Counts the photos uploaded here (for `enishi media usage`).
pub async fn count(db: &Db) -> OpResult<Counts> {
    use sea_orm::PaginatorTrait;
    // Uploads here; other servers' files are the cache's (`remote_media::cache_bytes`).
    let all = media::Entity::find()
        .filter(media::Column::RemoteUrl.is_null())
        .count(&db.conn)
        .await?;
    let loose = media::Entity::find()
        .filter(media::Column::RemoteUrl.is_null())
        .filter(media::Column::AttachedAs.eq(attachment_str(Attachment::Unattached)))
        .count(&db.conn)
        .await?;
    Ok(Counts {
        all,
        attached: all - loose,
    })
}
