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
        if outcome == social::FollowOutcome::Requested && !held {
            carry_over(ctx, actor, &member).await?;
        }
        if outcome == social::FollowOutcome::Accepted {
            crate::friend_proof::learn_friends_later(&ctx.db, &ctx.fetcher, &member, actor);
        }
        Ok(())
    }
}

/// A friend of `member` moved to `new`, which now asks for the member's friendship: it is
/// granted at once (as the member's approval would be) and the old friendship ends.
async fn carry_over(ctx: &InboxContext, new: &Actor, member: &Actor) -> Result<(), InboxError> {
    let Some(old) = enishi_db::moves::moved_friend(&ctx.db, member.id, new).await? else {
        return Ok(());
    };
    let pending =
        enishi_db::social::requests(&ctx.db, member.id, enishi_db::social::Direction::Incoming)
            .await?;
    let Some(request) = pending.iter().find(|r| r.from.id == new.id) else {
        return Ok(());
    };
    enishi_db::social::accept_request(&ctx.db, &ctx.settings, member, request.id).await?;
    enishi_db::social::unfriend(&ctx.db, member, &old).await?;
    tracing::info!(member = %member.ap_id, old = %old.ap_id, new = %new.ap_id, "a friendship moved");
    Ok(())
}
