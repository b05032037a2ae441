//! State every handler can reach.

use enishi_core::InstanceSettings;
use enishi_db::Db;
use std::sync::Arc;

/// Handler state: the database and the instance's settings, parsed once at start-up.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The instance's settings.
    pub settings: Arc<InstanceSettings>,
}
