//! Content warnings (issue 18): a post may carry a short warning shown before its text, as
//! Mastodon's `spoiler_text` and ActivityPub's `summary` on a `Note`. Posts from other servers
//! keep theirs, so that a friend's warned post is not shown here unwarned.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("ALTER TABLE post ADD COLUMN content_warning TEXT NULL")
            .await?;
        Ok(())
    }
}
