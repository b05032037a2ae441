//! `Announce`: a boost by an account a member follows, or a group passing on what was posted
//! to it (FEP-1b12: Lemmy, PeerTube, Mbin, Friendica forums announce the `Create` itself). The
//! announced post is shown on the followers' timelines as boosted by the announcer — if it is
//! public. A boost of a local post that is not public is refused outright (DESIGN §5), so that
//! the sender learns it may not spread it.

use super::{InboxContext, InboxError, id_of, note, type_of};
use crate::convert::same_origin;
use enishi_core::{Actor, Audience};
use enishi_db::inbound::{boosts, content};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

/// Someone elsewhere boosts something.
#[derive(Debug, Deserialize)]
pub struct Announce {
    id: String,
    object: Value,
}

/// Activities a group announces whose object is the post (FEP-1b12).
const WRAPPING: &[&str] = &["Create", "Update"];

impl Announce {
    /// What the activity is about.
    pub fn object(&self) -> &Value {
        &self.object
    }

    /// The announced post: the object, or the object of an announced `Create`/`Update`, as its
    /// id and, when embedded, the embedded document.
    fn announced(&self) -> Option<(Url, Option<&Value>)> {
        let mut object = &self.object;
        if WRAPPING.contains(&type_of(object).unwrap_or_default()) {
            object = object.get("object")?;
        }
        let id = id_of(object)?;
        Some((id, object.is_object().then_some(object)))
    }

    /// A local post may be announced only when it is public.
    pub async fn verify(&self, ctx: &InboxContext, _actor: &Actor) -> Result<(), InboxError> {
        let Some((object, _)) = self.announced() else {
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

    /// Puts the announced post on the timelines of the announcer's followers here. Nothing is
    /// fetched for an announcer nobody here follows; a post that cannot be fetched or is not
    /// public is acknowledged and dropped (the sender would otherwise retry for days).
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        let Some((object_id, embedded)) = self.announced() else {
            return Ok(());
        };
        if !boosts::is_followed_here(&ctx.db, actor).await? {
            return Ok(());
        }
        // A post kept here (ours, or one already stored) needs no fetch.
        if ctx.settings.is_local_url(&object_id)
            || enishi_db::posts::find_by_ap_id(&ctx.db, &object_id)
                .await?
                .is_some()
        {
            boosts::receive_boost(&ctx.db, actor, &self.id, &object_id, None).await?;
            return Ok(());
        }
        // An embedded copy is taken on the announcer's word only when it comes from the
        // announcer's own server; anything else is fetched from where it lives.
        let document = match embedded {
            Some(doc) if same_origin(&actor.ap_id, &object_id) => doc.clone(),
            _ => match ctx.fetcher.object(&object_id).await {
                Ok(doc) => doc,
                Err(e) => {
                    tracing::info!(announce = %self.id, object = %object_id, error = %e,
                        "the announced object could not be fetched");
                    return Ok(());
                }
            },
        };
        let read = match note::read(&document) {
            // Replies are conversation, not posts: a group passes on every comment made in
            // it, which would flood the timeline.
            Ok(n) if n.id == object_id && n.in_reply_to.is_none() => n,
            Ok(_) | Err(_) => {
                tracing::info!(announce = %self.id, object = %object_id,
                    "the announced object does not read as a post");
                return Ok(());
            }
        };
        let author = match ctx.fetcher.actor(&read.attributed_to).await {
            Ok(a) => a,
            Err(e) => {
                tracing::info!(announce = %self.id, error = %e, "the announced post's author could not be fetched");
                return Ok(());
            }
        };
        read.require_author(&author)?;
        let public = read.audience.iter().any(note::is_public);
        let post = read.as_post(&author, &[], public, false);
        boosts::receive_boost(&ctx.db, actor, &self.id, &object_id, Some(post)).await?;
        Ok(())
    }
}
