//! Introductions across servers (DESIGN §4): a remote friend's introduction of a member
//! arrives as a Note with a `target`; the member's server answers `Accept` or `Reject`, and
//! `Remove` when the member hides it. Answers to our members' introductions arrive here too.

use crate::entity::introduction;
use crate::error::OpResult;
use crate::federation::{self, Event, IntroductionAnswer};
use crate::inbound::content::Received;
use crate::introductions::{to_domain, view};
use crate::{Db, notifications, relations};
use chrono::Utc;
use enishi_core::{Actor, IntroductionState, NotificationKind};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use url::Url;

async fn answer(
    db: &Db,
    conn: &impl sea_orm::ConnectionTrait,
    ap_id: &Url,
    subject: &Actor,
    writer: &Actor,
    answer: IntroductionAnswer,
) -> OpResult<()> {
    let event = Event::AnswerIntroduction {
        ap_id,
        subject,
        writer,
        answer,
    };
    federation::announce(
        conn,
        db.herald(),
        subject,
        ap_id.as_str(),
        event,
        std::slice::from_ref(writer),
    )
    .await?;
    Ok(())
}

/// Remote `writer`'s introduction `ap_id` of local `subject`, new or edited. Kept and shown
/// (answered `Accept`) when they are friends; refused (answered `Reject`) otherwise.
pub async fn receive(
    db: &Db,
    writer: &Actor,
    subject: &Actor,
    ap_id: &Url,
    text: &str,
) -> OpResult<Received> {
    let txn = crate::begin_write(db).await?;
    if !relations::are_friends(&txn, writer.id, subject.id).await?
        || relations::blocked_either_way(&txn, writer.id, subject.id).await?
    {
        answer(db, &txn, ap_id, subject, writer, IntroductionAnswer::Reject).await?;
        txn.commit().await?;
        return Ok(Received::Refused);
    }
    let existing = introduction::Entity::find()
        .filter(introduction::Column::ApId.eq(ap_id.as_str()))
        .one(&txn)
        .await?;
    let now = Utc::now();
    match existing {
        Some(row) if row.writer_id != writer.id.0 || row.subject_id != subject.id.0 => {
            return Ok(Received::Ignored);
        }
        Some(row) => {
            let mut row: introduction::ActiveModel = row.into();
            row.body = Set(text.to_owned());
            row.updated_at = Set(now);
            row.update(&txn).await?;
        }
        None => {
            // One introduction per writer and subject: a new one replaces the old.
            introduction::Entity::delete_many()
                .filter(introduction::Column::WriterId.eq(writer.id.0))
                .filter(introduction::Column::SubjectId.eq(subject.id.0))
                .exec(&txn)
                .await?;
            let row = introduction::ActiveModel {
                public_id: Set(uuid::Uuid::now_v7().to_string()),
                ap_id: Set(ap_id.to_string()),
                writer_id: Set(writer.id.0),
                subject_id: Set(subject.id.0),
                body: Set(text.to_owned()),
                state: Set(IntroductionState::Shown.as_str().into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            notifications::create(
                &txn,
                subject.id,
                NotificationKind::Introduction,
                writer.id,
                notifications::Refs {
                    introduction: Some(row.id),
                    ..Default::default()
                },
            )
            .await?;
            answer(db, &txn, ap_id, subject, writer, IntroductionAnswer::Accept).await?;
        }
    }
    txn.commit().await?;
    Ok(Received::Stored)
}

/// Remote `subject` answers our member's introduction `ap_id`. Returns whether it named one.
pub async fn answered(
    db: &Db,
    subject: &Actor,
    ap_id: &Url,
    how: IntroductionAnswer,
) -> OpResult<bool> {
    let Some(row) = introduction::Entity::find()
        .filter(introduction::Column::ApId.eq(ap_id.as_str()))
        .filter(introduction::Column::SubjectId.eq(subject.id.0))
        .one(&db.conn)
        .await?
    else {
        return Ok(false);
    };
    match how {
        IntroductionAnswer::Reject => {
            introduction::Entity::delete_by_id(row.id)
                .exec(&db.conn)
                .await?;
        }
        IntroductionAnswer::Accept | IntroductionAnswer::Remove => {
            let state = if how == IntroductionAnswer::Accept {
                IntroductionState::Shown
            } else {
                IntroductionState::Hidden
            };
            let mut row: introduction::ActiveModel = row.into();
            row.state = Set(state.as_str().into());
            row.update(&db.conn).await?;
        }
    }
    Ok(true)
}

/// Whether `ap_id` is an introduction known here, with the view of it.
pub async fn find(
    db: &Db,
    ap_id: &Url,
) -> OpResult<Option<crate::introductions::IntroductionView>> {
    let Some(row) = introduction::Entity::find()
        .filter(introduction::Column::ApId.eq(ap_id.as_str()))
        .one(&db.conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(view(&db.conn, to_domain(row)?).await?))
}

/// `actor` (its writer or subject) deleted the introduction `ap_id`.
pub async fn delete(db: &Db, actor: &Actor, ap_id: &Url) -> OpResult<bool> {
    let Some(v) = find(db, ap_id).await? else {
        return Ok(false);
    };
    if v.writer.id != actor.id && v.subject.id != actor.id {
        return Ok(false);
    }
    introduction::Entity::delete_by_id(v.introduction.id)
        .exec(&db.conn)
        .await?;
    Ok(true)
}
