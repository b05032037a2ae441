//! Other servers' attachments and actor images: a `media` row each, whose files are a bounded
//! cache. A row is made when a post or actor arrives; the file is fetched when someone first
//! asks for it (through this instance's URL, so members' browsers never contact the other
//! server), re-encoded like an upload, and evicted, longest unused first, when the cache is
//! over its size. The row's key is a capability like an upload's: handed out only with the
//! post, and changed when the post's audience narrows.

use crate::Db;
use crate::entity::media;
use crate::error::OpResult;
use crate::media::{FetchState, new_key};
use chrono::{DateTime, Duration, Utc};
use enishi_core::media::{Attachment, preview_size};
use enishi_core::{ActorId, PostId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// Most attachments kept of one remote post (Mastodon's limit; Misskey allows more, and the
/// rest are not shown).
pub const MAX_PER_REMOTE_POST: usize = 4;

/// How long a failed fetch is not tried again.
pub const RETRY_AFTER: Duration = Duration::hours(1);

/// An attachment as another server described it (already checked by the ActivityPub layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAttachment {
    /// Where the file is (http or https).
    pub url: String,
    /// The type it claims (`image/jpeg`, `video/mp4`…); the bytes decide in the end.
    pub media_type: Option<String>,
    /// Alt text, already cut to the limit.
    pub description: Option<String>,
    /// Pixels it claims, 0 when not given.
    pub width: u32,
    /// Pixels it claims, 0 when not given.
    pub height: u32,
    /// An image type this instance reads; anything else is only linked to.
    pub fetchable: bool,
}

/// What the stored file will most likely be once re-encoded: PNG stays PNG (as does GIF's
/// first frame), the rest becomes JPEG. Only the URL's extension depends on the guess, and
/// the file server accepts either.
fn guessed_type(a: &RemoteAttachment) -> &'static str {
    match a.media_type.as_deref() {
        Some("image/png" | "image/gif") => "image/png",
        _ => "image/jpeg",
    }
}

fn new_row(
    owner: ActorId,
    post: Option<PostId>,
    role: Attachment,
    position: usize,
    a: &RemoteAttachment,
) -> media::ActiveModel {
    let key = new_key();
    let (pw, ph) = preview_size(a.width, a.height);
    let state = if a.fetchable {
        FetchState::Pending
    } else {
        FetchState::Linked
    };
    media::ActiveModel {
        public_id: Set(uuid::Uuid::now_v7().to_string()),
        key: Set(key.clone()),
        stored_key: Set(key),
        owner_id: Set(owner.0),
        post_id: Set(post.map(|p| p.0)),
        position: Set(position as i32),
        attached_as: Set(crate::media::attachment_str(role).into()),
        content_type: Set(guessed_type(a).into()),
        width: Set(a.width as i32),
        height: Set(a.height as i32),
        preview_width: Set(pw as i32),
        preview_height: Set(ph as i32),
        blurhash: Set(String::new()),
        description: Set(a.description.clone()),
        size: Set(0),
        created_at: Set(Utc::now()),
        remote_url: Set(Some(a.url.clone())),
        fetch_state: Set(state.as_str().into()),
        used_at: Set(None),
        fetched_at: Set(None),
        ..Default::default()
    }
}

/// Makes `list` (in this order, at most [`MAX_PER_REMOTE_POST`]) the attachments of the remote
/// post `post` by `owner`. An attachment kept from the last version keeps its row, key and
/// cached file; one dropped loses its row, and so its URL, at once.
pub(crate) async fn sync_post(
    conn: &impl ConnectionTrait,
    owner: ActorId,
    post: PostId,
    list: &[RemoteAttachment],
) -> Result<(), DbErr> {
    let list = &list[..list.len().min(MAX_PER_REMOTE_POST)];
    let existing = media::Entity::find()
        .filter(media::Column::PostId.eq(post.0))
        .all(conn)
        .await?;
    let wanted = |url: &Option<String>| list.iter().any(|a| Some(&a.url) == url.as_ref());
    let gone: Vec<i64> = existing
        .iter()
        .filter(|r| !wanted(&r.remote_url))
        .map(|r| r.id)
        .collect();
    if !gone.is_empty() {
        media::Entity::delete_many()
            .filter(media::Column::Id.is_in(gone))
            .exec(conn)
            .await?;
    }
    for (i, a) in list.iter().enumerate() {
        let kept = existing
            .iter()
            .find(|r| r.remote_url.as_deref() == Some(a.url.as_str()));
        match kept {
            Some(row) => {
                let mut active: media::ActiveModel = row.clone().into();
                active.position = Set(i as i32);
                active.description = Set(a.description.clone());
                active.update(conn).await?;
            }
            None => {
                new_row(owner, Some(post), Attachment::Post, i, a)
                    .insert(conn)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Makes `image` the avatar or header (`role`) of the remote actor `owner`: kept as it is when
/// the URL did not change, replaced (the old URL dying) when it did, removed when `None`.
pub async fn sync_actor_image(
    conn: &impl ConnectionTrait,
    owner: ActorId,
    role: Attachment,
    image: Option<&RemoteAttachment>,
) -> Result<(), DbErr> {
    let role_str = crate::media::attachment_str(role);
    let existing = media::Entity::find()
        .filter(media::Column::OwnerId.eq(owner.0))
        .filter(media::Column::AttachedAs.eq(role_str))
        .filter(media::Column::RemoteUrl.is_not_null())
        .all(conn)
        .await?;
    let same = |r: &media::Model| image.is_some_and(|a| r.remote_url.as_deref() == Some(&a.url));
    for row in existing.iter().filter(|r| !same(r)) {
        media::Entity::delete_by_id(row.id).exec(conn).await?;
    }
    if let Some(a) = image
        && !existing.iter().any(same)
    {
        new_row(owner, None, role, 0, a).insert(conn).await?;
    }
    Ok(())
}

/// The files of a fetched attachment, re-encoded.
#[derive(Debug, Clone)]
pub struct CachedFile<'a> {
    /// `image/jpeg` or `image/png`.
    pub content_type: &'a str,
    /// Pixels of the stored image.
    pub width: u32,
    /// Pixels of the stored image.
    pub height: u32,
    /// Pixels of the thumbnail.
    pub preview_width: u32,
    /// Pixels of the thumbnail.
    pub preview_height: u32,
    /// BlurHash.
    pub blurhash: &'a str,
    /// Bytes of both files.
    pub size: u64,
}

/// Records that the files of row `id` are in the store under `stored_key`. False when the
/// row is gone or was re-keyed meanwhile: the files are then orphans, for the prune.
pub async fn cached(db: &Db, id: i64, stored_key: &str, file: CachedFile<'_>) -> OpResult<bool> {
    let now = Utc::now();
    let done = media::Entity::update_many()
        .col_expr(
            media::Column::FetchState,
            Expr::value(FetchState::Cached.as_str()),
        )
        .col_expr(media::Column::ContentType, Expr::value(file.content_type))
        .col_expr(media::Column::Width, Expr::value(file.width as i32))
        .col_expr(media::Column::Height, Expr::value(file.height as i32))
        .col_expr(
            media::Column::PreviewWidth,
            Expr::value(file.preview_width as i32),
        )
        .col_expr(
            media::Column::PreviewHeight,
            Expr::value(file.preview_height as i32),
        )
        .col_expr(media::Column::Blurhash, Expr::value(file.blurhash))
        .col_expr(media::Column::Size, Expr::value(file.size as i64))
        .col_expr(media::Column::FetchedAt, Expr::value(now))
        .col_expr(media::Column::UsedAt, Expr::value(now))
        .filter(media::Column::Id.eq(id))
        .filter(media::Column::StoredKey.eq(stored_key))
        .exec(&db.conn)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Records a failed fetch of row `id`: tried again after [`RETRY_AFTER`], or never when the
/// file turned out to be of a type this instance does not read (`unreadable`).
pub async fn fetch_failed(db: &Db, id: i64, unreadable: bool) -> OpResult<()> {
    let state = if unreadable {
        FetchState::Linked
    } else {
        FetchState::Failed
    };
    media::Entity::update_many()
        .col_expr(media::Column::FetchState, Expr::value(state.as_str()))
        .col_expr(media::Column::FetchedAt, Expr::value(Utc::now()))
        .filter(media::Column::Id.eq(id))
        .exec(&db.conn)
        .await?;
    Ok(())
}

/// Whether a row in `state`, last tried at `fetched_at`, is to be fetched now.
pub fn due(state: FetchState, fetched_at: Option<DateTime<Utc>>) -> bool {
    match state {
        FetchState::Pending => true,
        FetchState::Failed => fetched_at.is_none_or(|t| Utc::now() - t > RETRY_AFTER),
        _ => false,
    }
}

/// Notes that cached row `id` was served (at most once a minute, to spare the writes).
pub async fn touch(db: &Db, id: i64) -> OpResult<()> {
    let now = Utc::now();
    media::Entity::update_many()
        .col_expr(media::Column::UsedAt, Expr::value(now))
        .filter(media::Column::Id.eq(id))
        .filter(media::Column::UsedAt.lt(now - Duration::minutes(1)))
        .exec(&db.conn)
        .await?;
    Ok(())
}

/// Bytes the cache holds.
pub async fn cache_bytes(db: &Db) -> OpResult<u64> {
    // PostgreSQL sums BIGINTs as NUMERIC: cast back.
    let sum: Option<Option<i64>> = media::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(media.size), 0) AS BIGINT)"),
            "total",
        )
        .filter(media::Column::FetchState.eq(FetchState::Cached.as_str()))
        .into_tuple()
        .one(&db.conn)
        .await?;
    Ok(sum.flatten().unwrap_or(0).max(0) as u64)
}

/// Files that left the cache and are to be deleted from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evicted {
    /// Where they are.
    pub stored_key: String,
    /// Their extension.
    pub ext: &'static str,
}

/// Takes the longest unused files out of the cache until it holds at most `max` bytes, never
/// `keep` (the file just fetched, for the request that fetched it). The rows stay (their URLs
/// too) and are fetched again when asked for.
pub async fn evict(db: &Db, max: u64, keep: i64) -> OpResult<Vec<Evicted>> {
    let mut total = cache_bytes(db).await?;
    let mut out = Vec::new();
    while total > max {
        let batch = media::Entity::find()
            .filter(media::Column::FetchState.eq(FetchState::Cached.as_str()))
            .filter(media::Column::Id.ne(keep))
            .order_by_asc(media::Column::UsedAt)
            .order_by_asc(media::Column::Id)
            .limit(100)
            .all(&db.conn)
            .await?;
        if batch.is_empty() {
            break;
        }
        for row in batch {
            if total <= max {
                break;
            }
            let key = row.key.clone();
            let done = media::Entity::update_many()
                .col_expr(
                    media::Column::FetchState,
                    Expr::value(FetchState::Pending.as_str()),
                )
                .col_expr(media::Column::Size, Expr::value(0i64))
                .col_expr(media::Column::StoredKey, Expr::value(key))
                .filter(media::Column::Id.eq(row.id))
                .filter(media::Column::FetchState.eq(FetchState::Cached.as_str()))
                .exec(&db.conn)
                .await?;
            if done.rows_affected > 0 {
                total = total.saturating_sub(row.size.max(0) as u64);
                out.push(Evicted {
                    ext: enishi_core::media::ext_of(&row.content_type),
                    stored_key: row.stored_key,
                });
            }
        }
    }
    Ok(out)
}
