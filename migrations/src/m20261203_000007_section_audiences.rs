//! What this instance keeps of remote actors to apply audiences as their own servers do:
//! - the section audiences another server publishes for its members
//!   (`enishi:friendsAudience`, `enishi:introductionsAudience`), so that a remote member's
//!   friends list and introductions are shown here no wider than there (null: not published,
//!   fail closed);
//! - the last followers digest (FEP-8fcf) an actor sent us, so that a change prompts a fresh
//!   look at their friend list, on which friends-of-friends proof rests.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Actor {
    Table,
    FriendsAudience,
    IntroductionsAudience,
    FollowersDigest,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER, as SQLite requires.
        for col in [
            Actor::FriendsAudience,
            Actor::IntroductionsAudience,
            Actor::FollowersDigest,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Actor::Table)
                    .add_column(string_null(col))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
