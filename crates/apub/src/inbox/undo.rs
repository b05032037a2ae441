//! `Undo`: a follow, like, boost or block withdrawn.

use super::{InboxContext, InboxError, id_of, local_member, type_of};
use enishi_core::Actor;
use enishi_db::inbound::{boosts, content, social};
use serde::Deserialize;
use serde_json::Value;

/// Another server's actor takes something back.
#[derive(Debug, Deserialize)]
pub struct Undo {
    object: Value,
}

impl Undo {
    /// What the activity is about.
    pub fn object(&self) -> &Value {
        &self.object
    }

    /// The undone activity must be the actor's own.
    pub async fn verify(&self, _ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        if self.object.is_object() {
            let by = self.object.get("actor").and_then(id_of);
            if by.as_ref() != Some(&actor.ap_id) {
                return Err(InboxError::Forbidden(format!(
                    "{} may only undo its own activities",
                    actor.ap_id
                )));
            }
        } else {
            let id = id_of(&self.object)
                .ok_or_else(|| InboxError::Invalid("Undo names no object".into()))?;
            super::require_same_origin(actor, &id, "undone activity")?;
        }
        Ok(())
    }

    /// Withdraws the follow, like, boost or block.
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let inner_id = id_of(&self.object);
        let target = self.object.get("object").and_then(id_of);
        match type_of(&self.object) {
            Some("Follow") => {
                if let Some(member) = match &target {
                    Some(t) => local_member(ctx, t).await?,
                    None => None,
                } {
                    social::follow_undone(&ctx.db, actor, &member).await?;
                }
            }
            Some("Like") => {
                content::undo_like(
                    &ctx.db,
                    actor,
                    inner_id.as_ref().map(|u| u.as_str()),
                    target.as_ref(),
                )
                .await?;
            }
            Some("Announce") => {
                if let Some(id) = &inner_id {
                    boosts::undo_boost(&ctx.db, actor, id.as_str()).await?;
                }
            }
            Some("Block") => {
                if let Some(member) = match &target {
                    Some(t) => local_member(ctx, t).await?,
                    None => None,
                } {
                    social::unblocked(&ctx.db, actor, &member).await?;
                }
            }
            _ => {
                // Only an id: it may be a Follow or a Like we know by id.
                if let Some(id) = inner_id {
                    if let Some((follower, followee)) =
                        social::follow_by_id(&ctx.db, id.as_str()).await?
                        && follower == actor.id
                        && let Some(member) =
                            enishi_db::actors::find_by_id(&ctx.db.conn, followee).await?
                    {
                        social::follow_undone(&ctx.db, actor, &member).await?;
                    } else if !boosts::undo_boost(&ctx.db, actor, id.as_str()).await? {
                        content::undo_like(&ctx.db, actor, Some(id.as_str()), None).await?;
                    }
                }
            }
        }
        Ok(())
    }
}
