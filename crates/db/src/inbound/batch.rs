//! Group commit of inbound posts: the write transactions of concurrent deliveries are run one
//! after the other inside one transaction, and each delivery is answered after that commit.
//!
//! Why: on SQLite writers take turns on one connection, and a post's own transaction (begin,
//! its record, the post, commit) spent most of its turn waiting for the thread hand-offs of
//! `BEGIN` and `COMMIT`; on PostgreSQL those two statements and the commit's WAL flush were a
//! third of the database's work per post. A batch pays them once.
//!
//! A batch is optimistic: should any of its changes fail (anything but "handled before"),
//! the whole batch rolls back and each change is run again in a transaction of its own, so
//! one bad delivery never takes the others' changes with it, and nothing is answered before
//! its change is committed.

use super::{Claim, content::Received};
use crate::connection::Backend;
use crate::hosts_well::HostsWell;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// At most this many changes share a transaction: enough to pay `BEGIN` and `COMMIT` once for
/// a flood, few enough that a failed batch is cheap to run again one by one.
const MAX_BATCH: usize = 64;

/// The changes waiting for the batcher; senders wait (back-pressure) beyond this.
const QUEUE: usize = 1024;

/// A change made inside a transaction it is given. It may run twice (the second time alone,
/// after the batch it was in rolled back), so it is a `Fn`.
pub(crate) type Change = Arc<
    dyn for<'t> Fn(
            &'t DatabaseTransaction,
        ) -> Pin<Box<dyn Future<Output = Result<Received, DbErr>> + Send + 't>>
        + Send
        + Sync,
>;

struct Pending {
    change: Change,
    claim: Option<Arc<Claim>>,
    reply: oneshot::Sender<Result<Received, DbErr>>,
}

/// The queue of one process's batched inbound changes, and the task that commits them.
pub(crate) struct Batcher {
    queue: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").finish_non_exhaustive()
    }
}

/// What the batching task needs of the database handle. It holds no [`Batcher`], so the task
/// ends once every handle (and so every sender) is gone.
struct Writer {
    conn: DatabaseConnection,
    backend: Backend,
    hosts_well: Arc<HostsWell>,
}

impl Batcher {
    /// Starts the task that commits the changes queued on the returned batcher.
    pub(crate) fn start(
        conn: DatabaseConnection,
        backend: Backend,
        hosts_well: Arc<HostsWell>,
    ) -> Batcher {
        let (queue, mut pending) = mpsc::channel::<Pending>(QUEUE);
        let writer = Writer {
            conn,
            backend,
            hosts_well,
        };
        let writer = Arc::new(writer);
        tokio::spawn(async move {
            while let Some(first) = pending.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match pending.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
                // A batch of its own task: should a change panic, its batch's deliveries get
                // an error (their answers are dropped) and the next batch runs as usual.
                let writer = writer.clone();
                if let Err(e) = tokio::spawn(async move { writer.commit(batch).await }).await {
                    tracing::error!(error = %e, "a batch of inbound changes failed");
                }
            }
        });
        Batcher { queue }
    }

    /// Makes `change` (recording `claim` first, when given) in the next batch; returns once it
    /// is committed, or with its error.
    pub(crate) async fn run(
        &self,
        claim: Option<Arc<Claim>>,
        change: Change,
    ) -> Result<Received, DbErr> {
        let (reply, answer) = oneshot::channel();
        let gone = || DbErr::Custom("the database writer has stopped".into());
        self.queue
            .send(Pending {
                change,
                claim,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

impl Writer {
    async fn commit(&self, batch: Vec<Pending>) {
        if batch.len() > 1 {
            match self.attempt(&batch).await {
                Ok(outcomes) => {
                    for (p, outcome) in batch.into_iter().zip(outcomes) {
                        let _ = p.reply.send(outcome);
                    }
                    return;
                }
                Err(e) => {
                    tracing::debug!(error = %e, size = batch.len(), "a batch of inbound changes rolled back; running them one by one");
                    for p in &batch {
                        if let Some(claim) = &p.claim {
                            claim.reopen();
                            // Its "host is well" was rolled back too: written again alone.
                            self.hosts_well.forget(claim.host());
                        }
                    }
                }
            }
        }
        for p in batch {
            let outcome = match self.attempt(std::slice::from_ref(&p)).await {
                Ok(mut outcomes) => outcomes.pop().unwrap_or(Ok(Received::Ignored)),
                Err(e) => Err(e),
            };
            let _ = p.reply.send(outcome);
        }
    }

    /// Runs `batch` in one transaction. A change whose activity was handled before writes
    /// nothing and is answered with [`super::DUPLICATE`]; any other error rolls back them all.
    async fn attempt(&self, batch: &[Pending]) -> Result<Vec<Result<Received, DbErr>>, DbErr> {
        let txn = crate::begin_on(&self.conn, self.backend).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for p in batch {
            if let Some(claim) = &p.claim {
                match claim.take(&txn, &self.hosts_well).await {
                    Ok(()) => {}
                    Err(e) if claim.is_duplicate() => {
                        outcomes.push(Err(e));
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            outcomes.push(Ok((p.change)(&txn).await?));
        }
        txn.commit().await?;
        Ok(outcomes)
    }
}

/// Lazily started on first use: most handles (tests, commands) never batch.
#[derive(Debug, Default)]
pub(crate) struct BatcherCell(std::sync::OnceLock<Batcher>);

impl BatcherCell {
    pub(crate) fn get(
        &self,
        conn: &DatabaseConnection,
        backend: Backend,
        hosts_well: &Arc<HostsWell>,
    ) -> &Batcher {
        self.0
            .get_or_init(|| Batcher::start(conn.clone(), backend, hosts_well.clone()))
    }
}
