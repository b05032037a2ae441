//! Moderation (issue 17): server blocks kept in the database and managed at run time, and the
//! audit log of every moderation action.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DomainBlock {
    Table,
    Id,
    Domain,
    Severity,
    PrivateComment,
    PublicComment,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditEntry {
    Table,
    Id,
    CreatedAt,
    Moderator,
    Action,
    Target,
    Reason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DomainBlock::Table)
                .col(big_pk_auto(DomainBlock::Id))
                // Normalised `host[:port]`; a block covers the host's subdomains.
                .col(string_uniq(DomainBlock::Domain))
                // `reject` or `limit`.
                .col(string(DomainBlock::Severity))
                // For moderators only.
                .col(text_null(DomainBlock::PrivateComment))
                // Shown to members and exported.
                .col(text_null(DomainBlock::PublicComment))
                .col(timestamp_with_time_zone(DomainBlock::CreatedAt))
                .col(timestamp_with_time_zone(DomainBlock::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditEntry::Table)
                .col(big_pk_auto(AuditEntry::Id))
                .col(timestamp_with_time_zone(AuditEntry::CreatedAt))
                // Who: a member's username, or `command line` for the admin commands.
                .col(string(AuditEntry::Moderator))
                // What, e.g. `domain_block`, `domain_unblock`.
                .col(string(AuditEntry::Action))
                // Of what: a domain, a handle, a report.
                .col(string(AuditEntry::Target))
                // Why, and what came of it.
                .col(text_null(AuditEntry::Reason))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditEntry::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(DomainBlock::Table).to_owned())
            .await
    }
}
