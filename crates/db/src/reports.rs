//! Reports (issue 17): a member's report of an account and some of its posts and comments, and
//! another server's `Flag`, in one queue that moderators work through.
//!
//! What a report names is shown to moderators only as its reporter could see it: a member's
//! report is read again with the reporter as the viewer, a `Flag` with what its server was
//! sent. A report forwarded to the account's server goes as a `Flag` from the instance actor,
//! never naming the reporter.

use crate::entity::{comment, post, report, report_object};
use crate::error::{OpError, OpResult};
use crate::federation::{self, Event};
use crate::posts::{self, PostView};
use crate::reactions::{self, CommentView};
use crate::{Db, actors};
use chrono::{DateTime, Utc};
use enishi_core::report::{MAX_COMMENT_CHARS, MAX_OBJECTS, ReportReason, ReportState};
use enishi_core::{Actor, ActorId, InstanceSettings, ValidationError, Viewer};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use url::Url;

/// A post or comment a report names, as found when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedObject {
    /// The post, while it exists here.
    pub post_id: Option<i64>,
    /// The comment, while it exists here.
    pub comment_id: Option<i64>,
    /// Its ActivityPub id.
    pub ap_id: String,
}

/// What a reported object looks like to the moderator.
#[derive(Debug, Clone)]
pub enum Shown {
    /// A post, as the reporter may see it.
    Post(PostView),
    /// A comment, as the reporter may see it, with its post's id.
    Comment(CommentView),
    /// Gone, or no longer visible to the reporter: only that it was there.
    Unavailable(String),
}

/// A report as moderators see it.
#[derive(Debug, Clone)]
pub struct Report {
    /// Public id.
    pub public_id: String,
    /// Internal id (the list's cursor).
    pub id: i64,
    /// The member who reported (none for a `Flag`).
    pub reporter: Option<Actor>,
    /// The server a `Flag` came from.
    pub origin: Option<String>,
    /// The account reported.
    pub target: Actor,
    /// Why.
    pub reason: ReportReason,
    /// The reporter's words.
    pub comment: String,
    /// Whether the reporter asked for it to go to the account's server.
    pub forward: bool,
    /// When it was sent there.
    pub forwarded_at: Option<DateTime<Utc>>,
    /// Where it stands.
    pub state: ReportState,
    /// Who resolved or dismissed it.
    pub handled_by: Option<String>,
    /// What they noted.
    pub handled_note: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was handled.
    pub handled_at: Option<DateTime<Utc>>,
    /// The posts and comments it names, as the reporter could see them.
    pub objects: Vec<Shown>,
}

/// A member's report.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    /// Who reports (a member here).
    pub reporter: &'a Actor,
    /// The account reported.
    pub target: &'a Actor,
    /// Posts and comments of the target's: public ids or ActivityPub ids.
    pub object_ids: &'a [String],
    /// Why.
    pub reason: ReportReason,
    /// In the reporter's words.
    pub comment: &'a str,
    /// Send it (without the reporter's name) to the account's server.
    pub forward: bool,
}

fn invalid(field: &'static str, message: impl Into<String>) -> OpError {
    OpError::Invalid(ValidationError::new(field, message))
}

/// Finds the post or comment `id` names (a public id or an ActivityPub id), if it exists.
async fn find_object(db: &Db, id: &str) -> Result<Option<(ActorId, ReportedObject)>, DbErr> {
    let by_url = Url::parse(id).is_ok();
    let post_col = if by_url {
        post::Column::ApId
    } else {
        post::Column::PublicId
    };
    if let Some(p) = post::Entity::find()
        .filter(post_col.eq(id))
        .one(&db.conn)
        .await?
    {
        return Ok(Some((
            ActorId(p.author_id),
            ReportedObject {
                post_id: Some(p.id),
                comment_id: None,
                ap_id: p.ap_id,
            },
        )));
    }
    let comment_col = if by_url {
        comment::Column::ApId
    } else {
        comment::Column::PublicId
    };
    Ok(comment::Entity::find()
        .filter(comment_col.eq(id))
        .one(&db.conn)
        .await?
        .map(|c| {
            (
                ActorId(c.author_id),
                ReportedObject {
                    post_id: None,
                    comment_id: Some(c.id),
                    ap_id: c.ap_id,
                },
            )
        }))
}

/// How `viewer` sees a reported object: as it is, or unavailable.
async fn shown_to(db: &Db, viewer: &Viewer, o: &ReportedObject) -> Result<Shown, DbErr> {
    let gone = || Shown::Unavailable(o.ap_id.clone());
    if let Some(id) = o.post_id {
        let Some(row) = post::Entity::find_by_id(id).one(&db.conn).await? else {
            return Ok(gone());
        };
        let kind = posts::to_domain(row.clone())?.kind;
        return match posts::get_visible(db, viewer, kind, &row.public_id).await {
            Ok(view) => Ok(Shown::Post(view)),
            Err(OpError::Db(e)) => Err(e),
            Err(_) => Ok(gone()),
        };
    }
    if let Some(id) = o.comment_id {
        let Some(row) = comment::Entity::find_by_id(id).one(&db.conn).await? else {
            return Ok(gone());
        };
        return match reactions::get_visible_comment(db, viewer, &row.public_id).await {
            Ok((c, _)) => Ok(Shown::Comment(c)),
            Err(OpError::Db(e)) => Err(e),
            Err(_) => Ok(gone()),
        };
    }
    Ok(gone())
}

/// Checks a member's report and keeps it; forwarded as a `Flag` (in the same transaction,
/// through the outbox) when asked and the account is elsewhere. Each object must be a post or
/// comment of the target's that the reporter may see (404 otherwise, whether it exists or not).
pub async fn create(db: &Db, settings: &InstanceSettings, new: NewReport<'_>) -> OpResult<Report> {
    if new.target.id == new.reporter.id {
        return Err(OpError::Conflict(
            "self_target",
            "you cannot report yourself".into(),
        ));
    }
    if new.comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(invalid(
            "comment",
            format!("must be at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    if new.object_ids.len() > MAX_OBJECTS {
        return Err(invalid(
            "object_ids",
            format!("name at most {MAX_OBJECTS} posts and comments"),
        ));
    }
    let viewer = Viewer::member(new.reporter.id);
    let mut objects: Vec<ReportedObject> = Vec::new();
    for (i, id) in new.object_ids.iter().enumerate() {
        let missing = || {
            OpError::not_found(format!(
                "object_ids[{i}]: no post or comment {id:?} of this account that you can see"
            ))
        };
        let Some((author, object)) = find_object(db, id.trim()).await? else {
            return Err(missing());
        };
        if author != new.target.id {
            return Err(missing());
        }
        if matches!(shown_to(db, &viewer, &object).await?, Shown::Unavailable(_)) {
            return Err(missing());
        }
        if !objects.iter().any(|o| o.ap_id == object.ap_id) {
            objects.push(object);
        }
    }
    let forward = new.forward && !new.target.is_local;
    let public_id = uuid::Uuid::now_v7().to_string();
    let now = Utc::now();
    let txn = crate::begin_write(db).await?;
    let row = report::ActiveModel {
        public_id: Set(public_id.clone()),
        reporter_id: Set(Some(new.reporter.id.0)),
        origin: Set(None),
        flag_ap_id: Set(None),
        target_id: Set(new.target.id.0),
        reason: Set(new.reason.as_str().to_owned()),
        comment: Set(new.comment.trim().to_owned()),
        forward: Set(forward),
        forwarded_at: Set(forward.then_some(now)),
        state: Set(ReportState::Open.as_str().to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    insert_objects(&txn, row.id, &objects).await?;
    if forward {
        let instance = crate::instance::find_instance_actor(db)
            .await?
            .ok_or_else(|| DbErr::Custom("the instance actor is missing".into()))?;
        let id = settings.url(&format!("/reports/{public_id}")).to_string();
        let named: Vec<String> = objects.iter().map(|o| o.ap_id.clone()).collect();
        federation::announce(
            &txn,
            db.herald(),
            &instance,
            &id,
            Event::Flag {
                id: &id,
                actor: &instance,
                target: new.target,
                objects: &named,
                content: new.comment.trim(),
            },
            std::slice::from_ref(new.target),
        )
        .await?;
    }
    txn.commit().await?;
    get(db, &public_id).await
}

async fn insert_objects(
    conn: &impl ConnectionTrait,
    report_id: i64,
    objects: &[ReportedObject],
) -> Result<(), DbErr> {
    for o in objects {
        report_object::ActiveModel {
            report_id: Set(report_id),
            post_id: Set(o.post_id),
            comment_id: Set(o.comment_id),
            ap_id: Set(o.ap_id.clone()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Most accounts of one server checked when judging what that server could see.
const MAX_ACCOUNTS_CHECKED: u64 = 1000;

/// Whether the server `domain` could see the post: everyone may, or one of that server's
/// accounts may (its audience rule, read as that account).
async fn server_saw_post(db: &Db, post_id: i64, domain: &str) -> Result<bool, DbErr> {
    use crate::entity::actor;
    let Some(row) = post::Entity::find_by_id(post_id).one(&db.conn).await? else {
        return Ok(false);
    };
    let kind = posts::to_domain(row.clone())?.kind;
    if posts::get_visible(db, &Viewer::ANONYMOUS, kind, &row.public_id)
        .await
        .is_ok()
    {
        return Ok(true);
    }
    let accounts = actor::Entity::find()
        .filter(actor::Column::Domain.eq(domain.to_ascii_lowercase()))
        .filter(actor::Column::IsLocal.eq(false))
        .limit(MAX_ACCOUNTS_CHECKED)
        .all(&db.conn)
        .await?;
    for a in accounts {
        match posts::get_visible(db, &Viewer::remote(ActorId(a.id)), kind, &row.public_id).await {
            Ok(_) => return Ok(true),
            Err(OpError::Db(e)) => return Err(e),
            Err(_) => {}
        }
    }
    Ok(false)
}

/// Of `urls` (what a `Flag` from `domain` names beside the account), the posts and comments of
/// `target` that `domain` could see; the rest are dropped unread.
pub async fn flagged_objects(
    db: &Db,
    domain: &str,
    target: &Actor,
    urls: &[Url],
) -> Result<Vec<ReportedObject>, DbErr> {
    let mut out: Vec<ReportedObject> = Vec::new();
    for url in urls.iter().take(MAX_OBJECTS) {
        let Some((author, object)) = find_object(db, url.as_str()).await? else {
            continue;
        };
        if author != target.id || out.iter().any(|o| o.ap_id == object.ap_id) {
            continue;
        }
        let post_id = match (object.post_id, object.comment_id) {
            (Some(p), _) => p,
            (None, Some(c)) => match comment::Entity::find_by_id(c).one(&db.conn).await? {
                Some(row) => row.post_id,
                None => continue,
            },
            _ => continue,
        };
        if server_saw_post(db, post_id, domain).await? {
            out.push(object);
        }
    }
    Ok(out)
}

/// Keeps a `Flag` from `origin` about local `target`; a repeated `Flag` changes nothing.
pub async fn receive_flag(
    db: &Db,
    origin: &str,
    flag_id: &str,
    target: &Actor,
    objects: &[ReportedObject],
    comment: &str,
) -> Result<(), DbErr> {
    if report::Entity::find()
        .filter(report::Column::FlagApId.eq(flag_id))
        .one(&db.conn)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let comment: String = comment.trim().chars().take(MAX_COMMENT_CHARS).collect();
    let txn = crate::begin_write(db).await?;
    let row = report::ActiveModel {
        public_id: Set(uuid::Uuid::now_v7().to_string()),
        reporter_id: Set(None),
        origin: Set(Some(origin.to_owned())),
        flag_ap_id: Set(Some(flag_id.to_owned())),
        target_id: Set(target.id.0),
        reason: Set(ReportReason::Other.as_str().to_owned()),
        comment: Set(comment),
        forward: Set(false),
        state: Set(ReportState::Open.as_str().to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    insert_objects(&txn, row.id, objects).await?;
    txn.commit().await
}

async fn to_report(db: &Db, row: report::Model) -> OpResult<Report> {
    let reporter = match row.reporter_id {
        Some(id) => actors::find_by_id(&db.conn, ActorId(id)).await?,
        None => None,
    };
    let target = actors::find_by_id(&db.conn, ActorId(row.target_id))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("report {} has no target", row.public_id)))?;
    let stored = report_object::Entity::find()
        .filter(report_object::Column::ReportId.eq(row.id))
        .order_by_asc(report_object::Column::Id)
        .all(&db.conn)
        .await?;
    let mut objects = Vec::with_capacity(stored.len());
    for o in stored {
        let o = ReportedObject {
            post_id: o.post_id,
            comment_id: o.comment_id,
            ap_id: o.ap_id,
        };
        let shown = match (&reporter, &row.origin) {
            (Some(r), _) => shown_to(db, &Viewer::member(r.id), &o).await?,
            (None, Some(origin)) => {
                // Read as an anonymous visitor would, then widened to what that server was
                // sent: never more than it could see.
                let post_id = match (o.post_id, o.comment_id) {
                    (Some(p), _) => Some(p),
                    (None, Some(c)) => comment::Entity::find_by_id(c)
                        .one(&db.conn)
                        .await?
                        .map(|r| r.post_id),
                    _ => None,
                };
                match post_id {
                    Some(p) if server_saw_post(db, p, origin).await? => {
                        shown_as_author(db, &o).await?
                    }
                    _ => Shown::Unavailable(o.ap_id.clone()),
                }
            }
            // The reporter's account is gone: nothing can be read as them.
            (None, None) => Shown::Unavailable(o.ap_id.clone()),
        };
        objects.push(shown);
    }
    Ok(Report {
        public_id: row.public_id,
        id: row.id,
        reporter,
        origin: row.origin,
        target,
        reason: ReportReason::parse_lenient(&row.reason),
        comment: row.comment,
        forward: row.forward,
        forwarded_at: row.forwarded_at,
        state: ReportState::parse(&row.state).unwrap_or(ReportState::Open),
        handled_by: row.handled_by,
        handled_note: row.handled_note,
        created_at: row.created_at,
        handled_at: row.handled_at,
        objects,
    })
}

/// The object as its author sees it (used once it is known the reporting server saw it).
async fn shown_as_author(db: &Db, o: &ReportedObject) -> Result<Shown, DbErr> {
    let author = match (o.post_id, o.comment_id) {
        (Some(p), _) => post::Entity::find_by_id(p)
            .one(&db.conn)
            .await?
            .map(|r| r.author_id),
        (None, Some(c)) => comment::Entity::find_by_id(c)
            .one(&db.conn)
            .await?
            .map(|r| r.author_id),
        _ => None,
    };
    match author {
        Some(a) => shown_to(db, &Viewer::member(ActorId(a)), o).await,
        None => Ok(Shown::Unavailable(o.ap_id.clone())),
    }
}

/// One report by its public id.
pub async fn get(db: &Db, public_id: &str) -> OpResult<Report> {
    let row = report::Entity::find()
        .filter(report::Column::PublicId.eq(public_id))
        .one(&db.conn)
        .await?
        .ok_or_else(|| OpError::not_found(format!("no report {public_id:?}")))?;
    to_report(db, row).await
}

/// Reports in `state` (all when `None`), newest first, older than `before` when given.
pub async fn list(
    db: &Db,
    state: Option<ReportState>,
    before: Option<i64>,
    limit: u64,
) -> OpResult<Vec<Report>> {
    let mut q = report::Entity::find();
    if let Some(s) = state {
        q = q.filter(report::Column::State.eq(s.as_str()));
    }
    if let Some(b) = before {
        q = q.filter(report::Column::Id.lt(b));
    }
    let rows = q
        .order_by_desc(report::Column::Id)
        .limit(limit)
        .all(&db.conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(to_report(db, r).await?);
    }
    Ok(out)
}

/// How many reports wait for a moderator.
pub async fn count_open(db: &Db) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    report::Entity::find()
        .filter(report::Column::State.eq(ReportState::Open.as_str()))
        .count(&db.conn)
        .await
}

/// Marks a report resolved or dismissed by `moderator`, with an audit entry
/// (`report_resolve` or `report_dismiss`) saying what was done.
pub async fn close(
    db: &Db,
    public_id: &str,
    moderator: &str,
    state: ReportState,
    note: Option<&str>,
) -> OpResult<Report> {
    let row = report::Entity::find()
        .filter(report::Column::PublicId.eq(public_id))
        .one(&db.conn)
        .await?
        .ok_or_else(|| OpError::not_found(format!("no report {public_id:?}")))?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    let txn = crate::begin_write(db).await?;
    let mut active: report::ActiveModel = row.into();
    active.state = Set(state.as_str().to_owned());
    active.handled_by = Set(Some(moderator.to_owned()));
    active.handled_note = Set(note.map(str::to_owned));
    active.handled_at = Set(Some(Utc::now()));
    active.update(&txn).await?;
    let action = match state {
        ReportState::Dismissed => "report_dismiss",
        _ => "report_resolve",
    };
    crate::audit::record(
        &txn,
        moderator,
        action,
        &format!("report {public_id}"),
        note,
    )
    .await?;
    txn.commit().await?;
    get(db, public_id).await
}
