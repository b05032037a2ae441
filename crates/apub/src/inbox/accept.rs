//! `Accept{Follow}`: a member's follow was accepted.

use super::{InboxContext, InboxError};
use enishi_core::Actor;
use enishi_db::federation::IntroductionAnswer;
use enishi_db::inbound::social;
use serde::Deserialize;
use serde_json::Value;

/// Another server accepts one of our follows.
#[derive(Debug, Deserialize)]
pub struct Accept {
    object: Value,
}

impl Accept {
    /// Only follows are accepted here: an embedded Follow, or the id of one.
    pub fn shape(&self) -> Result<(), InboxError> {
        match super::type_of(&self.object) {
            Some("Follow") => Ok(()),
            Some(other) => Err(InboxError::Invalid(format!(
                "Accept of a {other} is not something Enishi asks for"
            ))),
            None if super::id_of(&self.object).is_some() => Ok(()),
            None => Err(InboxError::Invalid("Accept names no object".into())),
        }
    }

    /// The follow accepted must be a member's follow of the accepting actor (or the object
    /// one of our members' introductions of the actor).
    pub async fn verify(&self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        if super::reject::our_introduction_of(ctx, &self.object, actor)
            .await?
            .is_some()
        {
            return Ok(());
        }
        super::reject::our_follow_of(ctx, &self.object, actor)
            .await
            .map(drop)
    }

    /// The follow is accepted (a friendship forms when both sides follow), or the
    /// introduction is shown.
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        if let Some(intro) = super::reject::our_introduction_of(ctx, &self.object, actor).await? {
            enishi_db::inbound::introductions::answered(
                &ctx.db,
                actor,
                &intro,
                IntroductionAnswer::Accept,
            )
            .await?;
            return Ok(());
        }
        let member = super::reject::our_follow_of(ctx, &self.object, actor).await?;
        social::follow_accepted(&ctx.db, &member, actor).await?;
        crate::friend_proof::learn_friends_later(&ctx.db, &ctx.fetcher, &member, actor);
        Ok(())
    }
}
