//! Narrower delivery indexes. Every settled delivery used to add entries to all five indexes of
//! `delivery`, though the claim query only ever looks for pending rows. Partial indexes over
//! pending rows get no entry when a row is settled, so a delivery now costs the primary key and
//! the uniqueness index only. On PostgreSQL the table also leaves room in each page, so a
//! claim (which changes no indexed column) can update its row in place (a HOT update).
//!
//! The new indexes have new names: on SQLite the statements of a migration may run on
//! different pooled connections, and one whose cached schema still lists a dropped index
//! refuses to create another of the same name.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for statement in [
            "DROP INDEX IF EXISTS delivery_due",
            "DROP INDEX IF EXISTS delivery_order",
            "DROP INDEX IF EXISTS delivery_by_host",
            // Due rows for claims, in time order.
            "CREATE INDEX delivery_pending_due ON delivery (next_attempt_at) WHERE state = 'pending'",
            // The per-inbox order check: an earlier pending row about the same object.
            "CREATE INDEX delivery_pending_order ON delivery (inbox_url, object_key, id) \
             WHERE state = 'pending'",
            // Claims number each host's pending rows in id order.
            "CREATE INDEX delivery_pending_by_host ON delivery (host, id) WHERE state = 'pending'",
        ] {
            db.execute_unprepared(statement).await?;
        }
        if m.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE delivery SET (fillfactor = 70)")
                .await?;
        }
        Ok(())
    }
}
