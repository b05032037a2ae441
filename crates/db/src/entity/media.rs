use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub public_id: String,
    pub key: String,
    pub stored_key: String,
    pub owner_id: i64,
    pub post_id: Option<i64>,
    pub position: i32,
    pub attached_as: String,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub preview_width: i32,
    pub preview_height: i32,
    pub blurhash: String,
    pub description: Option<String>,
    pub size: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
