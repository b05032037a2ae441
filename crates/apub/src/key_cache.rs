//! The keys of remote actors who sent something lately, held in memory so that a busy
//! sender's deliveries are verified without asking the database each time.
//!
//! Bounded in size and in age: an entry is dropped when its actor is fetched again or deleted
//! in this process, and in any case after [`KEY_TTL`], which bounds how long a change made by
//! another process on the same database (a worker refetching the actor) goes unseen here. A
//! key that no longer verifies is fetched again by the verifier whatever this cache holds.

use enishi_core::Actor;
use moka::future::Cache;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// How long a key is used from memory before it is read from the database again.
pub const KEY_TTL: Duration = Duration::from_secs(60);

/// Most keys held (one per sending actor; each entry is an actor row and a PEM, about 2 KB).
pub const KEY_CAPACITY: u64 = 10_000;

/// Recently used keys by key id, with their owners.
#[derive(Clone)]
pub struct KeyCache {
    keys: Cache<String, Arc<(Actor, String)>>,
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache {
            keys: Cache::builder()
                .max_capacity(KEY_CAPACITY)
                .time_to_live(KEY_TTL)
                .support_invalidation_closures()
                .build(),
        }
    }
}

impl KeyCache {
    /// The owner and PEM of `key_id`, if held.
    pub async fn get(&self, key_id: &str) -> Option<(Actor, String)> {
        self.keys.get(key_id).await.map(|e| (*e).clone())
    }

    /// Holds `key_id` of `owner`.
    pub async fn insert(&self, key_id: &str, owner: &Actor, pem: &str) {
        self.keys
            .insert(key_id.to_owned(), Arc::new((owner.clone(), pem.to_owned())))
            .await;
    }

    /// Drops every key of the actor `ap_id` (fetched again, moved or deleted).
    pub fn forget_actor(&self, ap_id: &Url) {
        let ap_id = ap_id.clone();
        // Only fails when invalidation closures are not enabled, which `default` does.
        let _ = self
            .keys
            .invalidate_entries_if(move |_, entry| entry.0.ap_id == ap_id);
    }
}
