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
    pub remote_url: Option<String>,
    pub fetch_state: String,
    pub used_at: Option<DateTimeUtc>,
    pub fetched_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::post::Entity",
        from = "Column::PostId",
        to = "super::post::Column::Id"
    )]
    Post,
}

impl Related<super::post::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Post.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
