//! `Move`: a friend's account moves to another (FEP-7628, as Mastodon sends it: actor and
//! object the old account, `target` the new one). It is believed only when the new account's
//! own document, fetched now, lists the old one in `alsoKnownAs`. The move is remembered; when
//! the new account then asks a member for their friendship, it is granted at once and the
//! friendship with the old account ends (see `follow`).

use super::{InboxContext, InboxError, id_of};
use enishi_core::Actor;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

/// An account moved.
#[derive(Debug, Deserialize)]
pub struct Move {
    object: Value,
    target: Value,
}

impl Move {
    /// What the activity is about.
    pub fn object(&self) -> &Value {
        &self.object
    }

    fn target(&self, actor: &Actor) -> Result<Url, InboxError> {
        let object = id_of(&self.object)
            .ok_or_else(|| InboxError::Invalid("Move names no object".into()))?;
        if object != actor.ap_id {
            return Err(InboxError::Forbidden("an account moves only itself".into()));
        }
        let target = id_of(&self.target)
            .ok_or_else(|| InboxError::Invalid("Move names no target".into()))?;
        if target == actor.ap_id {
            return Err(InboxError::Invalid("Move to the same account".into()));
        }
        Ok(target)
    }

    /// The target's document, fetched now, lists the actor among its `alsoKnownAs`.
    pub async fn verify(&self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let target = self.target(actor)?;
        let doc = ctx.fetcher.object(&target).await?;
        let aliases = super::ids_of(doc.get("alsoKnownAs"));
        if !aliases.contains(&actor.ap_id) {
            return Err(InboxError::Forbidden(format!(
                "{target} does not list {} in alsoKnownAs",
                actor.ap_id
            )));
        }
        Ok(())
    }

    /// Remembers the move (and the new account).
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let target = self.target(actor)?;
        ctx.fetcher.actor(&target).await?;
        enishi_db::moves::record_remote_move(&ctx.db, actor, &target).await?;
        ctx.fetcher.forget_keys_of(&actor.ap_id);
        tracing::info!(old = %actor.ap_id, new = %target, "an account moved");
        Ok(())
    }
}
