//! What the web interface needs to keep:
//! - browser sessions, one row per logged-in browser, so that a session works across several
//!   `enishi serve` processes and a member can list and end their own; only a SHA-256 of the
//!   cookie's secret is kept;
//! - the language a member chose for the pages (null: follow the browser's `Accept-Language`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BrowserSession {
    Table,
    Id,
    AccountId,
    TokenHash,
    UserAgent,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    Language,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(BrowserSession::Table)
                .col(big_pk_auto(BrowserSession::Id))
                .col(big_integer(BrowserSession::AccountId))
                .col(string_uniq(BrowserSession::TokenHash))
                .col(string(BrowserSession::UserAgent))
                .col(timestamp_with_time_zone(BrowserSession::CreatedAt))
                .col(timestamp_with_time_zone(BrowserSession::LastUsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("browser_session_account")
                        .from(BrowserSession::Table, BrowserSession::AccountId)
                        .to(Account::Table, Account::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("browser_session_by_account")
                .table(BrowserSession::Table)
                .col(BrowserSession::AccountId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Account::Table)
                .add_column(string_null(Account::Language))
                .to_owned(),
        )
        .await
    }
}
