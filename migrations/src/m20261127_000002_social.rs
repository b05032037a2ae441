//! The social core: follows and friendships, blocks, diaries and voice posts, comments, likes,
//! introductions, footprints, notifications, API tokens, profile fields and member settings.

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
enum Account {
    Table,
    Id,
    DefaultAudience,
    FootprintsEnabled,
    NicknameAudience,
    BioAudience,
    AvatarAudience,
    FriendsAudience,
    IntroductionsAudience,
}

#[derive(DeriveIden)]
enum Follow {
    Table,
    Id,
    FollowerId,
    FolloweeId,
    State,
    ApId,
    Message,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Friendship {
    Table,
    OwnerId,
    FriendId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Block {
    Table,
    BlockerId,
    BlockedId,
    ApId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Post {
    Table,
    Id,
    PublicId,
    ApId,
    Kind,
    AuthorId,
    Title,
    Body,
    Audience,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Comment {
    Table,
    Id,
    PublicId,
    ApId,
    PostId,
    AuthorId,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PostLike {
    Table,
    Id,
    PostId,
    ActorId,
    ApId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Introduction {
    Table,
    Id,
    PublicId,
    ApId,
    WriterId,
    SubjectId,
    Body,
    State,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Footprint {
    Table,
    Id,
    OwnerId,
    VisitorId,
    Target,
    PostId,
    VisitedAt,
}

#[derive(DeriveIden)]
enum Notification {
    Table,
    Id,
    RecipientId,
    Kind,
    ActorId,
    PostId,
    CommentId,
    IntroductionId,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    AccountId,
    Name,
    TokenHash,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum ProfileField {
    Table,
    Id,
    ActorId,
    Position,
    Name,
    Value,
    Audience,
}

fn actor_fk(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
    name: &str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Actor::Table, Actor::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for col in cols {
        idx.col(Alias::new(*col));
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Member settings: one column per ALTER, as SQLite requires.
        for (col, default) in [
            (Account::DefaultAudience, "friends"),
            (Account::NicknameAudience, "public"),
            (Account::BioAudience, "public"),
            (Account::AvatarAudience, "public"),
            (Account::FriendsAudience, "friends"),
            (Account::IntroductionsAudience, "friends_of_friends"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Account::Table)
                    .add_column(string(col).default(default))
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Account::Table)
                .add_column(boolean(Account::FootprintsEnabled).default(true))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Follow::Table)
                .col(big_pk_auto(Follow::Id))
                .col(big_integer(Follow::FollowerId))
                .col(big_integer(Follow::FolloweeId))
                .col(string(Follow::State))
                .col(text_null(Follow::ApId).unique_key())
                .col(text_null(Follow::Message))
                .col(timestamp_with_time_zone(Follow::CreatedAt))
                .col(timestamp_with_time_zone(Follow::UpdatedAt))
                .foreign_key(&mut actor_fk(
                    Follow::Table,
                    Follow::FollowerId,
                    "follow_follower",
                ))
                .foreign_key(&mut actor_fk(
                    Follow::Table,
                    Follow::FolloweeId,
                    "follow_followee",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "follow_pair",
            Follow::Table,
            &["follower_id", "followee_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "follow_followee",
            Follow::Table,
            &["followee_id", "state"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Friendship::Table)
                .col(big_integer(Friendship::OwnerId))
                .col(big_integer(Friendship::FriendId))
                .col(timestamp_with_time_zone(Friendship::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(Friendship::OwnerId)
                        .col(Friendship::FriendId),
                )
                .foreign_key(&mut actor_fk(
                    Friendship::Table,
                    Friendship::OwnerId,
                    "friendship_owner",
                ))
                .foreign_key(&mut actor_fk(
                    Friendship::Table,
                    Friendship::FriendId,
                    "friendship_friend",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "friendship_friend",
            Friendship::Table,
            &["friend_id", "owner_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Block::Table)
                .col(big_integer(Block::BlockerId))
                .col(big_integer(Block::BlockedId))
                .col(text_null(Block::ApId))
                .col(timestamp_with_time_zone(Block::CreatedAt))
                .primary_key(Index::create().col(Block::BlockerId).col(Block::BlockedId))
                .foreign_key(&mut actor_fk(
                    Block::Table,
                    Block::BlockerId,
                    "block_blocker",
                ))
                .foreign_key(&mut actor_fk(
                    Block::Table,
                    Block::BlockedId,
                    "block_blocked",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "block_blocked",
            Block::Table,
            &["blocked_id", "blocker_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Post::Table)
                .col(big_pk_auto(Post::Id))
                .col(string_uniq(Post::PublicId))
                .col(text_uniq(Post::ApId))
                .col(string(Post::Kind))
                .col(big_integer(Post::AuthorId))
                .col(text_null(Post::Title))
                .col(text(Post::Body))
                .col(string(Post::Audience))
                .col(timestamp_with_time_zone(Post::CreatedAt))
                .col(timestamp_with_time_zone(Post::UpdatedAt))
                .foreign_key(&mut actor_fk(Post::Table, Post::AuthorId, "post_author"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "post_author",
            Post::Table,
            &["author_id", "kind", "id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "post_author_id",
            Post::Table,
            &["author_id", "id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Comment::Table)
                .col(big_pk_auto(Comment::Id))
                .col(string_uniq(Comment::PublicId))
                .col(text_uniq(Comment::ApId))
                .col(big_integer(Comment::PostId))
                .col(big_integer(Comment::AuthorId))
                .col(text(Comment::Body))
                .col(timestamp_with_time_zone(Comment::CreatedAt))
                .col(timestamp_with_time_zone(Comment::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("comment_post")
                        .from(Comment::Table, Comment::PostId)
                        .to(Post::Table, Post::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(&mut actor_fk(
                    Comment::Table,
                    Comment::AuthorId,
                    "comment_author",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "comment_post",
            Comment::Table,
            &["post_id", "id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(PostLike::Table)
                .col(big_pk_auto(PostLike::Id))
                .col(big_integer(PostLike::PostId))
                .col(big_integer(PostLike::ActorId))
                .col(text_null(PostLike::ApId).unique_key())
                .col(timestamp_with_time_zone(PostLike::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("like_post")
                        .from(PostLike::Table, PostLike::PostId)
                        .to(Post::Table, Post::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(&mut actor_fk(
                    PostLike::Table,
                    PostLike::ActorId,
                    "like_actor",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "like_pair",
            PostLike::Table,
            &["post_id", "actor_id"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Introduction::Table)
                .col(big_pk_auto(Introduction::Id))
                .col(string_uniq(Introduction::PublicId))
                .col(text_uniq(Introduction::ApId))
                .col(big_integer(Introduction::WriterId))
                .col(big_integer(Introduction::SubjectId))
                .col(text(Introduction::Body))
                .col(string(Introduction::State))
                .col(timestamp_with_time_zone(Introduction::CreatedAt))
                .col(timestamp_with_time_zone(Introduction::UpdatedAt))
                .foreign_key(&mut actor_fk(
                    Introduction::Table,
                    Introduction::WriterId,
                    "introduction_writer",
                ))
                .foreign_key(&mut actor_fk(
                    Introduction::Table,
                    Introduction::SubjectId,
                    "introduction_subject",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "introduction_pair",
            Introduction::Table,
            &["writer_id", "subject_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "introduction_subject",
            Introduction::Table,
            &["subject_id", "id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Footprint::Table)
                .col(big_pk_auto(Footprint::Id))
                .col(big_integer(Footprint::OwnerId))
                .col(big_integer(Footprint::VisitorId))
                .col(string(Footprint::Target))
                .col(big_integer_null(Footprint::PostId))
                .col(timestamp_with_time_zone(Footprint::VisitedAt))
                .foreign_key(&mut actor_fk(
                    Footprint::Table,
                    Footprint::OwnerId,
                    "footprint_owner",
                ))
                .foreign_key(&mut actor_fk(
                    Footprint::Table,
                    Footprint::VisitorId,
                    "footprint_visitor",
                ))
                .foreign_key(
                    ForeignKey::create()
                        .name("footprint_post")
                        .from(Footprint::Table, Footprint::PostId)
                        .to(Post::Table, Post::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "footprint_visit",
            Footprint::Table,
            &["owner_id", "visitor_id", "target"],
            true,
        ))
        .await?;
        m.create_index(index(
            "footprint_recent",
            Footprint::Table,
            &["owner_id", "visited_at"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Notification::Table)
                .col(big_pk_auto(Notification::Id))
                .col(big_integer(Notification::RecipientId))
                .col(string(Notification::Kind))
                .col(big_integer(Notification::ActorId))
                .col(big_integer_null(Notification::PostId))
                .col(big_integer_null(Notification::CommentId))
                .col(big_integer_null(Notification::IntroductionId))
                .col(timestamp_with_time_zone(Notification::CreatedAt))
                .col(timestamp_with_time_zone_null(Notification::ReadAt))
                .foreign_key(&mut actor_fk(
                    Notification::Table,
                    Notification::RecipientId,
                    "notification_recipient",
                ))
                .foreign_key(&mut actor_fk(
                    Notification::Table,
                    Notification::ActorId,
                    "notification_actor",
                ))
                .foreign_key(
                    ForeignKey::create()
                        .name("notification_post")
                        .from(Notification::Table, Notification::PostId)
                        .to(Post::Table, Post::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("notification_comment")
                        .from(Notification::Table, Notification::CommentId)
                        .to(Comment::Table, Comment::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("notification_introduction")
                        .from(Notification::Table, Notification::IntroductionId)
                        .to(Introduction::Table, Introduction::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "notification_recipient",
            Notification::Table,
            &["recipient_id", "id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(ApiToken::Table)
                .col(big_pk_auto(ApiToken::Id))
                .col(big_integer(ApiToken::AccountId))
                .col(string(ApiToken::Name))
                .col(string_uniq(ApiToken::TokenHash))
                .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("api_token_account")
                        .from(ApiToken::Table, ApiToken::AccountId)
                        .to(Account::Table, Account::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProfileField::Table)
                .col(big_pk_auto(ProfileField::Id))
                .col(big_integer(ProfileField::ActorId))
                .col(integer(ProfileField::Position))
                .col(string(ProfileField::Name))
                .col(text(ProfileField::Value))
                .col(string(ProfileField::Audience))
                .foreign_key(&mut actor_fk(
                    ProfileField::Table,
                    ProfileField::ActorId,
                    "profile_field_actor",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "profile_field_actor",
            ProfileField::Table,
            &["actor_id", "position"],
            false,
        ))
        .await?;
        Ok(())
    }
}
