//! Introductions (紹介文): what a friend writes about a member, shown on the member's profile.

use crate::entity::introduction;
use crate::error::{OpError, OpResult};
use crate::federation::{self, Event, IntroductionAnswer};
use crate::{Db, actors, notifications, relations};
use chrono::Utc;
use enishi_core::{
    Actor, ActorId, Audience, InstanceSettings, Introduction, IntroductionState, NotificationKind,
    Viewer, ViewerKind, may_see, may_see_introduction,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use url::Url;

/// Converts a row into the domain introduction.
pub(crate) fn to_domain(row: introduction::Model) -> Result<Introduction, DbErr> {
    Ok(Introduction {
        id: row.id,
        ap_id: Url::parse(&row.ap_id)
            .map_err(|e| DbErr::Custom(format!("introduction {} ap_id: {e}", row.id)))?,
        public_id: row.public_id,
        writer: ActorId(row.writer_id),
        subject: ActorId(row.subject_id),
        body: row.body,
        state: row.state.parse().map_err(DbErr::Custom)?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// An introduction with its writer and subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntroductionView {
    /// The introduction.
    pub introduction: Introduction,
    /// Who wrote it.
    pub writer: Actor,
    /// Whom it is about.
    pub subject: Actor,
}

/// The audience of a subject's introductions section; for a remote subject, the one its
/// server published, or private when it published none (fail closed).
pub async fn section_audience(db: &Db, subject: ActorId) -> Result<Audience, DbErr> {
    Ok(crate::profiles::stored_settings(db, subject)
        .await?
        .introductions_audience)
}

pub(crate) async fn view(
    conn: &impl sea_orm::ConnectionTrait,
    intro: Introduction,
) -> OpResult<IntroductionView> {
    let writer = actors::find_by_id(conn, intro.writer)
        .await?
        .ok_or_else(|| OpError::not_found("writer gone"))?;
    let subject = actors::find_by_id(conn, intro.subject)
        .await?
        .ok_or_else(|| OpError::not_found("subject gone"))?;
    Ok(IntroductionView {
        introduction: intro,
        writer,
        subject,
    })
}

/// `viewer` writes an introduction of `subject`; only friends may, once per subject.
pub async fn write(
    db: &Db,
    settings: &InstanceSettings,
    viewer: &Viewer,
    subject: &Actor,
    text: &str,
) -> OpResult<IntroductionView> {
    let me = match (viewer.actor, viewer.kind) {
        (Some(a), ViewerKind::Member) => a,
        _ => return Err(OpError::Forbidden("log in to write an introduction".into())),
    };
    if me == subject.id {
        return Err(OpError::Conflict(
            "self_target",
            "you cannot introduce yourself".into(),
        ));
    }
    settings.limits.check_introduction(text)?;
    // Checked inside the transaction, so that a concurrent unfriend or block cannot leave an
    // introduction between people who are no longer friends.
    let txn = crate::begin_write(db).await?;
    if relations::blocked_either_way(&txn, me, subject.id).await? {
        return Err(OpError::not_found(enishi_core::unknown_account(
            &subject.api_handle(),
        )));
    }
    if !relations::are_friends(&txn, me, subject.id).await? {
        return Err(OpError::Forbidden(
            "only friends may write an introduction".into(),
        ));
    }
    let exists = introduction::Entity::find()
        .filter(introduction::Column::WriterId.eq(me.0))
        .filter(introduction::Column::SubjectId.eq(subject.id.0))
        .one(&txn)
        .await?;
    if let Some(existing) = exists {
        return Err(OpError::Conflict(
            "introduction_exists",
            format!(
                "you already wrote an introduction of {} ({}); edit that one",
                subject.api_handle(),
                existing.public_id
            ),
        ));
    }
    let public_id = uuid::Uuid::now_v7().to_string();
    let now = Utc::now();
    let row = introduction::ActiveModel {
        ap_id: Set(settings
            .url(&format!("/introductions/{public_id}"))
            .to_string()),
        public_id: Set(public_id),
        writer_id: Set(me.0),
        subject_id: Set(subject.id.0),
        body: Set(text.to_owned()),
        state: Set(IntroductionState::Shown.as_str().into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if crate::is_unique_violation(&e) {
            OpError::Conflict(
                "introduction_exists",
                format!(
                    "you already wrote an introduction of {}",
                    subject.api_handle()
                ),
            )
        } else {
            e.into()
        }
    })?;
    notifications::create(
        &txn,
        subject.id,
        NotificationKind::Introduction,
        me,
        notifications::Refs {
            introduction: Some(row.id),
            ..Default::default()
        },
    )
    .await?;
    let written = view(&txn, to_domain(row)?).await?;
    tell(
        db,
        &txn,
        Event::WriteIntroduction {
            intro: &written,
            edited: false,
        },
        &written.writer,
        &written.subject,
    )
    .await?;
    txn.commit().await?;
    Ok(written)
}

/// Queues `event` by `from` to `to` when `to` lives elsewhere, keyed by the introduction.
async fn tell(
    db: &Db,
    conn: &impl sea_orm::ConnectionTrait,
    event: Event<'_>,
    from: &Actor,
    to: &Actor,
) -> OpResult<()> {
    let key = match &event {
        Event::WriteIntroduction { intro, .. } => intro.introduction.ap_id.to_string(),
        Event::DeleteIntroduction { ap_id, .. } | Event::AnswerIntroduction { ap_id, .. } => {
            ap_id.to_string()
        }
        _ => String::new(),
    };
    federation::announce(
        conn,
        db.herald(),
        from,
        &key,
        event,
        std::slice::from_ref(to),
    )
    .await?;
    Ok(())
}

/// An introduction `viewer` may see (404 otherwise).
pub async fn get_visible(db: &Db, viewer: &Viewer, public_id: &str) -> OpResult<IntroductionView> {
    let missing = || OpError::not_found(format!("no introduction {public_id:?}"));
    let row = introduction::Entity::find()
        .filter(introduction::Column::PublicId.eq(public_id))
        .one(&db.conn)
        .await?
        .ok_or_else(missing)?;
    let intro = to_domain(row)?;
    let section = section_audience(db, intro.subject).await?;
    let to_subject = relations::relation(&db.conn, viewer, intro.subject).await?;
    let to_writer = relations::relation(&db.conn, viewer, intro.writer).await?;
    let hidden = intro.state == IntroductionState::Hidden;
    if !may_see_introduction(section, viewer.kind, to_subject, to_writer, hidden) {
        return Err(missing());
    }
    view(&db.conn, intro).await
}

/// The writer edits their introduction.
pub async fn edit(
    db: &Db,
    settings: &InstanceSettings,
    viewer: &Viewer,
    public_id: &str,
    text: &str,
) -> OpResult<IntroductionView> {
    let v = get_visible(db, viewer, public_id).await?;
    if viewer.actor != Some(v.introduction.writer) {
        return Err(OpError::Forbidden(
            "only the writer may edit an introduction".into(),
        ));
    }
    settings.limits.check_introduction(text)?;
    let mut row: introduction::ActiveModel = introduction::Entity::find_by_id(v.introduction.id)
        .one(&db.conn)
        .await?
        .ok_or_else(|| OpError::not_found("gone"))?
        .into();
    row.body = Set(text.to_owned());
    row.updated_at = Set(Utc::now());
    let txn = crate::begin_write(db).await?;
    let row = row.update(&txn).await?;
    let edited = view(&txn, to_domain(row)?).await?;
    tell(
        db,
        &txn,
        Event::WriteIntroduction {
            intro: &edited,
            edited: true,
        },
        &edited.writer,
        &edited.subject,
    )
    .await?;
    txn.commit().await?;
    Ok(edited)
}

/// The writer or the subject deletes an introduction.
pub async fn delete(db: &Db, viewer: &Viewer, public_id: &str) -> OpResult<()> {
    let v = get_visible(db, viewer, public_id).await?;
    if viewer.actor != Some(v.introduction.writer) && viewer.actor != Some(v.introduction.subject) {
        return Err(OpError::Forbidden(
            "only the writer or the subject may delete an introduction".into(),
        ));
    }
    let (me, other) = if viewer.actor == Some(v.writer.id) {
        (&v.writer, &v.subject)
    } else {
        (&v.subject, &v.writer)
    };
    let txn = crate::begin_write(db).await?;
    tell(
        db,
        &txn,
        Event::DeleteIntroduction {
            ap_id: &v.introduction.ap_id,
            actor: me,
            to: other,
        },
        me,
        other,
    )
    .await?;
    introduction::Entity::delete_by_id(v.introduction.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The subject hides (or shows again) an introduction of them.
pub async fn set_hidden(
    db: &Db,
    viewer: &Viewer,
    public_id: &str,
    hidden: bool,
) -> OpResult<IntroductionView> {
    let v = get_visible(db, viewer, public_id).await?;
    if viewer.actor != Some(v.introduction.subject) {
        return Err(OpError::Forbidden(
            "only the subject may hide or show an introduction".into(),
        ));
    }
    let state = if hidden {
        IntroductionState::Hidden
    } else {
        IntroductionState::Shown
    };
    let mut row: introduction::ActiveModel = introduction::Entity::find_by_id(v.introduction.id)
        .one(&db.conn)
        .await?
        .ok_or_else(|| OpError::not_found("gone"))?
        .into();
    row.state = Set(state.as_str().into());
    let txn = crate::begin_write(db).await?;
    let row = row.update(&txn).await?;
    let changed = view(&txn, to_domain(row)?).await?;
    let answer = if hidden {
        IntroductionAnswer::Remove
    } else {
        IntroductionAnswer::Accept
    };
    tell(
        db,
        &txn,
        Event::AnswerIntroduction {
            ap_id: &changed.introduction.ap_id,
            subject: &changed.subject,
            writer: &changed.writer,
            answer,
        },
        &changed.subject,
        &changed.writer,
    )
    .await?;
    txn.commit().await?;
    Ok(changed)
}

/// Introductions of `subject` that `viewer` may see, newest first.
pub async fn list_for_subject(
    db: &Db,
    viewer: &Viewer,
    subject: ActorId,
) -> OpResult<Vec<IntroductionView>> {
    let section = section_audience(db, subject).await?;
    let to_subject = relations::relation(&db.conn, viewer, subject).await?;
    let section_visible = may_see(section, viewer.kind, to_subject);
    let mut q = introduction::Entity::find().filter(introduction::Column::SubjectId.eq(subject.0));
    // Mirrors `may_see_introduction`: writer and subject see all theirs; others need the
    // section, a shown introduction and no block with its writer.
    q = match viewer.actor {
        Some(v) if v == subject => q,
        Some(v) => {
            let others = if section_visible {
                Expr::col(introduction::Column::State)
                    .eq(IntroductionState::Shown.as_str())
                    .and(crate::visibility::reaction_author_visible(
                        "introduction.writer_id",
                        viewer,
                    ))
            } else {
                Expr::cust("1 = 0")
            };
            q.filter(Expr::col(introduction::Column::WriterId).eq(v.0).or(others))
        }
        None if section_visible => {
            q.filter(introduction::Column::State.eq(IntroductionState::Shown.as_str()))
        }
        None => return Ok(Vec::new()),
    };
    let rows = q
        .order_by_desc(introduction::Column::Id)
        .all(&db.conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(&db.conn, to_domain(row)?).await?);
    }
    Ok(out)
}
