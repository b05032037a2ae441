//! `Update`: an actor's new profile or keys, or an edited post or comment.

use super::note::{is_actor_type, read};
use super::{InboxContext, InboxError, id_of, type_of};
use enishi_core::Actor;
use enishi_db::inbound::content;
use serde::Deserialize;
use serde_json::Value;

/// Something changed on another server.
#[derive(Debug, Deserialize)]
pub struct Update {
    id: String,
    object: Value,
}

impl Update {
    /// An actor, or a Note or Article.
    pub fn shape(&self) -> Result<(), InboxError> {
        if is_actor_type(type_of(&self.object)) {
            return id_of(&self.object)
                .map(drop)
                .ok_or_else(|| InboxError::Invalid("the object has no id".into()));
        }
        read(&self.object).map(drop)
    }

    /// An actor may update only itself, and only its own server's notes.
    pub async fn verify(&self, _ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        if is_actor_type(type_of(&self.object)) {
            let id = id_of(&self.object)
                .ok_or_else(|| InboxError::Invalid("the object has no id".into()))?;
            if id != actor.ap_id {
                return Err(InboxError::Forbidden(format!(
                    "{} may not update {id}",
                    actor.ap_id
                )));
            }
            return Ok(());
        }
        read(&self.object)?.require_author(actor)
    }

    /// Refetches the actor (so the stored copy is the server's, not the message's), or
    /// updates the stored post or comment.
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        if is_actor_type(type_of(&self.object)) {
            ctx.fetcher.refetch_actor(&actor.ap_id).await?;
            return Ok(());
        }
        let note = read(&self.object)?;
        if let Some(subject) = &note.introduction_of {
            return super::create::receive_introduction(ctx, actor, &note, subject, &self.id).await;
        }
        if let Some(c) = note.as_comment(actor)
            && content::parent_post(&ctx.db, c.in_reply_to)
                .await?
                .is_some()
        {
            content::receive_comment(&ctx.db, c, &self.id, false).await?;
            return Ok(());
        }
        let (members, public, to_followers) = note.addressing(ctx, actor).await?;
        content::receive_post(&ctx.db, note.as_post(actor, &members, public, to_followers)).await?;
        Ok(())
    }
}
