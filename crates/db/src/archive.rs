//! A member's archive (issue 17): what goes into it, gathered from the database, and the
//! progress of its making, kept here so that every process can show it. The archive holds the
//! member's own diaries, voice posts and comments, the introductions they wrote and received,
//! their friends and follows, and their own photos — nothing of anyone else's but the
//! introductions written about them and the handles of those they know.

use crate::entity::{actor, archive, comment, follow, friendship, introduction, media, post};
use crate::error::{OpError, OpResult};
use crate::posts::PostView;
use crate::{Db, actors};
use chrono::{DateTime, Utc};
use enishi_core::media::Media;
use enishi_core::{Actor, Comment, Introduction};
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

/// Where an archive's making stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveJob {
    /// Id.
    pub id: i64,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// 0 to 100.
    pub progress: i32,
    /// The file under the archives directory, once done.
    pub file_name: Option<String>,
    /// Its size in bytes.
    pub size: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it was done (or failed).
    pub finished_at: Option<DateTime<Utc>>,
}

fn job(r: archive::Model) -> ArchiveJob {
    ArchiveJob {
        id: r.id,
        state: r.state,
        progress: r.progress,
        file_name: r.file_name,
        size: r.size,
        error: r.error,
        created_at: r.created_at,
        finished_at: r.finished_at,
    }
}

/// An archive still running after this long died with its process; a new one may start.
const STALE_MINUTES: i64 = 30;

/// Starts an archive for `account_id`; 409 `archive_running` while one is being made.
/// Returns the new job and the file names of the member's older archives (to remove).
pub async fn start(db: &Db, account_id: i64) -> OpResult<(ArchiveJob, Vec<String>)> {
    let txn = crate::begin_write(db).await?;
    let old = archive::Entity::find()
        .filter(archive::Column::AccountId.eq(account_id))
        .all(&txn)
        .await?;
    let stale_before = Utc::now() - chrono::Duration::minutes(STALE_MINUTES);
    if old
        .iter()
        .any(|o| o.state == "running" && o.created_at > stale_before)
    {
        return Err(OpError::Conflict(
            "archive_running",
            "your archive is being made; wait until it is ready".into(),
        ));
    }
    let files = old.iter().filter_map(|o| o.file_name.clone()).collect();
    archive::Entity::delete_many()
        .filter(archive::Column::AccountId.eq(account_id))
        .exec(&txn)
        .await?;
    let row = archive::ActiveModel {
        account_id: Set(account_id),
        state: Set("running".into()),
        progress: Set(0),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok((job(row), files))
}

/// The member's latest archive, if any.
pub async fn latest(db: &Db, account_id: i64) -> Result<Option<ArchiveJob>, DbErr> {
    Ok(archive::Entity::find()
        .filter(archive::Column::AccountId.eq(account_id))
        .order_by_desc(archive::Column::Id)
        .one(&db.conn)
        .await?
        .map(job))
}

async fn update(
    db: &Db,
    id: i64,
    change: impl FnOnce(&mut archive::ActiveModel),
) -> Result<(), DbErr> {
    let Some(row) = archive::Entity::find_by_id(id).one(&db.conn).await? else {
        return Ok(());
    };
    let mut active: archive::ActiveModel = row.into();
    change(&mut active);
    active.update(&db.conn).await?;
    Ok(())
}

/// Records how far the making has come.
pub async fn progress(db: &Db, id: i64, percent: i32) -> Result<(), DbErr> {
    update(db, id, |a| a.progress = Set(percent.clamp(0, 99))).await
}

/// Records the archive as ready.
pub async fn finish(db: &Db, id: i64, file_name: &str, size: u64) -> Result<(), DbErr> {
    update(db, id, |a| {
        a.state = Set("done".into());
        a.progress = Set(100);
        a.file_name = Set(Some(file_name.to_owned()));
        a.size = Set(Some(size as i64));
        a.finished_at = Set(Some(Utc::now()));
    })
    .await
}

/// Records that the making failed.
pub async fn fail(db: &Db, id: i64, error: &str) -> Result<(), DbErr> {
    update(db, id, |a| {
        a.state = Set("failed".into());
        a.error = Set(Some(error.to_owned()));
        a.finished_at = Set(Some(Utc::now()));
    })
    .await
}

/// Everything of the member's that goes into the archive.
#[derive(Debug, Clone)]
pub struct Contents {
    /// Their diaries and voice posts, oldest first, with their photos.
    pub posts: Vec<PostView>,
    /// Their comments, each with the id of the post it answers.
    pub comments: Vec<(Comment, String)>,
    /// Introductions they wrote, with their subject.
    pub written: Vec<(Introduction, Actor)>,
    /// Introductions written about them, with their writer.
    pub received: Vec<(Introduction, Actor)>,
    /// Their friends.
    pub friends: Vec<Actor>,
    /// Accounts they follow (friends included).
    pub following: Vec<Actor>,
    /// Their own photos (uploads, attached or not).
    pub media: Vec<Media>,
}

/// Gathers `member`'s archive contents.
pub async fn gather(db: &Db, member: &Actor) -> OpResult<Contents> {
    let me = member.id.0;
    let rows = post::Entity::find()
        .filter(post::Column::AuthorId.eq(me))
        .order_by_asc(post::Column::Id)
        .all(&db.conn)
        .await?;
    let posts = crate::posts::load_views(db, rows).await?;
    let mut comments = Vec::new();
    for c in comment::Entity::find()
        .filter(comment::Column::AuthorId.eq(me))
        .order_by_asc(comment::Column::Id)
        .all(&db.conn)
        .await?
    {
        let on = post::Entity::find_by_id(c.post_id)
            .one(&db.conn)
            .await?
            .map(|p| p.ap_id)
            .unwrap_or_default();
        comments.push((crate::reactions::comment_to_domain(c)?, on));
    }
    let mut written = Vec::new();
    let mut received = Vec::new();
    for i in introduction::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(introduction::Column::WriterId.eq(me))
                .add(introduction::Column::SubjectId.eq(me)),
        )
        .order_by_asc(introduction::Column::Id)
        .all(&db.conn)
        .await?
    {
        let intro = crate::introductions::to_domain(i)?;
        let (other, list) = if intro.writer == member.id {
            (intro.subject, &mut written)
        } else {
            (intro.writer, &mut received)
        };
        if let Some(a) = actors::find_by_id(&db.conn, other).await? {
            list.push((intro, a));
        }
    }
    let friend_ids: Vec<i64> = friendship::Entity::find()
        .filter(friendship::Column::OwnerId.eq(me))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|f| f.friend_id)
        .collect();
    let followee_ids: Vec<i64> = follow::Entity::find()
        .filter(follow::Column::FollowerId.eq(me))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|f| f.followee_id)
        .collect();
    let load = |ids: Vec<i64>| async move {
        let rows = actor::Entity::find()
            .filter(actor::Column::Id.is_in(ids))
            .order_by_asc(actor::Column::Id)
            .all(&db.conn)
            .await?;
        rows.into_iter()
            .map(actors::to_domain)
            .collect::<Result<Vec<_>, DbErr>>()
    };
    let friends = load(friend_ids).await?;
    let following = load(followee_ids).await?;
    let media = media::Entity::find()
        .filter(media::Column::OwnerId.eq(me))
        .filter(media::Column::RemoteUrl.is_null())
        .order_by_asc(media::Column::Id)
        .all(&db.conn)
        .await?
        .iter()
        .map(crate::media::to_domain)
        .collect();
    Ok(Contents {
        posts,
        comments,
        written,
        received,
        friends,
        following,
        media,
    })
}
