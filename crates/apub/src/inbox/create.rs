//! `Create{Note|Article}`: a post, or a comment when it answers something known here.

use super::note::{RemoteNote, read};
use super::{InboxContext, InboxError};
use enishi_core::Actor;
use enishi_db::inbound::content::{self, Received};
use serde::Deserialize;
use serde_json::Value;

/// A new post or comment from another server.
#[derive(Debug, Deserialize)]
pub struct Create {
    id: String,
    object: Value,
}

impl Create {
    /// The embedded object reads as a Note or Article.
    pub fn shape(&self) -> Result<(), InboxError> {
        self.note().map(drop)
    }

    fn note(&self) -> Result<RemoteNote, InboxError> {
        if !self.object.is_object() {
            return Err(InboxError::Invalid("Create must embed its object".into()));
        }
        read(&self.object)
    }

    /// The object is a Note or Article by the actor, on the actor's server.
    pub async fn verify(&self, _ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        self.note()?.require_author(actor)
    }

    /// Stores the comment or post (or refuses a comment on something its author may not see).
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let note = self.note()?;
        if let Some(subject) = &note.introduction_of {
            return receive_introduction(ctx, actor, &note, subject, &self.id).await;
        }
        let mentioned = ctx
            .reachable(actor, note.mentioned_members(ctx).await?)
            .await?;
        if let Some(mut c) = note.as_comment(actor)
            && let Some(parent) = content::parent_post(&ctx.db, c.in_reply_to).await?
        {
            if !ctx.may_reach(actor, &parent.author).await? {
                return Err(InboxError::Forbidden(format!(
                    "{} is on a limited server and not a friend of the post's author",
                    actor.ap_id
                )));
            }
            c.mentioned = &mentioned;
            let outcome = content::receive_comment(&ctx.db, c, &self.id, false).await?;
            if outcome == Received::Refused {
                return Err(InboxError::Forbidden(format!(
                    "{} may not reply to {}",
                    actor.ap_id,
                    note.in_reply_to.as_ref().map(|u| u.as_str()).unwrap_or("?")
                )));
            }
            return Ok(());
        }
        let (members, public, to_followers) = note.addressing(ctx, actor).await?;
        let members = ctx.reachable(actor, members).await?;
        let mut post = note.as_post(actor, &members, public, to_followers);
        post.mentioned = &mentioned;
        let outcome = content::receive_post(&ctx.db, post).await?;
        if outcome == Received::Ignored {
            tracing::debug!(id = %self.id, "a post nobody here follows or was sent");
        }
        Ok(())
    }
}

/// A remote friend's introduction of a member (new or edited): kept when they are friends,
/// refused otherwise.
pub(super) async fn receive_introduction(
    ctx: &InboxContext,
    writer: &Actor,
    note: &RemoteNote,
    subject: &url::Url,
    activity_id: &str,
) -> Result<(), InboxError> {
    let subject = super::local_member(ctx, subject)
        .await?
        .ok_or_else(|| InboxError::NotFound(format!("no member {subject}")))?;
    let outcome =
        enishi_db::inbound::introductions::receive(&ctx.db, writer, &subject, &note.id, &note.text)
            .await?;
    if outcome == Received::Refused {
        return Err(InboxError::Forbidden(format!(
            "{} is not a friend of {}; introduction {activity_id} refused",
            writer.ap_id, subject.ap_id
        )));
    }
    Ok(())
}
