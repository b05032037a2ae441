//! What a moderator may do from a report (issue 17): remove the reported posts and comments,
//! suspend the reported account (a member here, or one of another server) or limit one of
//! another server, block the account's server. Each action goes through the same
//! calls as elsewhere (so a removed local post is deleted on other servers too) and lands in
//! the audit log under the moderator's name.

use crate::entity::{comment, post};
use crate::error::{OpError, OpResult};
use crate::reports::Report;
use crate::{Db, account_blocks, accounts, actors, audit, domain_blocks};
use enishi_core::moderation::Severity;
pub use enishi_core::report::ReportAction;
use enishi_core::{ActorId, Viewer};
use sea_orm::EntityTrait;
use url::Url;

/// Who acts, and whether they administer the instance (server blocks are admins' alone).
#[derive(Debug, Clone, Copy)]
pub struct Moderator<'a> {
    /// Their username.
    pub name: &'a str,
    /// Whether they are an admin.
    pub is_admin: bool,
}

/// Refuses actions that do not apply to `report` or that `by` may not take, before any is
/// taken.
pub fn check(report: &Report, actions: &[ReportAction], by: Moderator<'_>) -> OpResult<()> {
    let target = &report.target;
    for action in actions {
        match action {
            ReportAction::DeleteContent => {}
            ReportAction::SuspendAccount => {}
            ReportAction::LimitAccount if target.is_local => {
                return Err(OpError::Conflict(
                    "not_remote",
                    "only an account of another server can be limited; suspend a member instead"
                        .into(),
                ));
            }
            ReportAction::LimitAccount => {}
            ReportAction::BlockServer if !by.is_admin => {
                return Err(OpError::Forbidden("only admins may block a server".into()));
            }
            ReportAction::BlockServer if target.is_local => {
                return Err(OpError::Conflict(
                    "not_remote",
                    "the account is a member of this instance, not of another server".into(),
                ));
            }
            ReportAction::BlockServer => {}
        }
    }
    Ok(())
}

/// Takes `action` on what `report` names (after [`check`]).
pub async fn act(
    db: &Db,
    report: &Report,
    action: ReportAction,
    by: Moderator<'_>,
) -> OpResult<()> {
    check(report, &[action], by)?;
    let target = &report.target;
    let why = format!("report {}", report.public_id);
    match action {
        ReportAction::DeleteContent => {
            for ap_id in object_ids(db, report).await? {
                delete_object(db, &ap_id).await?;
                audit::record(&db.conn, by.name, "content_delete", &ap_id, Some(&why)).await?;
            }
            Ok(())
        }
        ReportAction::SuspendAccount if target.is_local => {
            accounts::set_suspended(db, &target.username, true, by.name).await?;
            Ok(())
        }
        ReportAction::SuspendAccount => {
            account_blocks::moderate(db, target, Some(Severity::Reject), by.name, Some(&why))
                .await?;
            Ok(())
        }
        ReportAction::LimitAccount => {
            account_blocks::moderate(db, target, Some(Severity::Limit), by.name, Some(&why))
                .await?;
            Ok(())
        }
        ReportAction::BlockServer => {
            domain_blocks::block(
                db,
                domain_blocks::NewBlock {
                    domain: target.domain.clone(),
                    severity: Severity::Reject,
                    private_comment: Some(why),
                    public_comment: None,
                },
                by.name,
            )
            .await?;
            Ok(())
        }
    }
}

/// The ActivityPub ids of what the report names that still exists here.
async fn object_ids(db: &Db, report: &Report) -> OpResult<Vec<String>> {
    use crate::entity::report_object;
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(report_object::Entity::find()
        .filter(report_object::Column::ReportId.eq(report.id))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|o| o.ap_id)
        .collect())
}

/// Removes one post or comment, acting as its author would, so that what was written here is
/// deleted on other servers too, and a copy of another server's is dropped here.
async fn delete_object(db: &Db, ap_id: &str) -> OpResult<()> {
    use sea_orm::{ColumnTrait, QueryFilter};
    if let Some(p) = post::Entity::find()
        .filter(post::Column::ApId.eq(ap_id))
        .one(&db.conn)
        .await?
    {
        let author = actors::find_by_id(&db.conn, ActorId(p.author_id))
            .await?
            .ok_or_else(|| OpError::not_found("the post's author is gone"))?;
        if author.is_local {
            let kind = crate::posts::to_domain(p.clone())?.kind;
            return crate::posts::delete(db, &Viewer::member(author.id), kind, &p.public_id).await;
        }
        let url = Url::parse(ap_id).map_err(|e| OpError::not_found(e.to_string()))?;
        crate::inbound::content::delete_object(db, &author, &url).await?;
        return Ok(());
    }
    if let Some(c) = comment::Entity::find()
        .filter(comment::Column::ApId.eq(ap_id))
        .one(&db.conn)
        .await?
    {
        let author = actors::find_by_id(&db.conn, ActorId(c.author_id))
            .await?
            .ok_or_else(|| OpError::not_found("the comment's author is gone"))?;
        if author.is_local {
            return crate::reactions::delete_comment(db, &Viewer::member(author.id), &c.public_id)
                .await;
        }
        let url = Url::parse(ap_id).map_err(|e| OpError::not_found(e.to_string()))?;
        crate::inbound::content::delete_object(db, &author, &url).await?;
    }
    Ok(())
}
