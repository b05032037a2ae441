//! State every handler can reach.

use enishi_apub::fetch::Fetcher;
use enishi_apub::inbox::InboxContext;
use enishi_apub::outbox::Metrics;
use enishi_core::InstanceSettings;
use enishi_db::Db;
use std::sync::Arc;
use tokio::sync::Notify;

/// Handler state: the database and the instance's settings, parsed once at start-up.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The instance's settings.
    pub settings: Arc<InstanceSettings>,
    /// Delivery counters (for `/metrics`).
    pub metrics: Arc<Metrics>,
    /// Wakes the delivery workers of this process after a change queued deliveries.
    pub outbox_wake: Arc<Notify>,
    /// The inbox's context: verifying signatures and fetching remote actors and objects.
    pub inbox: InboxContext,
}

impl AppState {
    /// Signed fetches of remote actors and objects.
    pub fn fetcher(&self) -> &Fetcher {
        &self.inbox.fetcher
    }
}
