//! `Remove`: a member's introduction hidden by its subject on the subject's server.

use super::{InboxContext, InboxError, id_of};
use enishi_core::Actor;
use enishi_db::federation::IntroductionAnswer;
use serde::Deserialize;
use serde_json::Value;

/// Another server's member hides an introduction one of ours wrote.
#[derive(Debug, Deserialize)]
pub struct Remove {
    object: Value,
    #[serde(default)]
    target: Option<Value>,
}

impl Remove {
    /// What the activity is about.
    pub fn object(&self) -> &Value {
        &self.object
    }

    /// The object must be named.
    pub async fn verify(&self, _ctx: &InboxContext, _actor: &Actor) -> Result<(), InboxError> {
        id_of(&self.object)
            .map(drop)
            .ok_or_else(|| InboxError::Invalid("Remove names no object".into()))
    }

    /// Marks our member's introduction of the actor hidden; anything else is ignored.
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        // Someone left the actor's friend list (their followers collection): what this
        // instance knew of it proves that friendship no more.
        let from_followers = self
            .target
            .as_ref()
            .and_then(id_of)
            .is_some_and(|t| actor.followers.as_ref() == Some(&t));
        if from_followers {
            if let Some(former) = id_of(&self.object) {
                enishi_db::friend_proof::forget_friend(&ctx.db, actor.id, former.as_str()).await?;
            }
            return Ok(());
        }
        if let Some(intro) = super::reject::our_introduction_of(ctx, &self.object, actor).await? {
            enishi_db::inbound::introductions::answered(
                &ctx.db,
                actor,
                &intro,
                IntroductionAnswer::Remove,
            )
            .await?;
        }
        Ok(())
    }
}
