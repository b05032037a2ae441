//! What the federation crate hands to every trait impl.

use enishi_core::InstanceSettings;
use enishi_db::Db;
use std::sync::Arc;

/// Shared state for federation: the database and the instance's settings.
#[derive(Clone)]
pub struct FederationData {
    /// The database.
    pub db: Db,
    /// The instance's fixed settings.
    pub settings: Arc<InstanceSettings>,
}
