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
    /// Who is believed about client addresses, rate limits, and the `/metrics` token.
    pub access: Arc<Access>,
    /// Photos: the store and the upload limits.
    pub media: crate::media::MediaHub,
    /// Where members' archives are written (`archives/` under the data directory).
    pub archives_dir: std::path::PathBuf,
    /// Listeners of the streaming API in this process, and the poller that feeds them.
    pub streams: crate::mastodon::streaming::Hub,
}

/// Access rules that hold for the whole process.
#[derive(Default)]
pub struct Access {
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The bearer token that opens `/metrics` on the main address (none: not served there).
    pub metrics_token: Option<String>,
    /// Login attempts per address and failed ones per account.
    pub login: crate::limits::LoginLimits,
    /// Sign-ups, password changes, posting, friend requests and reports.
    pub actions: crate::rate_limits::ActionLimits,
}

impl AppState {
    /// Signed fetches of remote actors and objects.
    pub fn fetcher(&self) -> &Fetcher {
        &self.inbox.fetcher
    }
}
