//! The delivery loop.

use super::Metrics;
use crate::egress;
use crate::signatures::Signer;
use chrono::Utc;
use enishi_core::ActorId;
use enishi_core::delivery::{RetryPolicy, Verdict, judge_status, parse_retry_after};
use enishi_db::outbox::{self, Claimed};
use enishi_db::{Db, actors};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Notify, Semaphore};
use url::Url;

/// How workers behave.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Deliveries in flight at once, in all.
    pub concurrency: usize,
    /// Deliveries in flight at once to one host.
    pub per_host: usize,
    /// Time allowed for one request.
    pub timeout: Duration,
    /// How long a claim holds a row; a worker that dies lets it go after this.
    pub lease: Duration,
    /// How often to look for due rows when not woken.
    pub poll: Duration,
    /// Retries, giving up and host resting.
    pub policy: RetryPolicy,
    /// How long delivered rows are kept.
    pub retention: Duration,
    /// The `User-Agent` of requests.
    pub user_agent: String,
    /// Server blocks in force (kept in step with the database): deliveries to a rejected
    /// server are dead-lettered instead of sent.
    pub blocks: enishi_core::moderation::LiveBlocks,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 64,
            per_host: 8,
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(250),
            policy: RetryPolicy::default(),
            retention: Duration::from_secs(7 * 24 * 3600),
            user_agent: format!("Enishi/{}", env!("CARGO_PKG_VERSION")),
            blocks: Default::default(),
        }
    }
}

/// Claims, signs, sends and settles deliveries until told to stop.
pub struct DeliveryWorker {
    db: Db,
    client: egress::Client,
    settings: WorkerSettings,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
    signers: Mutex<HashMap<ActorId, Arc<Signer>>>,
    /// Followers collection of each signing actor.
    followers: Mutex<HashMap<ActorId, Option<Url>>>,
    /// FEP-8fcf digests per (actor, host), briefly cached: a fan-out to one host's inboxes
    /// would otherwise ask the database once per inbox.
    digests: Mutex<HashMap<(ActorId, String), (String, Instant)>>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    probing: Mutex<HashSet<String>>,
    /// Successful deliveries not yet written (status, id), flushed in batches.
    done: Mutex<Vec<(u16, i64)>>,
    /// Claimed rows waiting for a runner (and for a free slot of their host).
    buffer: Mutex<VecDeque<Claimed>>,
}

enum Attempt {
    Status(u16, Option<Duration>),
    Failed(String),
    /// The outgoing-request policy refused the inbox's address: not sent, and never will be.
    Refused(String),
}

impl DeliveryWorker {
    /// A worker on `db`; `wake` lets request handlers announce new deliveries.
    pub fn new(
        db: Db,
        client: egress::Client,
        settings: WorkerSettings,
        metrics: Arc<Metrics>,
        wake: Arc<Notify>,
    ) -> Arc<Self> {
        Arc::new(DeliveryWorker {
            db,
            client,
            settings,
            metrics,
            wake,
            signers: Mutex::new(HashMap::new()),
            followers: Mutex::new(HashMap::new()),
            digests: Mutex::new(HashMap::new()),
            hosts: Mutex::new(HashMap::new()),
            probing: Mutex::new(HashSet::new()),
            done: Mutex::new(Vec::new()),
            buffer: Mutex::new(VecDeque::new()),
        })
    }

    fn host_permits(&self, host: &str) -> Arc<Semaphore> {
        self.hosts
            .lock()
            .expect("hosts lock")
            .entry(host.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.settings.per_host)))
            .clone()
    }

    /// Hosts with no free slot: their rows are left for later claims.
    fn saturated_hosts(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .hosts
            .lock()
            .expect("hosts lock")
            .iter()
            .filter(|(_, s)| s.available_permits() == 0)
            .map(|(h, _)| h.clone())
            .collect();
        out.extend(self.probing.lock().expect("probing lock").iter().cloned());
        // Hosts with a full share already claimed ahead need no more for now.
        let mut buffered: HashMap<String, usize> = HashMap::new();
        for c in self.buffer.lock().expect("buffer lock").iter() {
            *buffered.entry(c.host.clone()).or_default() += 1;
        }
        out.extend(
            buffered
                .into_iter()
                .filter(|(_, n)| *n >= self.settings.per_host)
                .map(|(h, _)| h),
        );
        out.sort_unstable();
        out.dedup();
        out
    }

    async fn signer(&self, actor: ActorId) -> Result<Arc<Signer>, String> {
        if let Some(s) = self.signers.lock().expect("signers lock").get(&actor) {
            return Ok(s.clone());
        }
        let a = actors::find_by_id(&self.db.conn, actor)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("actor {} is gone", actor.0))?;
        let pem = actors::private_key_pem(&self.db, actor)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("actor {} has no private key", a.ap_id))?;
        let signer =
            Arc::new(Signer::from_pem(&pem, a.public_key_id.clone()).map_err(|e| e.to_string())?);
        self.followers
            .lock()
            .expect("followers lock")
            .insert(actor, a.followers.clone());
        self.signers
            .lock()
            .expect("signers lock")
            .insert(actor, signer.clone());
        Ok(signer)
    }

    /// The `Collection-Synchronization` header for a followers-only delivery (FEP-8fcf).
    async fn sync_header(&self, c: &Claimed) -> Option<String> {
        if !c.body.contains("/followers\"") || c.body.contains("activitystreams#Public") {
            return None;
        }
        let followers = self
            .followers
            .lock()
            .expect("followers lock")
            .get(&c.actor)
            .cloned()
            .flatten()?;
        let key = (c.actor, c.host.clone());
        let cached = self
            .digests
            .lock()
            .expect("digests lock")
            .get(&key)
            .filter(|(_, at)| at.elapsed() < Duration::from_secs(10))
            .map(|(d, _)| d.clone());
        let digest = match cached {
            Some(d) => d,
            None => {
                let ids = enishi_db::inbound::social::followers_on(&self.db, c.actor, &c.host)
                    .await
                    .ok()?;
                let d = crate::sync::digest_of(ids.iter().map(String::as_str));
                self.digests
                    .lock()
                    .expect("digests lock")
                    .insert(key, (d.clone(), Instant::now()));
                d
            }
        };
        let mut url = followers.clone();
        url.set_path(&format!("{}_synchronization", followers.path()));
        Some(
            crate::sync::SyncHeader {
                collection_id: followers,
                url,
                digest,
            }
            .to_header(),
        )
    }

    async fn send(&self, c: &Claimed) -> Attempt {
        let url = match Url::parse(&c.inbox) {
            Ok(u) => u,
            Err(e) => return Attempt::Failed(format!("bad inbox URL: {e}")),
        };
        let signer = match self.signer(c.actor).await {
            Ok(s) => s,
            Err(e) => return Attempt::Failed(e),
        };
        let signed = match signer.sign_post(&url, c.body.as_bytes(), SystemTime::now()) {
            Ok(s) => s,
            Err(e) => return Attempt::Failed(e.to_string()),
        };
        let req = match self.client.post(&url) {
            Ok(req) => req,
            Err(refused) => return Attempt::Refused(refused.to_string()),
        };
        let mut req = req
            .timeout(self.settings.timeout)
            .header("User-Agent", &self.settings.user_agent)
            .header("Accept", "application/activity+json, application/ld+json");
        for (name, value) in signed.headers {
            if name != "Host" {
                req = req.header(name, value);
            }
        }
        if let Some(sync) = self.sync_header(c).await {
            req = req.header(crate::sync::HEADER, sync);
        }
        match req.body(c.body.clone()).send().await {
            Ok(resp) => {
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now()));
                Attempt::Status(resp.status().as_u16(), retry_after)
            }
            Err(e) if e.is_timeout() => Attempt::Failed("timed out".into()),
            Err(e) => match egress::refusal(&e) {
                Some(refused) => Attempt::Refused(refused.to_string()),
                None => Attempt::Failed(format!("request failed: {e}")),
            },
        }
    }

    async fn settle(&self, c: &Claimed, attempt: Attempt) -> Result<(), enishi_db::DbErr> {
        let policy = &self.settings.policy;
        let (status, verdict, error) = match attempt {
            Attempt::Status(s, retry_after) => {
                (Some(s), judge_status(s, retry_after), format!("HTTP {s}"))
            }
            Attempt::Failed(e) => (None, Verdict::Retry { not_before: None }, e),
            Attempt::Refused(e) => (None, Verdict::Dead, e),
        };
        match verdict {
            Verdict::Delivered => {
                let latency =
                    (Utc::now() - c.created_at).num_microseconds().unwrap_or(0) as f64 / 1e6;
                self.metrics.delivered(latency.max(0.0));
                if c.host_troubled {
                    outbox::delivered(&self.db, c.id, &c.host, status.unwrap_or(200)).await
                } else {
                    self.done
                        .lock()
                        .expect("done lock")
                        .push((status.unwrap_or(200), c.id));
                    Ok(())
                }
            }
            Verdict::Dead => {
                self.metrics.dead();
                let why = match status {
                    Some(_) => format!("{error}: refused by the inbox"),
                    None => error,
                };
                outbox::dead(&self.db, c.id, status, &why).await
            }
            Verdict::Retry { not_before } => {
                let wait = policy
                    .backoff(c.attempts.max(1) as u32, rand::random::<f64>())
                    .max(not_before.unwrap_or_default());
                let next = Utc::now()
                    + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(6));
                let deadline = c.created_at
                    + chrono::Duration::from_std(policy.give_up_after)
                        .unwrap_or(chrono::Duration::days(4));
                outbox::host_failed(
                    &self.db,
                    &c.host,
                    &error,
                    policy.host_failure_threshold,
                    |f| policy.probe_wait(f, rand::random::<f64>()),
                )
                .await?;
                if next > deadline {
                    self.metrics.dead();
                    let reason = format!("gave up after {} attempts; last: {error}", c.attempts);
                    outbox::dead(&self.db, c.id, status, &reason).await
                } else {
                    self.metrics.retried();
                    outbox::retry_at(&self.db, c.id, status, &error, next).await
                }
            }
        }
    }

    /// Writes the batched successful deliveries.
    async fn flush(&self) {
        let mut done = std::mem::take(&mut *self.done.lock().expect("done lock"));
        if done.is_empty() {
            return;
        }
        done.sort_unstable();
        for group in done.chunk_by(|a, b| a.0 == b.0) {
            let ids: Vec<i64> = group.iter().map(|(_, id)| *id).collect();
            for chunk in ids.chunks(500) {
                if let Err(e) = outbox::delivered_many(&self.db, chunk, group[0].0).await {
                    // They stay leased; after the lease they are sent again (a duplicate, not a loss).
                    tracing::warn!(error = %e, "could not record delivered rows");
                }
            }
        }
    }

    /// Whether `host` (`host[:port]`) is on a rejected server (subdomains included).
    fn is_blocked(&self, host: &str) -> bool {
        self.settings.blocks.current().rejects(host)
    }

    /// The first claimed row whose host has a free slot, with that slot. Rows of busy hosts
    /// stay in the buffer (they are leased) until their host frees up.
    fn next_ready(&self) -> Option<(Claimed, tokio::sync::OwnedSemaphorePermit)> {
        let mut buffer = self.buffer.lock().expect("buffer lock");
        for i in 0..buffer.len() {
            let host = buffer[i].host.clone();
            if let Ok(permit) = self.host_permits(&host).try_acquire_owned() {
                return buffer.remove(i).map(|c| (c, permit));
            }
        }
        None
    }

    /// How many rows are buffered, and how many of them could start now (their host has a
    /// free slot).
    fn buffered_and_ready(&self) -> (usize, usize) {
        let buffer = self.buffer.lock().expect("buffer lock");
        let mut room: HashMap<&str, usize> = HashMap::new();
        let mut ready = 0;
        for c in buffer.iter() {
            let free = room
                .entry(c.host.as_str())
                .or_insert_with(|| self.host_permits(&c.host).available_permits());
            if *free > 0 {
                *free -= 1;
                ready += 1;
            }
        }
        (buffer.len(), ready)
    }

    /// One runner: delivers ready rows from the buffer until none is left for it. Runners
    /// keep going without waiting for the claiming loop, so a slow claim (PostgreSQL under
    /// load) does not leave slots idle.
    async fn runner(self: Arc<Self>, slot: tokio::sync::OwnedSemaphorePermit) {
        let mut delivered_any = false;
        while let Some((c, host_permit)) = self.next_ready() {
            delivered_any = true;
            if c.probe
                && !self
                    .probing
                    .lock()
                    .expect("probing lock")
                    .insert(c.host.clone())
            {
                // One probe at a time to a resting host; the rest wait for its outcome.
                drop(host_permit);
                let _ = outbox::release(&self.db, c.id).await;
                continue;
            }
            if self.is_blocked(&c.host) {
                self.metrics.dead();
                let reason = format!("{} is blocked by this instance", c.host);
                if let Err(e) = outbox::dead(&self.db, c.id, None, &reason).await {
                    tracing::warn!(error = %e, delivery = c.id, "could not record a delivery outcome");
                }
                drop(host_permit);
                continue;
            }
            let attempt = self.send(&c).await;
            if let Err(e) = self.settle(&c, attempt).await {
                tracing::warn!(error = %e, delivery = c.id, "could not record a delivery outcome");
            }
            if c.probe {
                self.probing.lock().expect("probing lock").remove(&c.host);
            }
            drop(host_permit);
            self.wake.notify_one();
        }
        drop(slot);
        if delivered_any {
            self.wake.notify_one();
        }
    }

    /// Runs until `stop` completes, then waits for deliveries in flight.
    pub async fn run(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let concurrency = self.settings.concurrency;
        let slots = Arc::new(Semaphore::new(concurrency));
        let mut last_cleanup = Instant::now() - Duration::from_secs(3600);
        loop {
            if last_cleanup.elapsed() > Duration::from_secs(600) {
                let before = Utc::now()
                    - chrono::Duration::from_std(self.settings.retention)
                        .unwrap_or(chrono::Duration::days(7));
                if let Err(e) = outbox::clean_up(&self.db, before).await {
                    tracing::warn!(error = %e, "outbox clean-up failed");
                }
                last_cleanup = Instant::now();
            }
            self.flush().await;
            let (buffered, ready) = self.buffered_and_ready();
            // Start runners for what can go now, as far as slots allow.
            for _ in 0..ready {
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    break;
                };
                tokio::spawn(self.clone().runner(slot));
            }
            // Keep up to two rounds of work claimed ahead, and claim in batches: while the
            // buffer still holds a round, wait for runners to use it up.
            let in_flight = concurrency - slots.available_permits();
            let want = (2 * concurrency).saturating_sub(buffered + in_flight);
            if buffered >= concurrency || want < (concurrency / 2).max(1) {
                tokio::select! {
                    _ = &mut stop => break,
                    _ = self.wake.notified() => {},
                    _ = tokio::time::sleep(self.settings.poll) => {},
                }
                continue;
            }
            let claimed = match outbox::claim(
                &self.db,
                want as u64,
                chrono::Duration::from_std(self.settings.lease)
                    .unwrap_or(chrono::Duration::minutes(1)),
                &self.saturated_hosts(),
                self.settings.per_host,
            )
            .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming deliveries failed");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                if buffered == 0 {
                    tokio::select! {
                        _ = &mut stop => break,
                        _ = self.wake.notified() => {},
                        _ = tokio::time::sleep(self.settings.poll) => {},
                    }
                }
                continue;
            }
            self.buffer.lock().expect("buffer lock").extend(claimed);
        }
        // Rows claimed but not started go back at once instead of waiting out their lease.
        let left: Vec<Claimed> = self.buffer.lock().expect("buffer lock").drain(..).collect();
        for c in left {
            let _ = outbox::release(&self.db, c.id).await;
        }
        // Let deliveries in flight finish (their rows would otherwise wait for the lease).
        let _ = tokio::time::timeout(
            self.settings.timeout + Duration::from_secs(1),
            slots.acquire_many(concurrency as u32),
        )
        .await;
        self.flush().await;
    }
}
