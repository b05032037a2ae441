//! Profiles as a viewer may see them, and members' edits of their profile and settings.

use crate::entity::{account, actor, profile_field};
use crate::error::{OpError, OpResult};
use crate::{Db, relations};
use chrono::Utc;
use enishi_core::content::profile_limits as limits;
use enishi_core::{
    Actor, ActorId, Audience, MemberSettings, ProfileField, ValidationError, Viewer, may_see,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// A profile with each part present only if the viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileView {
    /// The actor (its nickname, bio and avatar are cleared where hidden).
    pub actor: Actor,
    /// Extra fields the viewer may see.
    pub fields: Vec<ProfileField>,
    /// Whether the viewer may see the friends list.
    pub friends_visible: bool,
    /// Whether the viewer may see the introductions section.
    pub introductions_visible: bool,
}

/// The settings of a local member, or the defaults for a remote actor.
pub async fn settings_of(db: &Db, actor: ActorId) -> OpResult<MemberSettings> {
    let row = account::Entity::find()
        .filter(account::Column::ActorId.eq(actor.0))
        .one(&db.conn)
        .await?;
    Ok(row
        .map(|r| crate::accounts::settings_from_row(&r))
        .unwrap_or_default())
}

/// `owner`'s profile as `viewer` may see it.
pub async fn view(db: &Db, viewer: &Viewer, owner: &Actor) -> OpResult<ProfileView> {
    let rel = relations::relation(db, viewer, owner.id).await?;
    if rel.blocked {
        return Err(OpError::not_found(enishi_core::unknown_account(
            &owner.api_handle(),
        )));
    }
    let s = settings_of(db, owner.id).await?;
    let sees = |a: Audience| may_see(a, viewer.kind, rel);
    let mut actor = owner.clone();
    if !sees(s.nickname_audience) {
        actor.display_name = None;
    }
    if !sees(s.bio_audience) {
        actor.summary = None;
    }
    if !sees(s.avatar_audience) {
        actor.avatar_url = None;
    }
    let fields = profile_field::Entity::find()
        .filter(profile_field::Column::ActorId.eq(owner.id.0))
        .order_by_asc(profile_field::Column::Position)
        .all(&db.conn)
        .await?
        .into_iter()
        .filter_map(|f| {
            let audience: Audience = f.audience.parse().ok()?;
            sees(audience).then_some(ProfileField {
                name: f.name,
                value: f.value,
                audience,
            })
        })
        .collect();
    Ok(ProfileView {
        actor,
        fields,
        friends_visible: sees(s.friends_audience),
        introductions_visible: sees(s.introductions_audience),
    })
}

/// A member's edit of their profile; `None` leaves a part unchanged, an empty string clears it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProfileEdit {
    /// Nickname.
    pub nickname: Option<String>,
    /// Bio, as plain text.
    pub bio: Option<String>,
    /// Avatar image URL (http or https).
    pub avatar_url: Option<String>,
    /// Extra fields, replacing all existing ones.
    pub fields: Option<Vec<ProfileField>>,
}

fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// Applies a member's profile edit.
pub async fn update(db: &Db, me: ActorId, edit: ProfileEdit) -> OpResult<()> {
    if let Some(n) = &edit.nickname {
        check_len("nickname", n, limits::NICKNAME)?;
    }
    if let Some(b) = &edit.bio {
        check_len("bio", b, limits::BIO)?;
    }
    let avatar = match edit.avatar_url.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(u) => {
            let url = url::Url::parse(u)
                .map_err(|_| ValidationError::new("avatar_url", "is not a URL"))?;
            if !matches!(url.scheme(), "https" | "http") {
                return Err(
                    ValidationError::new("avatar_url", "must be an http or https URL").into(),
                );
            }
            Some(Some(url.to_string()))
        }
    };
    if let Some(fields) = &edit.fields {
        if fields.len() > limits::FIELDS {
            return Err(ValidationError::new(
                "fields",
                format!("at most {} fields", limits::FIELDS),
            )
            .into());
        }
        for f in fields {
            if f.name.trim().is_empty() {
                return Err(ValidationError::new("fields", "every field needs a name").into());
            }
            check_len("fields", &f.name, limits::FIELD_NAME)?;
            check_len("fields", &f.value, limits::FIELD_VALUE)?;
        }
    }
    let txn = crate::begin_write(db).await?;
    let row = actor::Entity::find_by_id(me.0)
        .one(&txn)
        .await?
        .ok_or_else(|| OpError::not_found("no such member"))?;
    let mut row: actor::ActiveModel = row.into();
    if let Some(n) = edit.nickname {
        let n = n.trim().to_owned();
        row.display_name = Set((!n.is_empty()).then_some(n));
    }
    if let Some(b) = edit.bio {
        let html = enishi_core::content::text_to_html(&b);
        row.summary = Set((!html.is_empty()).then_some(html));
    }
    if let Some(a) = avatar {
        row.avatar_url = Set(a);
    }
    row.updated_at = Set(Utc::now());
    row.update(&txn).await?;
    if let Some(fields) = edit.fields {
        profile_field::Entity::delete_many()
            .filter(profile_field::Column::ActorId.eq(me.0))
            .exec(&txn)
            .await?;
        for (i, f) in fields.into_iter().enumerate() {
            profile_field::ActiveModel {
                actor_id: Set(me.0),
                position: Set(i as i32),
                name: Set(f.name.trim().to_owned()),
                value: Set(f.value),
                audience: Set(f.audience.as_str().into()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

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

/// Applies a member's settings edit and returns the new settings.
pub async fn update_settings(
    db: &Db,
    account_id: i64,
    edit: SettingsEdit,
) -> OpResult<MemberSettings> {
    let row = account::Entity::find_by_id(account_id)
        .one(&db.conn)
        .await?
        .ok_or_else(|| OpError::not_found("no such account"))?;
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
    let row = row.update(&db.conn).await?;
    Ok(crate::accounts::settings_from_row(&row))
}

/// Clears the nickname of every actor in `actors` whose nickname `viewer` may not see (the
/// owner's `nickname_audience`, judged by the audience rule in SQL). Remote actors' nicknames
/// are public.
pub async fn redact_nicknames<'a>(
    db: &Db,
    viewer: &Viewer,
    actors: impl IntoIterator<Item = &'a mut Actor>,
) -> OpResult<()> {
    let mut actors: Vec<&mut Actor> = actors
        .into_iter()
        .filter(|a| a.is_local && a.display_name.is_some())
        .collect();
    if actors.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<i64> = actors.iter().map(|a| a.id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let hidden: std::collections::HashSet<i64> = account::Entity::find()
        .filter(account::Column::ActorId.is_in(ids))
        .filter(sea_orm::sea_query::ExprTrait::not(
            crate::visibility::may_see("account.actor_id", "account.nickname_audience", viewer),
        ))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|a| a.actor_id)
        .collect();
    for a in actors.iter_mut() {
        if hidden.contains(&a.id.0) {
            a.display_name = None;
        }
    }
    Ok(())
}
