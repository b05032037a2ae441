//! Facts about the instance itself: its fixed domain and its own actor.

use crate::entity::{actor, instance_setting};
use crate::{ActorKeys, Db, actors};
use enishi_core::{Actor, ActorKind, InstanceSettings};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};

const DOMAIN_KEY: &str = "domain";

/// Why the database cannot serve the configured instance.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    /// The database belongs to an instance with another domain; ids cannot be rewritten.
    #[error(
        "this database belongs to the instance at {stored:?}, but the configured domain is {configured:?}; \
         object ids contain the domain and cannot change (set ENISHI_DOMAIN={stored} or use another database)"
    )]
    DomainMismatch {
        /// The domain recorded in the database.
        stored: String,
        /// The domain in the configuration.
        configured: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Records the domain on first start and refuses a different one later. Several processes
/// starting at once on a new database (web processes and workers) agree on one row.
pub async fn claim_domain(db: &Db, settings: &InstanceSettings) -> Result<(), InstanceError> {
    // Insert unless present; whoever came first wins, and everyone then reads the same row.
    instance_setting::Entity::insert(instance_setting::ActiveModel {
        key: Set(DOMAIN_KEY.to_owned()),
        value: Set(settings.domain.clone()),
    })
    .on_conflict_do_nothing_on([instance_setting::Column::Key])
    .exec(&db.conn)
    .await?;
    let stored = instance_setting::Entity::find_by_id(DOMAIN_KEY.to_owned())
        .one(&db.conn)
        .await?
        .ok_or_else(|| DbErr::Custom("the instance's domain vanished".into()))?;
    if stored.value == settings.domain {
        Ok(())
    } else {
        Err(InstanceError::DomainMismatch {
            stored: stored.value,
            configured: settings.domain.clone(),
        })
    }
}

/// The instance actor, if it has been created.
pub async fn find_instance_actor(db: &Db) -> Result<Option<Actor>, DbErr> {
    actor::Entity::find()
        .filter(actor::Column::IsLocal.eq(true))
        .filter(actor::Column::Kind.eq(ActorKind::Application.as_str()))
        .one(&db.conn)
        .await?
        .map(actors::to_domain)
        .transpose()
}

/// Creates the instance actor (`/actor`) with `keys` unless it exists; `keys` is called only
/// when a new actor is needed, since generating an RSA key costs time.
pub async fn ensure_instance_actor(
    db: &Db,
    settings: &InstanceSettings,
    keys: impl FnOnce() -> ActorKeys,
) -> Result<Actor, DbErr> {
    if let Some(actor) = find_instance_actor(db).await? {
        return Ok(actor);
    }
    let ap_id = settings.instance_actor_url();
    // Mastodon names its instance actor after the domain; the same name cannot clash with a
    // member, whose names have no '.' or ':'... except a bare `localhost` domain, which the
    // kind column in the unique index keeps apart.
    let row = actors::new_local(
        settings,
        ActorKind::Application,
        &settings.domain,
        &ap_id,
        &keys(),
    );
    match actors::insert_local(&db.conn, row).await {
        Ok(actor) => Ok(actor),
        // Another process created it at the same moment.
        Err(e) if crate::is_unique_violation(&e) => find_instance_actor(db)
            .await?
            .ok_or_else(|| DbErr::Custom("instance actor vanished".into())),
        Err(e) => Err(e),
    }
}

const REGISTRATION_KEY: &str = "registration";

/// The registration mode in force: what an admin chose on the admin page, else the configured
/// one.
pub async fn registration_mode(
    db: &Db,
    configured: enishi_core::RegistrationMode,
) -> Result<enishi_core::RegistrationMode, DbErr> {
    let stored = instance_setting::Entity::find_by_id(REGISTRATION_KEY.to_owned())
        .one(&db.conn)
        .await?;
    Ok(stored
        .and_then(|row| row.value.parse().ok())
        .unwrap_or(configured))
}

/// Sets the registration mode at run time (kept across restarts; overrides the configuration).
pub async fn set_registration_mode(
    db: &Db,
    mode: enishi_core::RegistrationMode,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::OnConflict;
    instance_setting::Entity::insert(instance_setting::ActiveModel {
        key: Set(REGISTRATION_KEY.to_owned()),
        value: Set(mode.as_str().to_owned()),
    })
    .on_conflict(
        OnConflict::column(instance_setting::Column::Key)
            .update_column(instance_setting::Column::Value)
            .to_owned(),
    )
    .exec(&db.conn)
    .await?;
    Ok(())
}
