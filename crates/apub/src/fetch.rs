//! Fetching remote documents: every GET is signed by the instance actor (authorised fetch,
//! DESIGN §5), goes through the outgoing-request policy ([`crate::egress`]), follows no
//! redirects, reads at most 1 MiB and takes only ActivityStreams JSON.
//!
//! Fetches made to verify an inbound signature (the key's owner) are limited: at most
//! [`KEY_FETCHES_PER_HOST`] at once per host and [`KEY_FETCHES_TOTAL`] overall, a request
//! that waits longer than [`KEY_FETCH_QUEUE_WAIT`] for a slot is refused, and a key whose
//! server could not be reached [`KEY_FAILURES_BEFORE_REST`] times in a row is not fetched
//! again for [`KEY_FAILURE_TTL`]. A flood of
//! requests naming a slow or hanging `keyId` thus costs a few outgoing connections, not one per
//! request.

use crate::ApubError;
use crate::convert::{actor_from_wire, authority, same_origin};
use crate::egress;
use crate::signatures::Signer;
use crate::wire::{ActorJson, Jrd};
use enishi_core::{Actor, InstanceSettings, Scheme};
use enishi_db::{Db, actors};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// Largest remote document read.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// How long a fetched actor is trusted before it is fetched again.
pub const ACTOR_REFRESH: Duration = Duration::from_secs(24 * 3600);

/// The least time between two fetches of one actor prompted by an unknown key or a failing
/// signature: a rotated key is picked up within it, and a flood of requests naming bogus keys
/// of some actor cannot make us hammer that actor's server.
pub const KEY_REFETCH_MIN_AGE: Duration = Duration::from_secs(60);

/// Whether `actor` (remote, fetched) may be fetched again for a key (see
/// [`KEY_REFETCH_MIN_AGE`]).
pub fn may_refetch_for_key(actor: &Actor) -> bool {
    actor.fetched_at.is_some_and(|t| {
        (chrono::Utc::now() - t).to_std().unwrap_or_default() >= KEY_REFETCH_MIN_AGE
    })
}

/// Key fetches in flight at once to one host.
pub const KEY_FETCHES_PER_HOST: usize = 4;

/// Key fetches in flight at once, all hosts together.
pub const KEY_FETCHES_TOTAL: usize = 64;

/// How long a key fetch waits for a free slot before the request that needs it is refused.
pub const KEY_FETCH_QUEUE_WAIT: Duration = Duration::from_secs(10);

/// How long a key (or actor) URL whose server could not be reached
/// [`KEY_FAILURES_BEFORE_REST`] times in a row is not fetched again.
pub const KEY_FAILURE_TTL: Duration = Duration::from_secs(60);

/// Failures in a row to reach a key's server after which the key rests for
/// [`KEY_FAILURE_TTL`]. One passing failure (a timeout while the peer was busy) does not make
/// the peer's next delivery wait a minute; a key whose server hangs fails every concurrent
/// fetch at once and rests at once.
pub const KEY_FAILURES_BEFORE_REST: usize = 2;

/// Most hosts with a key fetch slot table, and most failed key URLs, remembered at once.
pub const KEY_FETCH_MAP_LIMIT: usize = 10_000;

/// The bounds on key fetches (see the module documentation).
#[derive(Debug)]
struct KeyFetchLimits {
    total: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// URL whose server could not be reached → failures in a row, and until when they count.
    failed: Mutex<HashMap<String, (usize, Instant)>>,
}

impl KeyFetchLimits {
    fn new() -> Self {
        KeyFetchLimits {
            total: Arc::new(Semaphore::new(KEY_FETCHES_TOTAL)),
            hosts: Mutex::new(HashMap::new()),
            failed: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `url` is resting: its server could not be reached
    /// [`KEY_FAILURES_BEFORE_REST`] times in a row, the last less than [`KEY_FAILURE_TTL`] ago.
    fn resting(&self, url: &Url) -> bool {
        let mut failed = self.failed.lock().expect("failed keys lock");
        match failed.get(url.as_str()) {
            Some((count, until)) if *until > Instant::now() => *count >= KEY_FAILURES_BEFORE_REST,
            Some(_) => {
                failed.remove(url.as_str());
                false
            }
            None => false,
        }
    }

    /// Remembers that the server of `url` could not be reached.
    fn remember_failure(&self, url: &Url) {
        let now = Instant::now();
        let mut failed = self.failed.lock().expect("failed keys lock");
        if failed.len() >= KEY_FETCH_MAP_LIMIT {
            failed.retain(|_, (_, until)| *until > now);
        }
        if failed.len() >= KEY_FETCH_MAP_LIMIT
            && let Some(oldest) = failed
                .iter()
                .min_by_key(|(_, (_, until))| *until)
                .map(|(k, _)| k.clone())
        {
            failed.remove(&oldest);
        }
        let entry = failed.entry(url.to_string()).or_insert((0, now));
        if entry.1 <= now {
            entry.0 = 0;
        }
        entry.0 += 1;
        entry.1 = now + KEY_FAILURE_TTL;
    }

    /// Forgets the failures of `url` (it was reached).
    fn forget_failures(&self, url: &Url) {
        self.failed
            .lock()
            .expect("failed keys lock")
            .remove(url.as_str());
    }

    /// The slot table of `host`, if the table of tables has room.
    fn host(&self, host: &str) -> Option<Arc<Semaphore>> {
        let mut hosts = self.hosts.lock().expect("key fetch hosts lock");
        if let Some(s) = hosts.get(host) {
            return Some(s.clone());
        }
        if hosts.len() >= KEY_FETCH_MAP_LIMIT {
            // Drop the hosts with no fetch in flight (nobody else holds their semaphore).
            hosts.retain(|_, s| Arc::strong_count(s) > 1);
            if hosts.len() >= KEY_FETCH_MAP_LIMIT {
                return None;
            }
        }
        let s = Arc::new(Semaphore::new(KEY_FETCHES_PER_HOST));
        hosts.insert(host.to_owned(), s.clone());
        Some(s)
    }
}

/// Permission to fetch a key: held for the fetch.
#[derive(Debug)]
pub struct KeyFetchSlot {
    _host: OwnedSemaphorePermit,
    _total: OwnedSemaphorePermit,
}

/// Signed fetches for one instance.
#[derive(Clone)]
pub struct Fetcher {
    client: egress::Client,
    settings: Arc<InstanceSettings>,
    signer: Arc<Signer>,
    db: Db,
    key_limits: Arc<KeyFetchLimits>,
    keys: crate::key_cache::KeyCache,
    blocks: enishi_core::moderation::LiveBlocks,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("domain", &self.settings.domain)
            .finish()
    }
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL may not be fetched (scheme, our own domain, or the outgoing-request policy).
    #[error("refused to fetch {0}")]
    Refused(String),
    /// A key fetch was not attempted: the key failed to fetch a moment ago, or too many key
    /// fetches are under way.
    #[error("not fetching key {0}")]
    Throttled(String),
    /// The server answered with a status other than 200.
    #[error("{url} answered {status}")]
    Status {
        /// What was fetched.
        url: String,
        /// The status.
        status: u16,
    },
    /// Network or protocol failure.
    #[error("fetching {0}")]
    Http(String),
    /// The document is not what was asked for.
    #[error(transparent)]
    Invalid(#[from] ApubError),
}

impl FetchError {
    /// Whether the server could not be reached at all (refused by the policy, no connection,
    /// no answer in time): what a key URL is remembered for, for [`KEY_FAILURE_TTL`]. A server
    /// that answered, even wrongly, is asked again next time (its answer may have been a
    /// passing one, such as a 401 while it was busy verifying us).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, FetchError::Refused(_) | FetchError::Http(_))
    }
}

impl Fetcher {
    /// A fetcher signing as the instance actor (`signer`), with `client` (built by the
    /// outgoing-request policy).
    pub fn new(
        client: egress::Client,
        settings: Arc<InstanceSettings>,
        signer: Signer,
        db: Db,
    ) -> Self {
        Fetcher {
            client,
            settings,
            signer: Arc::new(signer),
            db,
            key_limits: Arc::new(KeyFetchLimits::new()),
            keys: Default::default(),
            blocks: Default::default(),
        }
    }

    /// The same fetcher, refusing servers that `blocks` rejects.
    pub fn with_blocks(mut self, blocks: enishi_core::moderation::LiveBlocks) -> Self {
        self.blocks = blocks;
        self
    }

    /// Whether `url` may be fetched: https, or http when this instance itself runs on plain
    /// http (local development and tests); never our own domain.
    pub fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        let scheme_ok = url.scheme() == "https"
            || (url.scheme() == "http" && self.settings.scheme == Scheme::Http);
        if !scheme_ok || url.host_str().is_none() {
            return Err(FetchError::Refused(url.to_string()));
        }
        if self.settings.is_local_url(url) {
            return Err(FetchError::Refused(format!("{url} is on this instance")));
        }
        if self.blocks.current().rejects_url(url) {
            return Err(FetchError::Refused(format!(
                "{} is blocked by this instance",
                url.host_str().unwrap_or_default()
            )));
        }
        Ok(())
    }

    async fn get(&self, url: &Url, accept: &str) -> Result<Vec<u8>, FetchError> {
        self.get_signed(url, accept, &self.signer).await
    }

    async fn get_signed(
        &self,
        url: &Url,
        accept: &str,
        signer: &Signer,
    ) -> Result<Vec<u8>, FetchError> {
        self.check_url(url)?;
        let signed = signer
            .sign_get(url, SystemTime::now())
            .map_err(|e| FetchError::Http(e.to_string()))?;
        let mut request = self
            .client
            .get(url)
            .map_err(|e| FetchError::Refused(e.to_string()))?
            .header("accept", accept);
        // `Host` comes from the URL, as the signature says; set again by hand it would be a
        // second host header over HTTP/2, which nginx refuses with 400.
        for (name, value) in signed.headers.iter().filter(|(n, _)| *n != "Host") {
            request = request.header(*name, value);
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| match egress::refusal(&e) {
                Some(refused) => FetchError::Refused(refused.to_string()),
                None => FetchError::Http(format!("{url}: {e}")),
            })?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(FetchError::Status {
                url: url.to_string(),
                status,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| FetchError::Http(format!("{url}: {e}")))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(ApubError::Invalid(format!("{url} is larger than 1 MiB")).into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Fetches a file (another server's attachment or avatar), unsigned as Mastodon fetches
    /// them, through the outgoing-request policy: at most `max_bytes` (refused early when the
    /// server announces more, cut off when it sends more) and within `time` for the whole
    /// transfer, so a file that never ends costs nothing but the wait.
    pub async fn file(
        &self,
        url: &Url,
        max_bytes: usize,
        time: std::time::Duration,
    ) -> Result<Vec<u8>, FetchError> {
        self.check_url(url)?;
        let transfer = async {
            let mut response = self
                .client
                .get(url)
                .map_err(|e| FetchError::Refused(e.to_string()))?
                .header("accept", "image/*")
                .send()
                .await
                .map_err(|e| match egress::refusal(&e) {
                    Some(refused) => FetchError::Refused(refused.to_string()),
                    None => FetchError::Http(format!("{url}: {e}")),
                })?;
            let status = response.status().as_u16();
            if status != 200 {
                return Err(FetchError::Status {
                    url: url.to_string(),
                    status,
                });
            }
            let too_large =
                || ApubError::Invalid(format!("{url} is larger than {max_bytes} bytes"));
            if response
                .content_length()
                .is_some_and(|n| n > max_bytes as u64)
            {
                return Err(too_large().into());
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| FetchError::Http(format!("{url}: {e}")))?
            {
                if body.len() + chunk.len() > max_bytes {
                    return Err(too_large().into());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        tokio::time::timeout(time, transfer)
            .await
            .map_err(|_| FetchError::Http(format!("{url}: no whole answer in {time:?}")))?
    }

    /// Fetches an ActivityStreams document; its `id` must be `url` (or at least on the same
    /// origin, for servers that redirect ids).
    pub async fn object(&self, url: &Url) -> Result<Value, FetchError> {
        self.object_as(url, &self.signer).await
    }

    /// Like [`Fetcher::object`], signed by `signer` (a member, where what is fetched is shown
    /// only to them).
    pub async fn object_as(&self, url: &Url, signer: &Signer) -> Result<Value, FetchError> {
        let body = self
            .get_signed(
                url,
                "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
                signer,
            )
            .await?;
        let value = crate::inbox::parse_json(&body).map_err(FetchError::Invalid)?;
        let id = value
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| Url::parse(s).ok())
            .ok_or_else(|| ApubError::Invalid(format!("{url} has no id")))?;
        if !same_origin(&id, url) {
            return Err(ApubError::Invalid(format!("{url} claims to be {id}")).into());
        }
        Ok(value)
    }

    /// The actor `url`, from the database when fresh enough, else fetched and stored.
    pub async fn actor(&self, url: &Url) -> Result<Actor, FetchError> {
        if let Some(actor) = actors::find_by_ap_id(&self.db, url)
            .await
            .map_err(ApubError::from)?
        {
            let fresh = actor.is_local
                || actor.fetched_at.is_some_and(|t| {
                    (chrono::Utc::now() - t).to_std().unwrap_or_default() < ACTOR_REFRESH
                });
            if fresh {
                return Ok(actor);
            }
        }
        self.refetch_actor(url).await
    }

    /// Fetches the actor `url` again (its key may have rotated) and stores it.
    pub async fn refetch_actor(&self, url: &Url) -> Result<Actor, FetchError> {
        let value = self.object(url).await?;
        let json: ActorJson = serde_json::from_value(value)
            .map_err(|e| ApubError::Invalid(format!("{url} is not an actor: {e}")))?;
        if json.id != *url {
            return Err(ApubError::Invalid(format!("{url} names itself {}", json.id)).into());
        }
        let other_keys = crate::convert::other_keys_from_wire(&json);
        let actor = actor_from_wire(json, url)?;
        let actor = actors::upsert_remote(&self.db, actor)
            .await
            .map_err(ApubError::from)?;
        actors::set_other_keys(&self.db, actor.id, &other_keys)
            .await
            .map_err(ApubError::from)?;
        self.keys.forget_actor(&actor.ap_id);
        Ok(actor)
    }

    /// The PEM of `actor`'s key `key_id` (its `publicKey` or an `assertionMethod` Multikey).
    pub async fn key_pem(&self, actor: &Actor, key_id: &str) -> Result<Option<String>, FetchError> {
        Ok(actors::key_pem(&self.db, actor, key_id)
            .await
            .map_err(ApubError::from)?)
    }

    /// The actor behind a key id (`…#main-key`, a Multikey of `assertionMethod`, or a key
    /// document that names its owner), with the key's PEM. What the network is asked goes
    /// through the key fetch limits (see the module documentation).
    pub async fn key_owner(&self, key_id: &str) -> Result<(Actor, String), FetchError> {
        let url = Url::parse(key_id)
            .map_err(|_| ApubError::Invalid(format!("key id {key_id:?} is not a URL")))?;
        if let Some(found) = self.keys.get(key_id).await {
            return Ok(found);
        }
        let mut actor_url = url.clone();
        actor_url.set_fragment(None);
        if let Some(found) = self.known_key(&actor_url, key_id).await? {
            self.keys.insert(key_id, &found.0, &found.1).await;
            return Ok(found);
        }
        let _slot = self.key_fetch_slot(&actor_url).await?;
        // Another request may have fetched it while this one waited.
        if let Some(found) = self.known_key(&actor_url, key_id).await? {
            self.keys.insert(key_id, &found.0, &found.1).await;
            return Ok(found);
        }
        let result = self.fetch_key_owner(&url, &actor_url, key_id).await;
        match &result {
            Err(e) if e.is_unreachable() => self.key_limits.remember_failure(&actor_url),
            Err(_) => {}
            Ok((owner, pem)) => {
                self.key_limits.forget_failures(&actor_url);
                self.keys.insert(key_id, owner, pem).await;
            }
        }
        result
    }

    /// [`Fetcher::key_owner`] read again from the database, not from memory: for a key that
    /// failed to verify, whose actor another process (or a moderator's change to when it was
    /// fetched) may have changed since it was held.
    pub async fn key_owner_stored(&self, key_id: &str) -> Result<(Actor, String), FetchError> {
        if let Some((owner, _)) = self.keys.get(key_id).await {
            self.keys.forget_actor(&owner.ap_id);
        }
        self.key_owner(key_id).await
    }

    /// Forgets the keys held in memory for the actor `ap_id` (it changed, moved or left).
    pub fn forget_keys_of(&self, ap_id: &Url) {
        self.keys.forget_actor(ap_id);
    }

    /// Fetches the actor `url` again for a key that failed to verify (it may have rotated),
    /// within the key fetch limits.
    pub async fn refetch_actor_for_key(&self, url: &Url) -> Result<Actor, FetchError> {
        let _slot = self.key_fetch_slot(url).await?;
        let result = self.refetch_actor(url).await;
        match &result {
            Err(e) if e.is_unreachable() => self.key_limits.remember_failure(url),
            Err(_) => {}
            Ok(_) => self.key_limits.forget_failures(url),
        }
        result
    }

    /// A slot for fetching `url` for a key: refused when `url` failed within
    /// [`KEY_FAILURE_TTL`], or when no slot frees up within [`KEY_FETCH_QUEUE_WAIT`].
    pub async fn key_fetch_slot(&self, url: &Url) -> Result<KeyFetchSlot, FetchError> {
        let limits = &self.key_limits;
        let throttled = |why: &str| FetchError::Throttled(format!("{url}: {why}"));
        if limits.resting(url) {
            return Err(throttled("it failed to fetch a moment ago"));
        }
        let host = authority(url).unwrap_or_default();
        let per_host = limits
            .host(&host)
            .ok_or_else(|| throttled("too many hosts are being fetched from"))?;
        let total = limits.total.clone();
        let slot = tokio::time::timeout(KEY_FETCH_QUEUE_WAIT, async move {
            let host = per_host.acquire_owned().await?;
            let total = total.acquire_owned().await?;
            Ok::<_, tokio::sync::AcquireError>(KeyFetchSlot {
                _host: host,
                _total: total,
            })
        })
        .await
        .map_err(|_| throttled("too many key fetches are under way"))?
        .map_err(|_| throttled("shutting down"))?;
        if limits.resting(url) {
            return Err(throttled("it failed to fetch a moment ago"));
        }
        Ok(slot)
    }

    /// The known actor `actor_url` and its key `key_id`, if both are in the database.
    async fn known_key(
        &self,
        actor_url: &Url,
        key_id: &str,
    ) -> Result<Option<(Actor, String)>, FetchError> {
        let Some(actor) = actors::find_by_ap_id(&self.db, actor_url)
            .await
            .map_err(ApubError::from)?
        else {
            return Ok(None);
        };
        Ok(self.key_pem(&actor, key_id).await?.map(|pem| (actor, pem)))
    }

    async fn fetch_key_owner(
        &self,
        url: &Url,
        actor_url: &Url,
        key_id: &str,
    ) -> Result<(Actor, String), FetchError> {
        let known = actors::find_by_ap_id(&self.db, actor_url)
            .await
            .map_err(ApubError::from)?;
        // GoToSocial's key ids are documents of their own (`…/main-key`) naming an owner.
        let actor = if known.is_none() && url.fragment().is_none() {
            let doc = self.object(url).await?;
            match doc.get("owner").and_then(Value::as_str) {
                Some(owner) if doc.get("publicKeyPem").is_some() => {
                    let owner = Url::parse(owner).map_err(|_| {
                        ApubError::Invalid(format!("key {key_id} names no owner URL"))
                    })?;
                    if !same_origin(&owner, url) {
                        return Err(ApubError::Invalid(format!(
                            "key {key_id} is owned by another server"
                        ))
                        .into());
                    }
                    self.actor(&owner).await?
                }
                _ => self.actor(actor_url).await?,
            }
        } else {
            self.actor(actor_url).await?
        };
        let pem = match self.key_pem(&actor, key_id).await? {
            Some(pem) => pem,
            // A cached actor may have gained the key since (a new Multikey).
            None if may_refetch_for_key(&actor) => {
                let fresh = self.refetch_actor(&actor.ap_id).await?;
                let pem = self.key_pem(&fresh, key_id).await?;
                return pem.map(|p| (fresh, p)).ok_or_else(|| {
                    ApubError::Invalid(format!("key {key_id} does not belong to {actor_url}"))
                        .into()
                });
            }
            None => {
                return Err(ApubError::Invalid(format!(
                    "key {key_id} does not belong to {}",
                    actor.ap_id
                ))
                .into());
            }
        };
        Ok((actor, pem))
    }

    /// The items of a collection: its own, or those of its pages (at most `max_pages`),
    /// fetched as `signer`.
    pub async fn collection_items(
        &self,
        url: &Url,
        signer: &Signer,
        max_pages: usize,
    ) -> Result<Vec<String>, FetchError> {
        let ids = |v: &Value| -> Vec<String> {
            ["orderedItems", "items"]
                .iter()
                .filter_map(|k| v.get(*k))
                .flat_map(|items| crate::inbox::ids_of(Some(items)))
                .map(|u| u.to_string())
                .collect()
        };
        let doc = self.object_as(url, signer).await?;
        let mut items = ids(&doc);
        let mut next = doc.get("first").cloned();
        for _ in 0..max_pages {
            let page = match next.take() {
                Some(Value::String(u)) => match Url::parse(&u) {
                    Ok(u) if same_origin(&u, url) => self.object_as(&u, signer).await?,
                    _ => break,
                },
                Some(page @ Value::Object(_)) => page,
                _ => break,
            };
            items.extend(ids(&page));
            next = page.get("next").cloned();
        }
        Ok(items)
    }

    /// Resolves `name@domain` with WebFinger, then fetches the actor.
    pub async fn webfinger(&self, handle: &str) -> Result<Actor, FetchError> {
        let (name, domain) = handle
            .trim_start_matches('@')
            .split_once('@')
            .ok_or_else(|| FetchError::Refused(format!("{handle:?} is not name@domain")))?;
        let scheme = match self.settings.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        let mut url = Url::parse(&format!("{scheme}://{domain}/.well-known/webfinger"))
            .map_err(|_| FetchError::Refused(format!("{domain:?} is not a domain")))?;
        url.query_pairs_mut()
            .append_pair("resource", &format!("acct:{name}@{domain}"));
        let body = self
            .get(&url, "application/jrd+json, application/json")
            .await?;
        let jrd: Jrd = serde_json::from_slice(&body)
            .map_err(|e| ApubError::Invalid(format!("webfinger for {handle}: {e}")))?;
        let actor_url = jrd
            .actor_url()
            .and_then(|u| Url::parse(u).ok())
            .ok_or_else(|| ApubError::Invalid(format!("webfinger for {handle} has no actor")))?;
        if authority(&actor_url).is_none() {
            return Err(ApubError::Invalid(format!("{actor_url} has no host")).into());
        }
        self.actor(&actor_url).await
    }
}
