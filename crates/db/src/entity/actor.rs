use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "actor")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ap_id: String,
    pub kind: String,
    pub username: String,
    pub username_key: String,
    pub domain: String,
    pub is_local: bool,
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub url: Option<String>,
    pub avatar_url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub fetched_at: Option<DateTimeUtc>,
    pub friends_audience: Option<String>,
    pub introductions_audience: Option<String>,
    pub followers_digest: Option<String>,
    pub moderation: Option<String>,
    pub also_known_as: Option<String>,
    pub moved_to: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_one = "super::account::Entity")]
    Account,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
