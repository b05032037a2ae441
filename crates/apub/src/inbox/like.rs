//! `Like`: a like of a post here.

use super::{InboxContext, InboxError, id_of};
use enishi_core::Actor;
use enishi_db::inbound::content::{self, Received};
use serde::Deserialize;
use serde_json::Value;

/// Someone elsewhere likes a post.
#[derive(Debug, Deserialize)]
pub struct Like {
    id: String,
    object: Value,
}

impl Like {
    /// What the activity is about.
    pub fn object(&self) -> &Value {
        &self.object
    }

    /// The object must be named.
    pub async fn verify(&self, _ctx: &InboxContext, _actor: &Actor) -> Result<(), InboxError> {
        id_of(&self.object)
            .map(drop)
            .ok_or_else(|| InboxError::Invalid("Like names no object".into()))
    }

    /// Stores the like if its author may see the post; refuses it otherwise.
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let object = id_of(&self.object)
            .ok_or_else(|| InboxError::Invalid("Like names no object".into()))?;
        if let Some(parent) = content::parent_post(&ctx.db, &object).await?
            && !ctx.may_reach(actor, &parent.author).await?
        {
            return Err(InboxError::Forbidden(format!(
                "{} is on a limited server and not a friend of the post's author",
                actor.ap_id
            )));
        }
        if content::receive_like(&ctx.db, actor, &object, &self.id).await? == Received::Refused {
            return Err(InboxError::Forbidden(format!(
                "{} may not like {object}",
                actor.ap_id
            )));
        }
        Ok(())
    }
}
