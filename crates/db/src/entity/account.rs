use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub actor_id: i64,
    #[sea_orm(unique)]
    pub username: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub suspended_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub default_audience: String,
    pub nickname_audience: String,
    pub bio_audience: String,
    pub avatar_audience: String,
    pub friends_audience: String,
    pub introductions_audience: String,
    pub footprints_enabled: bool,
    pub language: Option<String>,
    pub is_moderator: bool,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::actor::Entity",
        from = "Column::ActorId",
        to = "super::actor::Column::Id",
        on_delete = "Cascade"
    )]
    Actor,
}

impl Related<super::actor::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Actor.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
