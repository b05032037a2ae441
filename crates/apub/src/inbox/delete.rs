//! `Delete`: a post or comment gone (or a comment removed by its post's author), or a whole
//! account.

use super::{InboxContext, InboxError, id_of};
use enishi_core::Actor;
use enishi_db::inbound::content;
use serde::Deserialize;
use serde_json::Value;

/// Something is gone on another server.
#[derive(Debug, Deserialize)]
pub struct Delete {
    object: Value,
}

impl Delete {
    /// What the activity is about.
    pub fn object(&self) -> &Value {
        &self.object
    }

    /// The object must be named. Which rows the actor may remove (their own things, comments
    /// on their posts) is decided by the database query itself.
    pub async fn verify(&self, _ctx: &InboxContext, _actor: &Actor) -> Result<(), InboxError> {
        id_of(&self.object)
            .map(drop)
            .ok_or_else(|| InboxError::Invalid("Delete names no object".into()))
    }

    /// Removes what the actor may remove: their own things and comments on their posts.
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let id = id_of(&self.object)
            .ok_or_else(|| InboxError::Invalid("Delete names no object".into()))?;
        if id == actor.ap_id {
            content::delete_actor(&ctx.db, actor).await?;
            ctx.fetcher.forget_keys_of(&actor.ap_id);
        } else {
            if !content::delete_object(&ctx.db, actor, &id).await? {
                enishi_db::inbound::introductions::delete(&ctx.db, actor, &id).await?;
            }
        }
        Ok(())
    }
}
