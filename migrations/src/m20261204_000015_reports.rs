//! Reports (issue 17): members report accounts, posts and comments; other servers' `Flag`s
//! land in the same queue; moderators (a new role beside admins) resolve or dismiss them. And
//! members leaving: a deleted account keeps its row (the username stays reserved) with the
//! time it was deleted; a member's archive (export) is made in the background, its progress
//! kept here.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Account {
    Table,
    IsModerator,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Report {
    Table,
    Id,
    PublicId,
    ReporterId,
    Origin,
    FlagApId,
    TargetId,
    Reason,
    Comment,
    Forward,
    ForwardedAt,
    State,
    HandledBy,
    HandledNote,
    CreatedAt,
    HandledAt,
}

#[derive(DeriveIden)]
enum ReportObject {
    Table,
    Id,
    ReportId,
    PostId,
    CommentId,
    ApId,
}

#[derive(DeriveIden)]
enum Archive {
    Table,
    Id,
    AccountId,
    State,
    Progress,
    FileName,
    Size,
    Error,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum AccountRef {
    #[sea_orm(iden = "account")]
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Actor {
    Table,
    Id,
    Moderation,
    AlsoKnownAs,
    MovedTo,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Account::Table)
                .add_column(boolean(Account::IsModerator).default(false))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Account::Table)
                .add_column(timestamp_with_time_zone_null(Account::DeletedAt))
                .to_owned(),
        )
        .await?;
        // A remote account suspended (`reject`) or limited (`limit`) here, alone.
        m.alter_table(
            Table::alter()
                .table(Actor::Table)
                .add_column(string_null(Actor::Moderation))
                .to_owned(),
        )
        .await?;
        // Moves (FEP-7628): the actor's other ids (a JSON list), and where it moved.
        m.alter_table(
            Table::alter()
                .table(Actor::Table)
                .add_column(text_null(Actor::AlsoKnownAs))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Actor::Table)
                .add_column(string_null(Actor::MovedTo))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Report::Table)
                .col(big_pk_auto(Report::Id))
                .col(string_uniq(Report::PublicId))
                // The member who reported; null for a report from another server.
                .col(big_integer_null(Report::ReporterId))
                // The server a `Flag` came from; null for a member's report.
                .col(string_null(Report::Origin))
                .col(string_null(Report::FlagApId).unique_key())
                // The account reported.
                .col(big_integer(Report::TargetId))
                // `spam`, `legal`, `violation` or `other` (Mastodon's categories).
                .col(string(Report::Reason))
                .col(text(Report::Comment))
                // Whether the reporter asked for it to go to the account's server.
                .col(boolean(Report::Forward))
                .col(timestamp_with_time_zone_null(Report::ForwardedAt))
                // `open`, `resolved` or `dismissed`.
                .col(string(Report::State))
                .col(string_null(Report::HandledBy))
                .col(text_null(Report::HandledNote))
                .col(timestamp_with_time_zone(Report::CreatedAt))
                .col(timestamp_with_time_zone_null(Report::HandledAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Report::Table, Report::TargetId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Report::Table, Report::ReporterId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("report_queue")
                .table(Report::Table)
                .col(Report::State)
                .col(Report::Id)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReportObject::Table)
                .col(big_pk_auto(ReportObject::Id))
                .col(big_integer(ReportObject::ReportId))
                // The post or comment named, while it exists here.
                .col(big_integer_null(ReportObject::PostId))
                .col(big_integer_null(ReportObject::CommentId))
                .col(string(ReportObject::ApId))
                .foreign_key(
                    ForeignKey::create()
                        .from(ReportObject::Table, ReportObject::ReportId)
                        .to(Report::Table, Report::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("report_object_report")
                .table(ReportObject::Table)
                .col(ReportObject::ReportId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Archive::Table)
                .col(big_pk_auto(Archive::Id))
                .col(big_integer(Archive::AccountId))
                // `running`, `done` or `failed`.
                .col(string(Archive::State))
                // 0 to 100.
                .col(integer(Archive::Progress))
                // The file under the data directory's `archives/`, once done.
                .col(string_null(Archive::FileName))
                .col(big_integer_null(Archive::Size))
                .col(text_null(Archive::Error))
                .col(timestamp_with_time_zone(Archive::CreatedAt))
                .col(timestamp_with_time_zone_null(Archive::FinishedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Archive::Table, Archive::AccountId)
                        .to(AccountRef::Table, AccountRef::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Archive::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ReportObject::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Report::Table).to_owned())
            .await?;
        for col in [Actor::MovedTo, Actor::AlsoKnownAs, Actor::Moderation] {
            m.alter_table(
                Table::alter()
                    .table(Actor::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        for col in [Account::DeletedAt, Account::IsModerator] {
            m.alter_table(
                Table::alter()
                    .table(Account::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
