//! The inbox (DESIGN §5, inbound delivery): verify the request, then hand the activity to the
//! one file that handles its type. [`Inbound`] is the list of accepted activities; each one's
//! `verify` has no side effects and its `receive` makes the change.

mod accept;
mod add;
mod announce;
mod block;
mod create;
mod delete;
mod flag;
mod follow;
mod like;
mod moved;
pub mod note;
mod reject;
mod remove;
mod undo;
mod update;
pub mod verify;

pub use verify::{InboundRequest, authenticate};

use crate::ApubError;
use crate::fetch::{FetchError, Fetcher};
use enishi_core::{Actor, InstanceSettings};
use enishi_db::{Db, OpError};
use serde_json::Value;
use std::sync::Arc;
use url::Url;

/// Deepest JSON nesting accepted from another server (real activities stay under 10).
pub const MAX_JSON_DEPTH: usize = 32;

/// What the inbox needs: the database, the settings and a fetcher for actors and keys.
#[derive(Debug, Clone)]
pub struct InboxContext {
    /// The database.
    pub db: Db,
    /// The instance's settings.
    pub settings: Arc<InstanceSettings>,
    /// Signed fetches (keys, actors, objects).
    pub fetcher: Fetcher,
    /// Server blocks in force (kept in step with the database): deliveries and signed
    /// fetches from a rejected server get 403.
    pub blocks: enishi_core::moderation::LiveBlocks,
    /// Inbound activities per remote host, counted once the signature is verified (so that
    /// nobody can spend another server's allowance by naming it).
    pub inbound_limit: Arc<enishi_core::rate::KeyedLimit<String>>,
}

impl InboxContext {
    /// The inbound limit's refusal count as a Prometheus sample line.
    pub fn render_limits(&self) -> String {
        format!(
            "enishi_rate_limited_total{{limit=\"inbound\"}} {}\n",
            self.inbound_limit.refused()
        )
    }

    /// Whether `url` is on a rejected server.
    pub fn is_blocked(&self, url: &Url) -> bool {
        self.blocks.current().rejects_url(url)
    }

    /// Whether `actor` (or its server) is limited here: it reaches only members who are
    /// already its friends.
    pub fn is_limited(&self, actor: &Actor) -> bool {
        !actor.is_local
            && self.blocks.current().account_severity(&actor.ap_id)
                == Some(enishi_core::moderation::Severity::Limit)
    }

    /// Of `members`, those `actor` may reach: all, unless its server is limited here, when
    /// only its friends.
    pub async fn reachable(
        &self,
        actor: &Actor,
        members: Vec<enishi_core::ActorId>,
    ) -> Result<Vec<enishi_core::ActorId>, InboxError> {
        if !self.is_limited(actor) {
            return Ok(members);
        }
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            if enishi_db::relations::are_friends(&self.db.conn, actor.id, m)
                .await
                .map_err(|e| InboxError::Internal(e.to_string()))?
            {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// Whether `actor` may reach `member` (see [`InboxContext::reachable`]).
    pub async fn may_reach(&self, actor: &Actor, member: &Actor) -> Result<bool, InboxError> {
        if !member.is_local {
            return Ok(true);
        }
        Ok(!self.reachable(actor, vec![member.id]).await?.is_empty())
    }
}

/// Why an inbound request was refused; each maps to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// No signature (401).
    #[error("the request is not signed")]
    Unsigned,
    /// The signature, its key, its date or the digest is wrong, or the key could not be had
    /// (401). The reason is logged; the client is told only [`SIGNATURE_NOT_VERIFIED`].
    #[error("{0}")]
    BadSignature(String),
    /// Signed by someone other than the activity's actor, or about objects of another server
    /// (403).
    #[error("{0}")]
    Forbidden(String),
    /// The body is not an activity we can read (400).
    #[error("{0}")]
    Invalid(String),
    /// A document the activity names could not be fetched (400). The reason is logged; the
    /// client is told only [`FETCH_FAILED`].
    #[error("{0}")]
    Fetch(String),
    /// The activity names something that does not exist here (404).
    #[error("{0}")]
    NotFound(String),
    /// The sender's server has sent more than its allowance (429, with how long to wait).
    #[error("too many activities from this server; try again later")]
    RateLimited(std::time::Duration),
    /// Our own failure (500); the cause is logged.
    #[error("internal error: {0}")]
    Internal(String),
}

impl InboxError {
    /// The HTTP status for this refusal.
    pub fn status(&self) -> u16 {
        match self {
            InboxError::Unsigned | InboxError::BadSignature(_) => 401,
            InboxError::Forbidden(_) => 403,
            InboxError::Invalid(_) | InboxError::Fetch(_) => 400,
            InboxError::NotFound(_) => 404,
            InboxError::RateLimited(_) => 429,
            InboxError::Internal(_) => 500,
        }
    }

    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            InboxError::Unsigned => "unsigned",
            InboxError::BadSignature(_) => "bad_signature",
            InboxError::Forbidden(_) => "forbidden",
            InboxError::Invalid(_) | InboxError::Fetch(_) => "invalid_activity",
            InboxError::NotFound(_) => "not_found",
            InboxError::RateLimited(_) => "rate_limited",
            InboxError::Internal(_) => "internal",
        }
    }

    /// What the client is told: the whole reason, except for refusals whose reason would say
    /// what happened when this server fetched something (a status, a timeout, a refused
    /// connection…), which answer a fixed sentence.
    pub fn public_message(&self) -> String {
        match self {
            InboxError::BadSignature(_) => SIGNATURE_NOT_VERIFIED.to_owned(),
            InboxError::Fetch(_) => FETCH_FAILED.to_owned(),
            other => other.to_string(),
        }
    }
}

/// The whole body of every 401 for a signature that does not verify, whatever the reason.
pub const SIGNATURE_NOT_VERIFIED: &str = "signature could not be verified";

/// The message of a 400 for a document that could not be fetched, whatever the reason.
pub const FETCH_FAILED: &str = "a document the activity names could not be fetched";

impl From<OpError> for InboxError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::NotFound(m) => InboxError::NotFound(m),
            OpError::Forbidden(m) => InboxError::Forbidden(m),
            OpError::Conflict(_, m) => InboxError::Invalid(m),
            OpError::Invalid(v) => InboxError::Invalid(v.to_string()),
            OpError::Db(e) => InboxError::Internal(e.to_string()),
        }
    }
}

impl From<enishi_db::DbErr> for InboxError {
    fn from(e: enishi_db::DbErr) -> Self {
        InboxError::Internal(e.to_string())
    }
}

impl From<FetchError> for InboxError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Invalid(ApubError::Db(e)) => InboxError::Internal(e.to_string()),
            other => InboxError::Fetch(other.to_string()),
        }
    }
}

/// Parses JSON from another server, refusing nesting deeper than [`MAX_JSON_DEPTH`] before
/// handing it to serde (whose own limit is far higher and costs stack).
pub fn parse_json(body: &[u8]) -> Result<Value, ApubError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(ApubError::Invalid(format!(
                        "JSON nested deeper than {MAX_JSON_DEPTH} levels"
                    )));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    serde_json::from_slice(body).map_err(|e| ApubError::Invalid(format!("not JSON: {e}")))
}

/// The URL an activity field names: a string, or an object's `id`.
pub fn id_of(value: &Value) -> Option<Url> {
    match value {
        Value::String(s) => Url::parse(s).ok(),
        Value::Object(m) => m
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| Url::parse(s).ok()),
        Value::Array(items) if items.len() == 1 => id_of(&items[0]),
        _ => None,
    }
}

/// Every URL named by `to`/`cc`-like fields (a string or a list).
pub fn ids_of(value: Option<&Value>) -> Vec<Url> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(id_of).collect(),
        Some(v) => id_of(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The type name of an object (`"Note"`, or the first of a list).
pub fn type_of(value: &Value) -> Option<&str> {
    match value.get("type")? {
        Value::String(s) => Some(s),
        Value::Array(items) => items.first()?.as_str(),
        _ => None,
    }
}

/// The accepted activities. Anything else is acknowledged and ignored (with a log line), so
/// that peers do not retry what we will never understand.
#[derive(Debug)]
pub enum Inbound {
    /// A friend request or a follow back.
    Follow(follow::Follow),
    /// A follow accepted.
    Accept(accept::Accept),
    /// A follow rejected or ended; a reply or like refused.
    Reject(reject::Reject),
    /// A follow, like or block withdrawn.
    Undo(undo::Undo),
    /// A post or a comment.
    Create(create::Create),
    /// A post, comment or actor changed.
    Update(update::Update),
    /// A post, comment or actor gone.
    Delete(delete::Delete),
    /// A like.
    Like(like::Like),
    /// A block.
    Block(block::Block),
    /// A comment passed on by the post's author.
    Add(add::Add),
    /// An introduction hidden by its subject.
    Remove(remove::Remove),
    /// A boost: refused for local posts that are not public, otherwise ignored.
    Announce(announce::Announce),
    /// A report from another server about a member here.
    Flag(flag::Flag),
    /// An account moved to another.
    Move(moved::Move),
}

impl Inbound {
    /// Reads an activity of an accepted type; `Ok(None)` for other types.
    pub fn parse(activity: &Value) -> Result<Option<Inbound>, InboxError> {
        let kind = type_of(activity)
            .ok_or_else(|| InboxError::Invalid("the activity has no type".into()))?;
        fn of<T: serde::de::DeserializeOwned>(v: &Value) -> serde_json::Result<T> {
            T::deserialize(v)
        }
        let parsed = match kind {
            "Follow" => of(activity).map(Inbound::Follow),
            "Accept" => of(activity).map(Inbound::Accept),
            "Reject" => of(activity).map(Inbound::Reject),
            "Undo" => of(activity).map(Inbound::Undo),
            "Create" => of(activity).map(Inbound::Create),
            "Update" => of(activity).map(Inbound::Update),
            "Delete" => of(activity).map(Inbound::Delete),
            "Like" => of(activity).map(Inbound::Like),
            "Block" => of(activity).map(Inbound::Block),
            "Add" => of(activity).map(Inbound::Add),
            "Remove" => of(activity).map(Inbound::Remove),
            "Announce" => of(activity).map(Inbound::Announce),
            "Flag" => of(activity).map(Inbound::Flag),
            "Move" => of(activity).map(Inbound::Move),
            _ => return Ok(None),
        };
        parsed
            .map(Some)
            .map_err(|e| InboxError::Invalid(format!("malformed {kind}: {e}")))
    }

    /// The checks that need neither the database nor the network: the object is there and,
    /// for posts and comments, reads as a Note or Article.
    pub fn check_shape(&self) -> Result<(), InboxError> {
        let named = |object: &Value, what: &str| {
            id_of(object)
                .map(drop)
                .ok_or_else(|| InboxError::Invalid(format!("{what} names no object")))
        };
        match self {
            Inbound::Create(a) => a.shape(),
            Inbound::Add(a) => a.shape(),
            Inbound::Update(a) => a.shape(),
            Inbound::Accept(a) => a.shape(),
            Inbound::Reject(a) => named(a.object(), "Reject"),
            Inbound::Undo(a) => named(a.object(), "Undo"),
            Inbound::Follow(a) => named(a.object(), "Follow"),
            Inbound::Delete(a) => named(a.object(), "Delete"),
            Inbound::Like(a) => named(a.object(), "Like"),
            Inbound::Block(a) => named(a.object(), "Block"),
            Inbound::Remove(a) => named(a.object(), "Remove"),
            Inbound::Announce(a) => named(a.object(), "Announce"),
            // A list: the account, then what of its is reported.
            Inbound::Flag(a) if ids_of(Some(a.object())).is_empty() => {
                Err(InboxError::Invalid("Flag names no object".into()))
            }
            Inbound::Flag(_) => Ok(()),
            Inbound::Move(a) => named(a.object(), "Move"),
        }
    }

    /// Checks the activity against its verified `actor`, changing nothing.
    pub async fn verify(&self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        match self {
            Inbound::Follow(a) => a.verify(ctx, actor).await,
            Inbound::Accept(a) => a.verify(ctx, actor).await,
            Inbound::Reject(a) => a.verify(ctx, actor).await,
            Inbound::Undo(a) => a.verify(ctx, actor).await,
            Inbound::Create(a) => a.verify(ctx, actor).await,
            Inbound::Update(a) => a.verify(ctx, actor).await,
            Inbound::Delete(a) => a.verify(ctx, actor).await,
            Inbound::Like(a) => a.verify(ctx, actor).await,
            Inbound::Block(a) => a.verify(ctx, actor).await,
            Inbound::Add(a) => a.verify(ctx, actor).await,
            Inbound::Remove(a) => a.verify(ctx, actor).await,
            Inbound::Announce(a) => a.verify(ctx, actor).await,
            Inbound::Flag(a) => a.verify(ctx, actor).await,
            Inbound::Move(a) => a.verify(ctx, actor).await,
        }
    }

    /// Whether the handler makes its whole change in one write transaction begun with
    /// `enishi_db::begin_write` (or changes nothing), so that the record of the activity can
    /// commit in it ([`enishi_db::inbound::Claim`]): a duplicate is then found by that
    /// transaction, with no read before. The others take several steps, each in its own
    /// transaction, and are recorded once all have succeeded, so that a failed step is
    /// retried whole. (Create and Like are also nearly all of the traffic.)
    pub fn changes_in_one_transaction(&self) -> bool {
        matches!(self, Inbound::Create(_) | Inbound::Like(_))
    }

    /// Whether the activity removes its sender's account here (a `Delete` of itself): once
    /// handled there is no account left to record it against, and a redelivery finds the
    /// sender unknown and learns it anew.
    pub fn forgets_sender(&self, sender: &Actor) -> bool {
        matches!(self, Inbound::Delete(d) if id_of(d.object()).is_some_and(|id| id == sender.ap_id))
    }

    /// Makes the change the activity asks for.
    pub async fn receive(self, ctx: &InboxContext, actor: &Actor) -> Result<(), InboxError> {
        match self {
            Inbound::Follow(a) => a.receive(ctx, actor).await,
            Inbound::Accept(a) => a.receive(ctx, actor).await,
            Inbound::Reject(a) => a.receive(ctx, actor).await,
            Inbound::Undo(a) => a.receive(ctx, actor).await,
            Inbound::Create(a) => a.receive(ctx, actor).await,
            Inbound::Update(a) => a.receive(ctx, actor).await,
            Inbound::Delete(a) => a.receive(ctx, actor).await,
            Inbound::Like(a) => a.receive(ctx, actor).await,
            Inbound::Block(a) => a.receive(ctx, actor).await,
            Inbound::Add(a) => a.receive(ctx, actor).await,
            Inbound::Remove(a) => a.receive(ctx, actor).await,
            Inbound::Announce(a) => a.receive(ctx, actor).await,
            Inbound::Flag(a) => a.receive(ctx, actor).await,
            Inbound::Move(a) => a.receive(ctx, actor).await,
        }
    }
}

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handled now.
    Handled,
    /// Seen before: nothing changed.
    Duplicate,
    /// Of a type we do not handle: acknowledged, ignored.
    Ignored(String),
}

/// Handles one delivery end to end: authenticate, parse, verify, receive.
///
/// For a post, comment or like, the record that the activity was handled commits in the same
/// transaction as its change ([`enishi_db::inbound::Claim`]): a redelivery finds it there and
/// changes nothing, and a crash cannot leave the change without the record. Other activities
/// are recorded once handled, and a redelivery of one is refused before it is handled again.
pub async fn handle(
    ctx: &InboxContext,
    request: &InboundRequest<'_>,
) -> Result<Outcome, InboxError> {
    let (activity, actor) = authenticate(ctx, request).await?;
    ctx.inbound_limit
        .admit(&actor.domain)
        .map_err(InboxError::RateLimited)?;
    let id = activity
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| InboxError::Invalid("the activity has no id".into()))?
        .to_owned();
    let Some(inbound) = Inbound::parse(&activity)? else {
        let kind = type_of(&activity).unwrap_or("?").to_owned();
        tracing::info!(%id, %kind, actor = %actor.ap_id, "ignored an activity of a type we do not handle");
        return Ok(Outcome::Ignored(kind));
    };
    let atomic = inbound.changes_in_one_transaction();
    // A handler of several steps is recorded after them all; a retry of one handled before
    // is refused here, before any of its steps (or fetches) runs again.
    if !atomic && enishi_db::inbound::seen(&ctx.db, &id).await? {
        return Ok(Outcome::Duplicate);
    }
    inbound.check_shape()?;
    inbound.verify(ctx, &actor).await?;
    let kind = type_of(&activity).unwrap_or("?");
    let claim = Arc::new(enishi_db::inbound::Claim::new(
        &id,
        actor.id,
        kind,
        &actor.domain,
    ));
    let claimed;
    let receiving = if atomic {
        claimed = InboxContext {
            db: ctx.db.claiming(claim.clone()),
            ..ctx.clone()
        };
        &claimed
    } else {
        ctx
    };
    let forgets_sender = inbound.forgets_sender(&actor);
    match inbound.receive(receiving, &actor).await {
        Ok(()) if forgets_sender => return Ok(Outcome::Handled),
        Ok(()) => {}
        Err(_) if claim.is_duplicate() => return Ok(Outcome::Duplicate),
        Err(e) => return Err(e),
    }
    if claim.is_duplicate() || (!atomic && !claim.record(&ctx.db).await?) {
        return Ok(Outcome::Duplicate);
    }
    if let Some(header) = request
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(crate::sync::HEADER))
        .and_then(|(_, v)| crate::sync::SyncHeader::parse(v))
    {
        // A changed digest means the sender's friend list changed as far as we can see: the
        // proof of friends of friends that rests on it is learnt again.
        if enishi_db::friend_proof::digest_changed(&ctx.db, actor.id, &header.digest).await?
            && let Some(member) = enishi_db::inbound::social::local_followers_of(&ctx.db, actor.id)
                .await?
                .into_iter()
                .next()
        {
            crate::friend_proof::learn_friends_later(&ctx.db, &ctx.fetcher, &member, &actor);
        }
        // Repairing may fetch from the sender; the delivery need not wait for it.
        let ctx = ctx.clone();
        tokio::spawn(async move {
            match crate::sync::reconcile(&ctx, &actor, &header).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(sender = %actor.ap_id, repaired = n, "followers synchronised")
                }
                Err(e) => {
                    tracing::info!(sender = %actor.ap_id, error = %e, "followers synchronisation failed")
                }
            }
        });
    }
    Ok(Outcome::Handled)
}

/// The local member a URL names (`/users/{name}`), if any.
pub async fn local_member(ctx: &InboxContext, url: &Url) -> Result<Option<Actor>, InboxError> {
    if !ctx.settings.is_local_url(url) {
        return Ok(None);
    }
    Ok(enishi_db::actors::find_by_ap_id(&ctx.db, url)
        .await?
        .filter(|a| a.kind == enishi_core::ActorKind::Person))
}

/// Requires `url` to be on the actor's own server (no speaking for other servers' objects).
pub fn require_same_origin(actor: &Actor, url: &Url, what: &str) -> Result<(), InboxError> {
    if crate::convert::same_origin(&actor.ap_id, url) {
        Ok(())
    } else {
        Err(InboxError::Forbidden(format!(
            "{what} {url} is not on the server of {}",
            actor.ap_id
        )))
    }
}
