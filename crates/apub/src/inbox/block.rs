//! `Block`: someone elsewhere blocks a member.

use super::{InboxContext, InboxError, id_of, local_member};
use enishi_core::Actor;
use enishi_db::inbound::social;
use serde::Deserialize;
use serde_json::Value;

/// Another server's actor blocks a member.
#[derive(Debug, Deserialize)]
pub struct Block {
    id: String,
    object: Value,
}

impl Block {
    /// What the activity is about.
    pub fn object(&self) -> &Value {
        &self.object
    }

    async fn member(&self, ctx: &InboxContext) -> Result<Actor, InboxError> {
        let target = id_of(&self.object)
            .ok_or_else(|| InboxError::Invalid("Block names no object".into()))?;
        local_member(ctx, &target)
            .await?
            .ok_or_else(|| InboxError::NotFound(format!("no member {target}")))
    }

    /// The object is a member here.
    pub async fn verify(&self, ctx: &InboxContext, _actor: &Actor) -> Result<(), InboxError> {
        self.member(ctx).await.map(drop)
    }

    /// Ends everything between them and keeps the block.
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let member = self.member(ctx).await?;
        social::blocked(&ctx.db, actor, &member, &self.id).await?;
        Ok(())
    }
}
