//! Further public keys of remote actors: the Multikeys of `assertionMethod` (FEP-521a), such
//! as the Ed25519 keys Fedify publishes and may sign RFC 9421 requests with. The main
//! `publicKey` stays in `actor`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Actor {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ActorKey {
    Table,
    KeyId,
    ActorId,
    PublicKeyPem,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ActorKey::Table)
                .col(text(ActorKey::KeyId).primary_key())
                .col(big_integer(ActorKey::ActorId))
                .col(text(ActorKey::PublicKeyPem))
                .col(timestamp_with_time_zone(ActorKey::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("actor_key_actor")
                        .from(ActorKey::Table, ActorKey::ActorId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("actor_key_by_actor")
                .table(ActorKey::Table)
                .col(ActorKey::ActorId)
                .to_owned(),
        )
        .await
    }
}
