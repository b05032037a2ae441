//! Federation reach (issue 14): an index to find the activities queued about an object, so that
//! a refused reply or like is answered with one `Reject` however often its server retries.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX outbox_activity_by_object ON outbox_activity (object_key)",
            )
            .await?;
        Ok(())
    }
}
