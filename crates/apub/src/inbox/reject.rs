//! `Reject`: a member's follow refused or ended (the other side unfriended), or a member's
//! reply or like refused by the post's server.

use super::{InboxContext, InboxError, id_of, local_member, type_of};
use enishi_core::Actor;
use enishi_db::inbound::{content, social};
use serde::Deserialize;
use serde_json::Value;

/// Another server refuses something of ours.
#[derive(Debug, Deserialize)]
pub struct Reject {
    object: Value,
}

/// The member whose follow of `followee` the object (an embedded Follow, or the id of one we
/// sent) names.
pub(super) async fn our_follow_of(
    ctx: &InboxContext,
    object: &Value,
    followee: &Actor,
) -> Result<Actor, InboxError> {
    let follower = if object.is_object() {
        if type_of(object) != Some("Follow") {
            return Err(InboxError::Invalid("the object is not a Follow".into()));
        }
        let target = object.get("object").and_then(id_of);
        if target.as_ref() != Some(&followee.ap_id) {
            return Err(InboxError::Forbidden(format!(
                "{} answers a follow of someone else",
                followee.ap_id
            )));
        }
        object
            .get("actor")
            .and_then(id_of)
            .ok_or_else(|| InboxError::Invalid("the Follow names no actor".into()))?
    } else {
        let id = id_of(object).ok_or_else(|| InboxError::Invalid("no object".into()))?;
        let (follower, to) = social::follow_by_id(&ctx.db, id.as_str())
            .await?
            .ok_or_else(|| InboxError::NotFound(format!("no follow {id}")))?;
        if to != followee.id {
            return Err(InboxError::Forbidden(format!(
                "{} answers a follow of someone else",
                followee.ap_id
            )));
        }
        enishi_db::actors::find_by_id(&ctx.db.conn, follower)
            .await?
            .ok_or_else(|| InboxError::NotFound(format!("no follow {id}")))?
            .ap_id
    };
    local_member(ctx, &follower)
        .await?
        .ok_or_else(|| InboxError::NotFound(format!("no member {follower}")))
}

/// The introduction (by one of our members, of `subject`) that `object` names, if it is one.
pub(super) async fn our_introduction_of(
    ctx: &InboxContext,
    object: &Value,
    subject: &Actor,
) -> Result<Option<url::Url>, InboxError> {
    let Some(id) = id_of(object) else {
        return Ok(None);
    };
    if !ctx.settings.is_local_url(&id) {
        return Ok(None);
    }
    Ok(enishi_db::inbound::introductions::find(&ctx.db, &id)
        .await?
        .filter(|v| v.subject.id == subject.id && v.writer.is_local)
        .map(|_| id))
}

impl Reject {
    /// What the activity is about.
    pub fn object(&self) -> &Value {
        &self.object
    }

    fn is_follow(&self, ctx_has_follow: bool) -> bool {
        type_of(&self.object) == Some("Follow") || ctx_has_follow
    }

    /// A refused follow must be a member's follow of the actor; other refusals name one of our
    /// activities.
    pub async fn verify(&self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let known_follow = match id_of(&self.object) {
            Some(id) if !self.object.is_object() => {
                social::follow_by_id(&ctx.db, id.as_str()).await?.is_some()
            }
            _ => false,
        };
        if self.is_follow(known_follow) {
            our_follow_of(ctx, &self.object, actor).await.map(drop)
        } else {
            id_of(&self.object)
                .map(drop)
                .ok_or_else(|| InboxError::Invalid("Reject names no object".into()))
        }
    }

    /// Ends the follow (and any friendship), or withdraws the refused reply or like.
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let id = id_of(&self.object);
        let known_follow = match &id {
            Some(id) if !self.object.is_object() => {
                social::follow_by_id(&ctx.db, id.as_str()).await?.is_some()
            }
            _ => false,
        };
        if self.is_follow(known_follow) {
            let member = our_follow_of(ctx, &self.object, actor).await?;
            social::follow_rejected(&ctx.db, &member, actor).await?;
            return Ok(());
        }
        if let Some(intro) = our_introduction_of(ctx, &self.object, actor).await? {
            enishi_db::inbound::introductions::answered(
                &ctx.db,
                actor,
                &intro,
                enishi_db::federation::IntroductionAnswer::Reject,
            )
            .await?;
            return Ok(());
        }
        let Some(id) = id else { return Ok(()) };
        // Which of our activities was refused: its body says what to withdraw.
        let Some(body) = enishi_db::outbox::activity_body(&ctx.db, id.as_str()).await? else {
            return Ok(());
        };
        let sent: Value = serde_json::from_str(&body)
            .map_err(|e| InboxError::Internal(format!("stored activity {id}: {e}")))?;
        match type_of(&sent) {
            Some("Create") => {
                if let Some(note) = sent.get("object").and_then(id_of) {
                    content::withdraw_comment(&ctx.db, actor, &note).await?;
                }
            }
            Some("Like") => {
                content::withdraw_like(&ctx.db, actor, id.as_str()).await?;
            }
            _ => {}
        }
        Ok(())
    }
}
