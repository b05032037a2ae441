//! `Announce`: boosts are not part of Enishi, but a boost of a local post that is not public is
//! refused outright (DESIGN §5), so that the sender learns it may not spread it.

use super::{InboxContext, InboxError, id_of};
use enishi_core::{Actor, Audience};
use enishi_db::inbound::content;
use serde::Deserialize;
use serde_json::Value;

/// Someone elsewhere boosts something.
#[derive(Debug, Deserialize)]
pub struct Announce {
    object: Value,
}

impl Announce {
    /// What the activity is about.
    pub fn object(&self) -> &Value {
        &self.object
    }

    /// A local post may be announced only when it is public.
    pub async fn verify(&self, ctx: &InboxContext, _actor: &Actor) -> Result<(), InboxError> {
        let Some(object) = id_of(&self.object) else {
            return Err(InboxError::Invalid("Announce names no object".into()));
        };
        if !ctx.settings.is_local_url(&object) {
            return Ok(());
        }
        match content::parent_post(&ctx.db, &object).await? {
            Some(p) if p.author.is_local && p.post.audience != Audience::Public => Err(
                InboxError::Forbidden(format!("{object} may not be announced: it is not public")),
            ),
            _ => Ok(()),
        }
    }

    /// Nothing is kept: Enishi has no boosts.
    pub async fn receive(self, _ctx: &InboxContext, _actor: &Actor) -> Result<(), InboxError> {
        Ok(())
    }
}
