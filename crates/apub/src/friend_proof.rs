//! Learning and refreshing remote friends' friend lists, the proof behind friends of friends
//! across servers (DESIGN §3). The database side (`enishi_db::friend_proof`) forgets what an
//! ended friendship disproves; this side fetches what must be confirmed again.

use crate::fetch::Fetcher;
use enishi_core::Actor;
use enishi_db::Db;
use std::time::Duration;

/// How long a learnt friend list proves anything without being confirmed again.
pub const PROOF_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(3);
/// How old a friend list may get before it is fetched again.
pub const REFRESH_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(12);
/// How often the upkeep runs.
const UPKEEP_EVERY: Duration = Duration::from_secs(15 * 60);
/// Friend lists fetched in one round at most (the rest wait for the next).
const PER_ROUND: u64 = 200;

/// Once `member` and remote `friend` are friends (or their friend list may have changed),
/// learn `friend`'s friend list: their followers collection, fetched with the member's
/// signature, which entitles them to see it. Runs in the background: the delivery that
/// prompted it need not wait.
pub fn learn_friends_later(db: &Db, fetcher: &Fetcher, member: &Actor, friend: &Actor) {
    let (db, fetcher, member, friend) =
        (db.clone(), fetcher.clone(), member.clone(), friend.clone());
    tokio::spawn(async move {
        // Once now, and once more shortly: the other server may not have recorded the
        // friendship yet (its Accept may still be on its way), and until it has, it rightly
        // shows the member nothing.
        for wait in [0, 5] {
            tokio::time::sleep(Duration::from_secs(wait)).await;
            if let Err(e) = learn_friends(&db, &fetcher, &member, &friend).await {
                tracing::info!(friend = %friend.ap_id, error = %e, "could not learn a friend's friends");
            }
        }
    });
}

/// Fetches `friend`'s friend list, signed as `member`, and records it as proof.
pub async fn learn_friends(
    db: &Db,
    fetcher: &Fetcher,
    member: &Actor,
    friend: &Actor,
) -> anyhow::Result<()> {
    if !enishi_db::relations::are_friends(&db.conn, member.id, friend.id).await? {
        return Ok(());
    }
    let Some(followers) = friend.followers.clone() else {
        return Ok(());
    };
    let pem = enishi_db::actors::private_key_pem(db, member.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{} has no key", member.ap_id))?;
    let signer = crate::signatures::Signer::from_pem(&pem, &member.public_key_id)
        .map_err(|e| anyhow::anyhow!("{}: {e}", member.ap_id))?;
    let items = fetcher.collection_items(&followers, &signer, 20).await?;
    enishi_db::inbound::social::witness_friends(db, friend, &items).await?;
    Ok(())
}

/// One round of upkeep: forget proof not confirmed within [`PROOF_LIFETIME`], and fetch again
/// the friend lists last learnt over [`REFRESH_AFTER`] ago. Returns (refreshed, expired).
pub async fn upkeep(db: &Db, fetcher: &Fetcher) -> anyhow::Result<(usize, u64)> {
    let now = chrono::Utc::now();
    let due = enishi_db::friend_proof::due(db, now - REFRESH_AFTER, PER_ROUND).await?;
    let mut refreshed = 0;
    for (member, friend) in &due {
        match learn_friends(db, fetcher, member, friend).await {
            Ok(()) => refreshed += 1,
            Err(e) => {
                tracing::info!(friend = %friend.ap_id, error = %e, "could not refresh a friend's friends")
            }
        }
    }
    let expired = enishi_db::friend_proof::expire(db, now - PROOF_LIFETIME).await?;
    Ok((refreshed, expired))
}

/// Runs [`upkeep`] now and every quarter of an hour, until the task is aborted.
pub fn spawn_upkeep(db: Db, fetcher: Fetcher) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            match upkeep(&db, &fetcher).await {
                Ok((0, 0)) => {}
                Ok((refreshed, expired)) => {
                    tracing::info!(refreshed, expired, "friends-of-friends proof upkeep")
                }
                Err(e) => tracing::warn!(error = %e, "friends-of-friends proof upkeep failed"),
            }
        }
    })
}
