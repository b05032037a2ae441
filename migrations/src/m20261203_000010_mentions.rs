//! Mentions and hashtags (issue 14): the tags a post or comment federates with, kept as JSON
//! beside its rendered HTML, and an index of hashtags for the tag pages.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for sql in [
            "ALTER TABLE post ADD COLUMN tags TEXT NULL",
            "ALTER TABLE comment ADD COLUMN tags TEXT NULL",
            "CREATE TABLE post_hashtag (\
                post_id BIGINT NOT NULL REFERENCES post (id) ON DELETE CASCADE, \
                tag TEXT NOT NULL, \
                PRIMARY KEY (post_id, tag))",
            "CREATE INDEX post_hashtag_by_tag ON post_hashtag (tag, post_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
