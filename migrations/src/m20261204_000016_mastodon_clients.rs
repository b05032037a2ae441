//! Mastodon apps (issue 18): OAuth 2 client applications, the short-lived authorization codes
//! of the authorization-code flow, and tokens that carry the app and the scopes granted.
//! A token without scopes is one of Enishi's own (`POST /api/v1/sessions`, `enishi token
//! create`) and may do everything its member may. Statuses posted with an `Idempotency-Key`
//! remember the key so that a retried request does not post twice. Bookmarks are a member's
//! private list of posts to come back to.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OauthApp {
    Table,
    Id,
    ClientId,
    SecretHash,
    Name,
    Website,
    RedirectUris,
    Scopes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OauthCode {
    Table,
    Id,
    CodeHash,
    AppId,
    AccountId,
    RedirectUri,
    Scopes,
    CodeChallenge,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum OauthAppToken {
    Table,
    Id,
    AppId,
    TokenHash,
    Scopes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    AppId,
    Scopes,
}

#[derive(DeriveIden)]
enum IdempotencyKey {
    Table,
    Id,
    AccountId,
    Key,
    PostId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Bookmark {
    Table,
    Id,
    ActorId,
    PostId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Actor {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Post {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OauthApp::Table)
                .col(big_pk_auto(OauthApp::Id))
                .col(string_uniq(OauthApp::ClientId))
                // A SHA-256 of the client secret, as tokens are kept.
                .col(string(OauthApp::SecretHash))
                .col(string(OauthApp::Name))
                .col(string_null(OauthApp::Website))
                // One URI per line, compared exactly.
                .col(text(OauthApp::RedirectUris))
                // Space-separated, as the app registered them.
                .col(string(OauthApp::Scopes))
                .col(timestamp_with_time_zone(OauthApp::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OauthCode::Table)
                .col(big_pk_auto(OauthCode::Id))
                .col(string_uniq(OauthCode::CodeHash))
                .col(big_integer(OauthCode::AppId))
                .col(big_integer(OauthCode::AccountId))
                .col(text(OauthCode::RedirectUri))
                .col(string(OauthCode::Scopes))
                // PKCE: the S256 challenge the app sent with the request, if any.
                .col(string_null(OauthCode::CodeChallenge))
                .col(timestamp_with_time_zone(OauthCode::ExpiresAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OauthCode::Table, OauthCode::AppId)
                        .to(OauthApp::Table, OauthApp::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(OauthCode::Table, OauthCode::AccountId)
                        .to(Account::Table, Account::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // An app's own tokens (the client_credentials grant): they name no member.
        m.create_table(
            Table::create()
                .table(OauthAppToken::Table)
                .col(big_pk_auto(OauthAppToken::Id))
                .col(big_integer(OauthAppToken::AppId))
                .col(string_uniq(OauthAppToken::TokenHash))
                .col(string(OauthAppToken::Scopes))
                .col(timestamp_with_time_zone(OauthAppToken::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OauthAppToken::Table, OauthAppToken::AppId)
                        .to(OauthApp::Table, OauthApp::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApiToken::Table)
                .add_column(big_integer_null(ApiToken::AppId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApiToken::Table)
                .add_column(string_null(ApiToken::Scopes))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("api_token_app")
                .table(ApiToken::Table)
                .col(ApiToken::AppId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IdempotencyKey::Table)
                .col(big_pk_auto(IdempotencyKey::Id))
                .col(big_integer(IdempotencyKey::AccountId))
                .col(string(IdempotencyKey::Key))
                .col(big_integer(IdempotencyKey::PostId))
                .col(timestamp_with_time_zone(IdempotencyKey::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(IdempotencyKey::Table, IdempotencyKey::AccountId)
                        .to(Account::Table, Account::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(IdempotencyKey::Table, IdempotencyKey::PostId)
                        .to(Post::Table, Post::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idempotency_key_account_key")
                .table(IdempotencyKey::Table)
                .col(IdempotencyKey::AccountId)
                .col(IdempotencyKey::Key)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Bookmark::Table)
                .col(big_pk_auto(Bookmark::Id))
                // The member's actor: reads know the viewer by it.
                .col(big_integer(Bookmark::ActorId))
                .col(big_integer(Bookmark::PostId))
                .col(timestamp_with_time_zone(Bookmark::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Bookmark::Table, Bookmark::ActorId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Bookmark::Table, Bookmark::PostId)
                        .to(Post::Table, Post::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("bookmark_actor_post")
                .table(Bookmark::Table)
                .col(Bookmark::ActorId)
                .col(Bookmark::PostId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Bookmark::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(IdempotencyKey::Table).to_owned())
            .await?;
        m.drop_index(Index::drop().name("api_token_app").to_owned())
            .await?;
        for col in [ApiToken::Scopes, ApiToken::AppId] {
            m.alter_table(
                Table::alter()
                    .table(ApiToken::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(OauthAppToken::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(OauthCode::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(OauthApp::Table).to_owned())
            .await
    }
}
