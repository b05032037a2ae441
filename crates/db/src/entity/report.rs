use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub public_id: String,
    pub reporter_id: Option<i64>,
    pub origin: Option<String>,
    pub flag_ap_id: Option<String>,
    pub target_id: i64,
    pub reason: String,
    pub comment: String,
    pub forward: bool,
    pub forwarded_at: Option<DateTimeUtc>,
    pub state: String,
    pub handled_by: Option<String>,
    pub handled_note: Option<String>,
    pub created_at: DateTimeUtc,
    pub handled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
