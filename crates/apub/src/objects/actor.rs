//! Actors as federation objects: read from the database, fetched and stored when remote.

use crate::convert::{actor_from_wire, actor_to_wire};
use crate::wire::ActorJson;
use crate::{ApubError, FederationData};
use activitypub_federation::config::Data;
use activitypub_federation::traits::{Actor as FederationActor, Object};
use chrono::{DateTime, Utc};
use enishi_core::Actor;
use enishi_db::actors;
use url::Url;

/// An actor, local or remote, as the federation crate sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApActor(pub Actor);

#[async_trait::async_trait]
impl Object for ApActor {
    type DataType = FederationData;
    type Kind = ActorJson;
    type Error = ApubError;

    fn id(&self) -> &Url {
        &self.0.ap_id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.0.fetched_at
    }

    async fn read_from_id(id: Url, data: &Data<FederationData>) -> Result<Option<Self>, ApubError> {
        Ok(actors::find_by_ap_id(&data.db, &id).await?.map(ApActor))
    }

    async fn into_json(self, data: &Data<FederationData>) -> Result<ActorJson, ApubError> {
        Ok(actor_to_wire(
            &self.0,
            &[],
            &Default::default(),
            &data.settings,
        ))
    }

    async fn verify(
        json: &ActorJson,
        expected: &Url,
        _data: &Data<FederationData>,
    ) -> Result<(), ApubError> {
        actor_from_wire(json.clone(), expected).map(drop)
    }

    async fn from_json(json: ActorJson, data: &Data<FederationData>) -> Result<Self, ApubError> {
        let fetched_from = json.id.clone();
        if data.settings.is_local_url(&fetched_from) {
            return Err(ApubError::Invalid(format!(
                "{fetched_from} claims to be local"
            )));
        }
        let actor = actor_from_wire(json, &fetched_from)?;
        Ok(ApActor(actors::upsert_remote(&data.db, actor).await?))
    }
}

impl FederationActor for ApActor {
    fn public_key_pem(&self) -> &str {
        &self.0.public_key_pem
    }

    /// Keys are read from the database only where a request is signed, never carried around.
    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        self.0.inbox.clone()
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.0.shared_inbox.clone()
    }
}
