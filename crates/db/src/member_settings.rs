//! Members' edits of their settings: the default audience, footprints, and the audiences of
//! their profile's parts and sections.

use crate::entity::account;
use crate::error::{OpError, OpResult};
use crate::profiles::announce_profile;
use crate::{Db, profile_images};
use enishi_core::{ActorId, Audience, MemberSettings};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

/// A member's edit of their settings; `None` leaves a setting unchanged.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
pub struct SettingsEdit {
    /// Audience of new content.
    pub default_audience: Option<Audience>,
    /// Leave and record footprints.
    pub footprints_enabled: Option<bool>,
    /// Who sees the nickname.
    pub nickname_audience: Option<Audience>,
    /// Who sees the bio.
    pub bio_audience: Option<Audience>,
    /// Who sees the avatar.
    pub avatar_audience: Option<Audience>,
    /// Who sees the friends list.
    pub friends_audience: Option<Audience>,
    /// Who sees the introductions section.
    pub introductions_audience: Option<Audience>,
}

/// Applies a member's settings edit and returns the new settings. An avatar audience that
/// narrows gives the avatar and header image new keys: their old URLs went to people who may
/// no longer see them.
pub async fn update_settings(
    db: &Db,
    account_id: i64,
    edit: SettingsEdit,
) -> OpResult<MemberSettings> {
    let row = account::Entity::find_by_id(account_id)
        .one(&db.conn)
        .await?
        .ok_or_else(|| OpError::not_found("no such account"))?;
    let narrows = edit
        .avatar_audience
        .and_then(|new| Some((new, row.avatar_audience.parse::<Audience>().ok()?)))
        .is_some_and(|(new, old)| !new.includes(old));
    let mut row: account::ActiveModel = row.into();
    let set = |col: &mut sea_orm::ActiveValue<String>, v: Option<Audience>| {
        if let Some(v) = v {
            *col = Set(v.as_str().to_owned());
        }
    };
    set(&mut row.default_audience, edit.default_audience);
    set(&mut row.nickname_audience, edit.nickname_audience);
    set(&mut row.bio_audience, edit.bio_audience);
    set(&mut row.avatar_audience, edit.avatar_audience);
    set(&mut row.friends_audience, edit.friends_audience);
    set(&mut row.introductions_audience, edit.introductions_audience);
    if let Some(f) = edit.footprints_enabled {
        row.footprints_enabled = Set(f);
    }
    let txn = crate::begin_write(db).await?;
    let row = row.update(&txn).await?;
    if narrows {
        profile_images::rekey(&txn, ActorId(row.actor_id)).await?;
    }
    announce_profile(db, &txn, ActorId(row.actor_id)).await?;
    txn.commit().await?;
    Ok(crate::accounts::settings_from_row(&row))
}
