//! Members leaving (issue 17): deleting one's account. In one transaction: a `Delete` of the
//! actor is queued for every server this instance knows (the outbox keeps it across restarts,
//! and signs it with the member's key, which stays for that), everything the member made or
//! took part in is removed, and the account row stays behind, unusable, so that the username
//! stays reserved and nobody can take over the identity.

use crate::entity::{
    account, actor, api_token, block, browser_session, notification, profile_field,
};
use crate::error::{OpError, OpResult};
use crate::federation::{self, Event};
use crate::{Db, actors, password};
use chrono::Utc;
use enishi_core::{Actor, Member};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

/// Deletes `member`'s account after checking their password (`Forbidden` when it is wrong).
pub async fn delete_account(db: &Db, member: &Member, given_password: &str) -> OpResult<()> {
    let row = account::Entity::find_by_id(member.account_id)
        .one(&db.conn)
        .await?
        .ok_or_else(|| OpError::not_found("no such account"))?;
    if row.deleted_at.is_some() {
        return Err(OpError::not_found("no such account"));
    }
    if !password::verify(given_password, &row.password_hash) {
        return Err(OpError::Forbidden("the password is wrong".into()));
    }
    let me = &member.actor;
    // Every server known here hears of it: any may hold a copy of the member's posts, a
    // friendship or a follow.
    let known: Vec<Actor> = actor::Entity::find()
        .filter(actor::Column::IsLocal.eq(false))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(actors::to_domain)
        .collect::<Result<_, _>>()?;
    let inboxes = crate::outbox::inboxes_for(&known);
    let a = me.id.0;
    let txn = crate::begin_write(db).await?;
    federation::announce_to(
        &txn,
        db.herald(),
        me,
        me.ap_id.as_str(),
        Event::DeleteActor { actor: me },
        &inboxes,
    )
    .await?;
    // What the member made and whom they knew, as a suspension clears a remote account;
    // then what only a member has.
    crate::domain_blocks::remove_traces(&txn, &[a]).await?;
    notification::Entity::delete_many()
        .filter(notification::Column::RecipientId.eq(a))
        .exec(&txn)
        .await?;
    block::Entity::delete_many()
        .filter(block::Column::BlockedId.eq(a))
        .exec(&txn)
        .await?;
    profile_field::Entity::delete_many()
        .filter(profile_field::Column::ActorId.eq(a))
        .exec(&txn)
        .await?;
    // Their ways in.
    api_token::Entity::delete_many()
        .filter(api_token::Column::AccountId.eq(member.account_id))
        .exec(&txn)
        .await?;
    browser_session::Entity::delete_many()
        .filter(browser_session::Column::AccountId.eq(member.account_id))
        .exec(&txn)
        .await?;
    // The profile goes; the actor row and its key stay to sign the Delete.
    let mut actor_row: actor::ActiveModel = actor::Entity::find_by_id(a)
        .one(&txn)
        .await?
        .ok_or_else(|| OpError::not_found("no such account"))?
        .into();
    actor_row.display_name = Set(None);
    actor_row.summary = Set(None);
    actor_row.avatar_url = Set(None);
    actor_row.discoverable = Set(false);
    actor_row.indexable = Set(false);
    actor_row.update(&txn).await?;
    let now = Utc::now();
    let mut row: account::ActiveModel = row.into();
    // No password matches "!" (not an argon2 hash), so nobody logs in again.
    row.password_hash = Set("!".into());
    row.suspended_at = Set(Some(now));
    row.deleted_at = Set(Some(now));
    row.is_admin = Set(false);
    row.is_moderator = Set(false);
    row.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}
