//! Who sent a delivery: the HTTP signature, its key's owner, and that owner being the
//! activity's actor.

use super::{InboxContext, InboxError, id_of, parse_json};
use crate::convert::same_origin;
use crate::fetch::FetchError;
use crate::signatures::{RequestParts, SignatureError, precheck_request, verify_request};
use enishi_core::Actor;
use serde_json::Value;
use std::time::SystemTime;

/// An inbound request as the inbox sees it, independent of the web framework.
#[derive(Debug, Clone)]
pub struct InboundRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path and query as received.
    pub path_and_query: &'a str,
    /// Headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: &'a [u8],
}

impl InboundRequest<'_> {
    /// The request for the verifier; `scheme` is the instance's (`@target-uri` needs it).
    fn parts<'s>(&'s self, scheme: &'s str) -> RequestParts<'s> {
        RequestParts {
            method: self.method,
            scheme,
            path_and_query: self.path_and_query,
            headers: &self.headers,
            body: Some(self.body),
        }
    }
}

fn signature_error(e: SignatureError) -> InboxError {
    match e {
        SignatureError::Unsigned => InboxError::Unsigned,
        other => InboxError::BadSignature(other.to_string()),
    }
}

fn key_error(key_id: &str, e: FetchError) -> InboxError {
    match e {
        FetchError::Invalid(crate::ApubError::Db(e)) => InboxError::Internal(e.to_string()),
        other => InboxError::BadSignature(format!("cannot get key {key_id}: {other}")),
    }
}

/// Verifies the request's signature against the key of `keyId`'s owner, refetching the
/// owner once when a cached key fails (keys rotate, DESIGN §5). Returns the signer.
///
/// Everything that costs nothing comes first: the signature headers, the date window and the
/// digest are checked before the key is looked up, and the key is fetched (within the
/// fetcher's key fetch limits, through the outgoing-request policy) only if it is not known.
pub async fn signer_of(ctx: &InboxContext, parts: &RequestParts<'_>) -> Result<Actor, InboxError> {
    let key_id = parts.key_id().map_err(signature_error)?;
    let key_url = url::Url::parse(&key_id)
        .map_err(|_| InboxError::BadSignature(format!("key id {key_id:?} is not a URL")))?;
    if ctx.is_blocked(&key_url) {
        return Err(InboxError::Forbidden(format!(
            "{} is blocked by this instance",
            key_url.host_str().unwrap_or_default()
        )));
    }
    precheck_request(parts, SystemTime::now()).map_err(signature_error)?;
    let (owner, pem) = ctx
        .fetcher
        .key_owner(&key_id)
        .await
        .map_err(|e| key_error(&key_id, e))?;
    if ctx.blocks.current().account_severity(&owner.ap_id)
        == Some(enishi_core::moderation::Severity::Reject)
    {
        return Err(InboxError::Forbidden(
            "the account is blocked by this instance".into(),
        ));
    }
    if owner.is_local {
        return Err(InboxError::Forbidden(format!(
            "key {key_id} belongs to this instance"
        )));
    }
    let (owner, pem) = match verify_request(parts, &pem, SystemTime::now()) {
        Ok(_) => return Ok(owner),
        // The key held in memory may be older than the stored one: read that before deciding.
        Err(SignatureError::Mismatch) => {
            let (stored, stored_pem) = ctx
                .fetcher
                .key_owner_stored(&key_id)
                .await
                .map_err(|e| key_error(&key_id, e))?;
            if stored_pem != pem && verify_request(parts, &stored_pem, SystemTime::now()).is_ok() {
                return Ok(stored);
            }
            (stored, stored_pem)
        }
        Err(e) => return Err(signature_error(e)),
    };
    match verify_request(parts, &pem, SystemTime::now()) {
        Ok(_) => Ok(owner),
        Err(SignatureError::Mismatch) if crate::fetch::may_refetch_for_key(&owner) => {
            let fresh = ctx
                .fetcher
                .refetch_actor_for_key(&owner.ap_id)
                .await
                .map_err(|e| key_error(&key_id, e))?;
            let fresh_pem = ctx
                .fetcher
                .key_pem(&fresh, &key_id)
                .await
                .map_err(|e| key_error(&key_id, e))?;
            let Some(fresh_pem) = fresh_pem.filter(|p| *p != pem) else {
                return Err(InboxError::BadSignature(
                    SignatureError::Mismatch.to_string(),
                ));
            };
            verify_request(parts, &fresh_pem, SystemTime::now()).map_err(signature_error)?;
            Ok(fresh)
        }
        Err(e) => Err(signature_error(e)),
    }
}

/// Parses and authenticates a delivery: a valid signature by the activity's own actor, an id
/// on the actor's server. Returns the activity and its actor.
///
/// What needs no network is checked before the key is looked up: the body is a JSON object
/// naming an actor and an id on the actor's server, and the signature's `keyId` is on the
/// actor's server too (a key elsewhere could never be the actor's, so it is never fetched).
pub async fn authenticate(
    ctx: &InboxContext,
    request: &InboundRequest<'_>,
) -> Result<(Value, Actor), InboxError> {
    let parts = request.parts(ctx.settings.scheme.as_str());
    // Refuse unsigned requests before reading what they say.
    let key_id = parts.key_id().map_err(signature_error)?;
    let activity = parse_json(request.body).map_err(|e| InboxError::Invalid(e.to_string()))?;
    if !activity.is_object() {
        return Err(InboxError::Invalid("the body is not a JSON object".into()));
    }
    let actor_id = activity
        .get("actor")
        .and_then(id_of)
        .ok_or_else(|| InboxError::Invalid("the activity names no actor".into()))?;
    let id = activity
        .get("id")
        .and_then(id_of)
        .ok_or_else(|| InboxError::Invalid("the activity has no id".into()))?;
    if !same_origin(&actor_id, &id) {
        return Err(InboxError::Forbidden(format!(
            "activity {id} is not on the server of {actor_id}"
        )));
    }
    let key_on_actor_server = url::Url::parse(&key_id).is_ok_and(|k| same_origin(&k, &actor_id));
    if !key_on_actor_server {
        return Err(InboxError::BadSignature(format!(
            "key {key_id:?} is not on the server of the activity's actor {actor_id}"
        )));
    }
    let signer = signer_of(ctx, &parts).await?;
    if signer.ap_id != actor_id {
        return Err(InboxError::Forbidden(format!(
            "signed by {} but the activity's actor is {actor_id}",
            signer.ap_id
        )));
    }
    super::require_same_origin(&signer, &id, "activity")?;
    Ok((activity, signer))
}
