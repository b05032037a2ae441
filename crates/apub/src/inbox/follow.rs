//! `Follow`: a friend request to a member, or the follow back that approves one of theirs
//! (DESIGN §4).

use super::{InboxContext, InboxError, id_of, local_member};
use enishi_core::Actor;
use enishi_db::inbound::social;
use serde::Deserialize;
use serde_json::Value;

/// Someone elsewhere wants to follow a member.
#[derive(Debug, Deserialize)]
pub struct Follow {
    id: String,
    object: Value,
}

impl Follow {
    /// What the activity is about.
    pub fn object(&self) -> &Value {
        &self.object
    }

    async fn member(&self, ctx: &InboxContext) -> Result<Actor, InboxError> {
        let target = id_of(&self.object)
            .ok_or_else(|| InboxError::Invalid("Follow names no object".into()))?;
        local_member(ctx, &target)
            .await?
            .ok_or_else(|| InboxError::NotFound(format!("no member {target}")))
    }

    /// The object is a member here.
    pub async fn verify(&self, ctx: &InboxContext, _actor: &Actor) -> Result<(), InboxError> {
        self.member(ctx).await.map(drop)
    }

    /// Records the request, or accepts it at once when the member asked first.
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let member = self.member(ctx).await?;
        // A request from a limited server waits apart, without a notice.
        let held = ctx.is_limited(actor);
        let outcome =
            social::follow_requested(&ctx.db, &ctx.settings, actor, &member, &self.id, held)
                .await?;
        tracing::info!(follower = %actor.ap_id, member = %member.ap_id, ?outcome, "follow received");
        if outcome == social::FollowOutcome::Accepted {
            crate::friend_proof::learn_friends_later(&ctx.db, &ctx.fetcher, &member, actor);
        }
        Ok(())
    }
}
