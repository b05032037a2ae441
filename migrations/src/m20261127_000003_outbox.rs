//! The durable outbox: activities to send, one delivery row per target inbox, and the state of
//! each remote host (circuit breaker).

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
enum OutboxActivity {
    Table,
    Id,
    ApId,
    ActorId,
    ObjectKey,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Delivery {
    Table,
    Id,
    ActivityId,
    InboxUrl,
    Host,
    ObjectKey,
    State,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastStatus,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum DeliveryHost {
    Table,
    Host,
    Available,
    ConsecutiveFailures,
    NextProbeAt,
    LastError,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OutboxActivity::Table)
                .col(big_pk_auto(OutboxActivity::Id))
                .col(text_uniq(OutboxActivity::ApId))
                .col(big_integer(OutboxActivity::ActorId))
                .col(text(OutboxActivity::ObjectKey))
                .col(text(OutboxActivity::Body))
                .col(timestamp_with_time_zone(OutboxActivity::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("outbox_activity_actor")
                        .from(OutboxActivity::Table, OutboxActivity::ActorId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Delivery::Table)
                .col(big_pk_auto(Delivery::Id))
                .col(big_integer(Delivery::ActivityId))
                .col(text(Delivery::InboxUrl))
                .col(string(Delivery::Host))
                .col(text(Delivery::ObjectKey))
                .col(string(Delivery::State))
                .col(integer(Delivery::Attempts))
                .col(timestamp_with_time_zone(Delivery::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Delivery::LockedUntil))
                .col(integer_null(Delivery::LastStatus))
                .col(text_null(Delivery::LastError))
                .col(timestamp_with_time_zone(Delivery::CreatedAt))
                .col(timestamp_with_time_zone_null(Delivery::DeliveredAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("delivery_activity")
                        .from(Delivery::Table, Delivery::ActivityId)
                        .to(OutboxActivity::Table, OutboxActivity::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            ("delivery_due", vec!["state", "next_attempt_at"], false),
            (
                "delivery_order",
                vec!["inbox_url", "object_key", "id"],
                false,
            ),
            ("delivery_by_host", vec!["host", "state"], false),
            ("delivery_once", vec!["activity_id", "inbox_url"], true),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Delivery::Table);
            for c in cols {
                idx.col(Alias::new(c));
            }
            if unique {
                idx.unique();
            }
            m.create_index(idx.to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table(DeliveryHost::Table)
                .col(string(DeliveryHost::Host).primary_key())
                .col(boolean(DeliveryHost::Available))
                .col(integer(DeliveryHost::ConsecutiveFailures))
                .col(timestamp_with_time_zone_null(DeliveryHost::NextProbeAt))
                .col(text_null(DeliveryHost::LastError))
                .col(timestamp_with_time_zone(DeliveryHost::UpdatedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
