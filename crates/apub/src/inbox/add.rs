//! `Add{Note}`: the author of a post passes on a comment someone else made on it (the
//! conversation owner redistributes to the post's audience, DESIGN §4).

use super::note::{RemoteNote, read};
use super::{InboxContext, InboxError};
use enishi_core::Actor;
use enishi_db::inbound::content;
use serde::Deserialize;
use serde_json::Value;

/// A comment forwarded by its post's author.
#[derive(Debug, Deserialize)]
pub struct Add {
    id: String,
    object: Value,
}

impl Add {
    /// The embedded object reads as a Note or Article.
    pub fn shape(&self) -> Result<(), InboxError> {
        self.note().map(drop)
    }

    fn note(&self) -> Result<RemoteNote, InboxError> {
        if !self.object.is_object() {
            return Err(InboxError::Invalid("Add must embed its object".into()));
        }
        read(&self.object)
    }

    /// The comment answers a post known here whose author is the actor, and it comes from its
    /// own author's server.
    pub async fn verify(&self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let note = self.note()?;
        let parent_id = note
            .in_reply_to
            .as_ref()
            .ok_or_else(|| InboxError::Invalid("the added note answers nothing".into()))?;
        let parent = content::parent_post(&ctx.db, parent_id)
            .await?
            .ok_or_else(|| InboxError::NotFound(format!("no post {parent_id}")))?;
        if parent.author.id != actor.id {
            return Err(InboxError::Forbidden(format!(
                "{} may only pass on comments on its own posts",
                actor.ap_id
            )));
        }
        if !crate::convert::same_origin(&note.id, &note.attributed_to) {
            return Err(InboxError::Forbidden(format!(
                "{} is not on the server of {}",
                note.id, note.attributed_to
            )));
        }
        Ok(())
    }

    /// Stores the comment under the post (its author is fetched if unknown).
    pub async fn receive(self, ctx: &InboxContext, _actor: &Actor) -> Result<(), InboxError> {
        let note = self.note()?;
        if ctx.settings.is_local_url(&note.attributed_to) {
            // One of our members' comments coming back: we have it already.
            return Ok(());
        }
        let author = ctx.fetcher.actor(&note.attributed_to).await?;
        if let Some(c) = note.as_comment(&author) {
            content::receive_comment(&ctx.db, c, &self.id, true).await?;
        }
        Ok(())
    }
}
