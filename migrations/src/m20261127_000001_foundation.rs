//! Instance settings, actors (local and remote in one table), local accounts and invites.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InstanceSetting {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden)]
enum Actor {
    Table,
    Id,
    ApId,
    Kind,
    Username,
    UsernameKey,
    Domain,
    IsLocal,
    DisplayName,
    Summary,
    Url,
    AvatarUrl,
    InboxUrl,
    SharedInboxUrl,
    OutboxUrl,
    FollowersUrl,
    FollowingUrl,
    PublicKeyId,
    PublicKeyPem,
    PrivateKeyPem,
    ManuallyApprovesFollowers,
    Discoverable,
    Indexable,
    CreatedAt,
    UpdatedAt,
    FetchedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    ActorId,
    Username,
    PasswordHash,
    IsAdmin,
    SuspendedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invite {
    Table,
    Id,
    Code,
    CreatedBy,
    MaxUses,
    Uses,
    ExpiresAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InstanceSetting::Table)
                    .col(string(InstanceSetting::Key).primary_key())
                    .col(text(InstanceSetting::Value))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Actor::Table)
                    .col(big_pk_auto(Actor::Id))
                    .col(text_uniq(Actor::ApId))
                    .col(string(Actor::Kind))
                    .col(string(Actor::Username))
                    // Lower-cased username: handles are matched case-insensitively.
                    .col(string(Actor::UsernameKey))
                    .col(string(Actor::Domain))
                    .col(boolean(Actor::IsLocal))
                    .col(text_null(Actor::DisplayName))
                    .col(text_null(Actor::Summary))
                    .col(text_null(Actor::Url))
                    .col(text_null(Actor::AvatarUrl))
                    .col(text(Actor::InboxUrl))
                    .col(text_null(Actor::SharedInboxUrl))
                    .col(text_null(Actor::OutboxUrl))
                    .col(text_null(Actor::FollowersUrl))
                    .col(text_null(Actor::FollowingUrl))
                    .col(text(Actor::PublicKeyId))
                    .col(text(Actor::PublicKeyPem))
                    .col(text_null(Actor::PrivateKeyPem))
                    .col(boolean(Actor::ManuallyApprovesFollowers))
                    .col(boolean(Actor::Discoverable))
                    .col(boolean(Actor::Indexable))
                    .col(timestamp_with_time_zone(Actor::CreatedAt))
                    .col(timestamp_with_time_zone(Actor::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Actor::FetchedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("actor_handle_unique")
                    .table(Actor::Table)
                    .col(Actor::UsernameKey)
                    .col(Actor::Domain)
                    .col(Actor::Kind)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("actor_public_key_id")
                    .table(Actor::Table)
                    .col(Actor::PublicKeyId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .col(big_pk_auto(Account::Id))
                    .col(big_integer_uniq(Account::ActorId))
                    .col(string_uniq(Account::Username))
                    .col(string(Account::PasswordHash))
                    .col(boolean(Account::IsAdmin))
                    .col(timestamp_with_time_zone_null(Account::SuspendedAt))
                    .col(timestamp_with_time_zone(Account::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("account_actor")
                            .from(Account::Table, Account::ActorId)
                            .to(Actor::Table, Actor::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invite::Table)
                    .col(big_pk_auto(Invite::Id))
                    .col(string_uniq(Invite::Code))
                    .col(big_integer_null(Invite::CreatedBy))
                    .col(integer(Invite::MaxUses))
                    .col(integer(Invite::Uses))
                    .col(timestamp_with_time_zone_null(Invite::ExpiresAt))
                    .col(timestamp_with_time_zone(Invite::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("invite_creator")
                            .from(Invite::Table, Invite::CreatedBy)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
