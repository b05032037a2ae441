//! `Flag`: another server reports one of our members, and perhaps posts and comments of
//! theirs (Mastodon sends it from its instance actor, the account first, then the posts). It
//! lands in the moderators' queue beside members' reports, naming only what the sender could
//! see.

use super::{InboxContext, InboxError, ids_of, local_member};
use enishi_core::Actor;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

/// A report from another server.
#[derive(Debug, Deserialize)]
pub struct Flag {
    id: String,
    object: Value,
    #[serde(default)]
    content: Option<String>,
    /// Lemmy puts the reason here instead.
    #[serde(default)]
    summary: Option<String>,
}

impl Flag {
    /// What the activity is about.
    pub fn object(&self) -> &Value {
        &self.object
    }

    /// The member reported, and the other URLs named.
    async fn parts(&self, ctx: &InboxContext) -> Result<(Actor, Vec<Url>), InboxError> {
        let mut member = None;
        let mut rest = Vec::new();
        for url in ids_of(Some(&self.object)) {
            if member.is_none()
                && let Some(m) = local_member(ctx, &url).await?
            {
                member = Some(m);
                continue;
            }
            rest.push(url);
        }
        let member =
            member.ok_or_else(|| InboxError::NotFound("the Flag names no member here".into()))?;
        Ok((member, rest))
    }

    /// It names a member here.
    pub async fn verify(&self, ctx: &InboxContext, _actor: &Actor) -> Result<(), InboxError> {
        self.parts(ctx).await.map(drop)
    }

    /// Keeps the report, with the posts and comments of the member's that the sender's server
    /// could see (the rest are dropped).
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let (member, rest) = self.parts(ctx).await?;
        let objects =
            enishi_db::reports::flagged_objects(&ctx.db, &actor.domain, &member, &rest).await?;
        // Kept as text (pages escape it); PostgreSQL cannot store a NUL.
        let comment = self
            .content
            .or(self.summary)
            .unwrap_or_default()
            .replace('\0', "");
        enishi_db::reports::receive_flag(
            &ctx.db,
            &actor.domain,
            &self.id,
            &member,
            &objects,
            &comment,
        )
        .await?;
        Ok(())
    }
}
