//! Members' archives (issue 17): `POST /api/v1/me/archive` starts one in the background,
//! `GET /api/v1/me/archive` tells how far it has come, and `GET /api/v1/me/archive/download`
//! (or `/settings/archive/download` in a browser) hands over the zip. The zip holds the
//! member's diaries and voice posts (JSON, with their photos), comments, introductions written
//! and received, friends (handles, and Mastodon's following CSV) and every photo they uploaded.

use crate::api::auth::CurrentMember;
use crate::error::ErrorBody;
use crate::{AppError, AppState};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use enishi_core::Member;
use enishi_db::archive::{self, ArchiveJob, Contents};
use serde::Serialize;
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::Path;
use tokio::sync::mpsc;
use utoipa::ToSchema;

/// Where an archive stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArchiveOut {
    /// `running`, `done` or `failed`.
    pub state: String,
    /// How far, 0 to 100.
    pub progress: i32,
    /// Size of the zip in bytes, once done.
    pub size: Option<i64>,
    /// Where to download it, once done.
    pub download: Option<String>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it was ready.
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<ArchiveJob> for ArchiveOut {
    fn from(j: ArchiveJob) -> Self {
        ArchiveOut {
            download: (j.state == "done").then(|| "/api/v1/me/archive/download".to_owned()),
            state: j.state,
            progress: j.progress,
            size: j.size,
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

/// Starts making the caller's archive (replacing an earlier one).
#[utoipa::path(post, path = "/api/v1/me/archive", tag = "me", security(("bearer" = [])),
    responses((status = 202, body = ArchiveOut, description = "the archive is being made"), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "an archive is being made (`archive_running`)")))]
pub async fn start_archive(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<(StatusCode, Json<ArchiveOut>), AppError> {
    let job = begin(&state, &me.member).await?;
    Ok((StatusCode::ACCEPTED, Json(job.into())))
}

/// How far the caller's archive has come.
#[utoipa::path(get, path = "/api/v1/me/archive", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = ArchiveOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn archive_status(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Json<ArchiveOut>, AppError> {
    archive::latest(&state.db, me.member.account_id)
        .await?
        .map(|j| Json(j.into()))
        .ok_or_else(|| AppError::not_found("no archive yet: POST /api/v1/me/archive makes one"))
}

/// The caller's archive (a zip), once done.
#[utoipa::path(get, path = "/api/v1/me/archive/download", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "the zip", content_type = "application/zip"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_archive(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Response, AppError> {
    download(&state, &me.member).await
}

/// Starts an archive for `member` and makes it in the background.
pub async fn begin(state: &AppState, member: &Member) -> Result<ArchiveJob, AppError> {
    let (job, old) = archive::start(&state.db, member.account_id).await?;
    for f in old {
        let _ = tokio::fs::remove_file(state.archives_dir.join(f)).await;
    }
    let (state2, member2, id) = (state.clone(), member.clone(), job.id);
    tokio::spawn(async move {
        if let Err(e) = make(&state2, &member2, id).await {
            tracing::warn!(member = %member2.actor.username, error = %e, "an archive failed");
            let _ = archive::fail(&state2.db, id, "the archive could not be made").await;
        }
    });
    Ok(job)
}

/// The zip of `member`'s latest archive, once done (404 otherwise).
pub async fn download(state: &AppState, member: &Member) -> Result<Response, AppError> {
    let none = || AppError::not_found("no archive is ready");
    let job = archive::latest(&state.db, member.account_id)
        .await?
        .filter(|j| j.state == "done")
        .ok_or_else(none)?;
    let file = job.file_name.ok_or_else(none)?;
    let f = tokio::fs::File::open(state.archives_dir.join(&file))
        .await
        .map_err(|_| none())?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(f));
    let name = format!(
        "enishi-{}-{}.zip",
        member.actor.username,
        job.created_at.format("%Y%m%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// Why making an archive failed (logged; the member is told only that it failed).
type Failure = Box<dyn std::error::Error + Send + Sync>;

/// One file of the zip.
struct Entry {
    name: String,
    bytes: Vec<u8>,
}

/// Makes the archive: gathers, then writes the zip on a blocking thread fed entry by entry
/// (photos are read one at a time, never all held at once), recording progress.
async fn make(state: &AppState, member: &Member, id: i64) -> Result<(), Failure> {
    let contents = archive::gather(&state.db, &member.actor).await?;
    tokio::fs::create_dir_all(&state.archives_dir).await?;
    let file_name = format!("{}-{}.zip", member.account_id, enishi_db::media::new_key());
    let path = state.archives_dir.join(&file_name);
    let (tx, rx) = mpsc::channel::<Entry>(4);
    let writer = tokio::task::spawn_blocking({
        let path = path.clone();
        move || write_zip(&path, rx)
    });
    let documents = documents(member, &contents);
    let total = documents.len() + contents.media.len();
    let mut done = 0usize;
    let step = |done: usize| (done * 100 / total.max(1)) as i32;
    for (name, value) in documents {
        let bytes = serde_json::to_vec_pretty(&value)?;
        tx.send(Entry { name, bytes }).await?;
        done += 1;
    }
    let (friends_txt, following_csv) = friend_lists(&contents);
    tx.send(Entry {
        name: "friends.txt".into(),
        bytes: friends_txt.into_bytes(),
    })
    .await?;
    tx.send(Entry {
        name: "following_accounts.csv".into(),
        bytes: following_csv.into_bytes(),
    })
    .await?;
    archive::progress(&state.db, id, step(done)).await?;
    for m in &contents.media {
        let original = format!("original.{}", m.ext());
        if let Some(bytes) = state.media.store.get(&m.key, &original).await? {
            tx.send(Entry {
                name: format!("media/{}.{}", m.public_id, m.ext()),
                bytes: bytes.to_vec(),
            })
            .await?;
        }
        done += 1;
        archive::progress(&state.db, id, step(done)).await?;
    }
    drop(tx);
    let size = writer.await??;
    archive::finish(&state.db, id, &file_name, size).await?;
    Ok(())
}

/// Writes the entries into a zip at `path`; returns its size.
fn write_zip(path: &Path, mut rx: mpsc::Receiver<Entry>) -> Result<u64, Failure> {
    let file = std::fs::File::create(path)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    while let Some(e) = rx.blocking_recv() {
        zip.start_file(e.name, options)?;
        zip.write_all(&e.bytes)?;
    }
    let file = zip.finish()?;
    Ok(file.metadata()?.len())
}

/// The JSON documents of the archive, by file name.
fn documents(member: &Member, c: &Contents) -> Vec<(String, Value)> {
    let photo = |m: &enishi_core::media::Media| format!("media/{}.{}", m.public_id, m.ext());
    let post = |v: &enishi_db::posts::PostView| {
        json!({
            "id": v.post.public_id,
            "ap_id": v.post.ap_id.as_str(),
            "title": v.post.title,
            "body": v.post.body,
            "audience": v.post.audience.as_str(),
            "created_at": v.post.created_at,
            "updated_at": v.post.updated_at,
            "photos": v.post.media.iter().map(|m| json!({"file": photo(m), "description": m.description})).collect::<Vec<_>>(),
        })
    };
    let of_kind = |k: enishi_core::PostKind| -> Vec<Value> {
        c.posts
            .iter()
            .filter(|v| v.post.kind == k)
            .map(post)
            .collect()
    };
    let intro = |(i, other): &(enishi_core::Introduction, enishi_core::Actor), who: &str| {
        json!({
            "id": i.public_id,
            who: other.handle(),
            "text": i.body,
            "state": format!("{:?}", i.state).to_lowercase(),
            "created_at": i.created_at,
        })
    };
    vec![
        (
            "profile.json".into(),
            json!({
                "handle": member.actor.handle(),
                "ap_id": member.actor.ap_id.as_str(),
                "nickname": member.actor.display_name,
                "bio": member.actor.summary,
                "joined": member.created_at,
            }),
        ),
        (
            "diaries.json".into(),
            Value::Array(of_kind(enishi_core::PostKind::Diary)),
        ),
        (
            "voices.json".into(),
            Value::Array(of_kind(enishi_core::PostKind::Voice)),
        ),
        (
            "comments.json".into(),
            Value::Array(
                c.comments
                    .iter()
                    .map(|(cm, on)| {
                        json!({
                            "id": cm.public_id,
                            "ap_id": cm.ap_id.as_str(),
                            "on": on,
                            "text": cm.body,
                            "created_at": cm.created_at,
                        })
                    })
                    .collect(),
            ),
        ),
        (
            "introductions_written.json".into(),
            Value::Array(c.written.iter().map(|i| intro(i, "subject")).collect()),
        ),
        (
            "introductions_received.json".into(),
            Value::Array(c.received.iter().map(|i| intro(i, "writer")).collect()),
        ),
        (
            "photos.json".into(),
            Value::Array(
                c.media
                    .iter()
                    .map(|m| json!({"file": photo(m), "description": m.description}))
                    .collect(),
            ),
        ),
    ]
}

/// `friends.txt` (one handle a line) and Mastodon's following CSV.
fn friend_lists(c: &Contents) -> (String, String) {
    let mut friends = String::new();
    for f in &c.friends {
        friends.push_str(&f.handle());
        friends.push('\n');
    }
    let mut csv = String::from("Account address,Show boosts,Notify on new posts,Languages\n");
    for f in &c.following {
        csv.push_str(&format!("{},true,false,\n", f.handle()));
    }
    (friends, csv)
}
