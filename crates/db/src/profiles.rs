//! Profiles as a viewer may see them, and members' edits of their profile (their settings are
//! in `member_settings`).

pub use crate::member_settings::{SettingsEdit, update_settings};

use crate::entity::{account, actor, profile_field};
use crate::error::{OpError, OpResult};
use crate::{Db, relations};
use chrono::Utc;
use enishi_core::content::profile_limits as limits;
use enishi_core::media::{ProfileImage, ProfileImages};
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
    /// The uploaded avatar and header image, if the viewer may see them (the avatar audience).
    pub images: ProfileImages,
}

/// The settings of a local member. For a remote actor: what its document shows is public,
/// and the friends list and introductions have the audiences its own server published, or
/// none at all when it published none (fail closed: only the writer and subject of an
/// introduction then see it here).
pub async fn settings_of(db: &Db, actor: ActorId) -> OpResult<MemberSettings> {
    Ok(stored_settings(db, actor).await?)
}

pub(crate) async fn stored_settings(
    db: &Db,
    actor: ActorId,
) -> Result<MemberSettings, sea_orm::DbErr> {
    let row = account::Entity::find()
        .filter(account::Column::ActorId.eq(actor.0))
        .one(&db.conn)
        .await?;
    if let Some(r) = row {
        return Ok(crate::accounts::settings_from_row(&r));
    }
    let remote = actor::Entity::find_by_id(actor.0).one(&db.conn).await?;
    let published =
        |a: Option<&String>| a.and_then(|a| a.parse().ok()).unwrap_or(Audience::Private);
    Ok(MemberSettings {
        friends_audience: published(remote.as_ref().and_then(|r| r.friends_audience.as_ref())),
        introductions_audience: published(
            remote
                .as_ref()
                .and_then(|r| r.introductions_audience.as_ref()),
        ),
        ..MemberSettings::default()
    })
}

/// `owner`'s profile as `viewer` may see it.
pub async fn view(db: &Db, viewer: &Viewer, owner: &Actor) -> OpResult<ProfileView> {
    let rel = relations::relation(&db.conn, viewer, owner.id).await?;
    if rel.blocked {
        return Err(OpError::not_found(enishi_core::unknown_account(
            &owner.api_handle(),
        )));
    }
    let s = settings_of(db, owner.id).await?;
    let sees = |a: Audience| may_see(a, viewer.kind, rel);
    let mut actor = owner.clone();
    if owner.is_local {
        // What the member's server publishes with the actor (for the reader's servers).
        actor.friends_audience = Some(s.friends_audience);
        actor.introductions_audience = Some(s.introductions_audience);
    }
    if !sees(s.nickname_audience) {
        actor.display_name = None;
    }
    if !sees(s.bio_audience) {
        actor.summary = None;
    }
    let images = if !sees(s.avatar_audience) {
        actor.avatar_url = None;
        ProfileImages::default()
    } else if owner.is_local {
        crate::profile_images::of(&db.conn, owner.id).await?
    } else {
        crate::profile_images::of_remote(&db.conn, owner.id).await?
    };
    let fields = fields_of(&db.conn, owner.id)
        .await?
        .into_iter()
        .filter(|f| sees(f.audience))
        .collect();
    Ok(ProfileView {
        actor,
        fields,
        friends_visible: sees(s.friends_audience),
        introductions_visible: sees(s.introductions_audience),
        images,
    })
}

/// Every profile field of `owner`, in order, whoever may see it.
async fn fields_of(
    conn: &impl sea_orm::ConnectionTrait,
    owner: ActorId,
) -> Result<Vec<ProfileField>, sea_orm::DbErr> {
    Ok(profile_field::Entity::find()
        .filter(profile_field::Column::ActorId.eq(owner.0))
        .order_by_asc(profile_field::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|f| {
            Some(ProfileField {
                audience: f.audience.parse().ok()?,
                name: f.name,
                value: f.value,
            })
        })
        .collect())
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
    /// The uploaded avatar: the id of an unattached photo of the member's, or `Some(None)` (or
    /// an empty id) to remove it.
    pub avatar_id: Option<Option<String>>,
    /// The header image, likewise.
    pub header_id: Option<Option<String>>,
    /// Extra fields, replacing all existing ones.
    pub fields: Option<Vec<ProfileField>>,
}

fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    enishi_core::content::refuse_nul(field, value)?;
    if value.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

static AVATAR_URL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(limits::AVATAR_URL_PATTERN).expect("the avatar URL pattern compiles")
});

/// An avatar URL as stored, if `u` is one: it must match [`limits::AVATAR_URL_PATTERN`], the
/// rule the API document states, and then always parses.
pub fn avatar_url(u: &str) -> Result<String, ValidationError> {
    let refused = || {
        ValidationError::new(
            "avatar_url",
            "must be an http or https URL with a host name and no white space",
        )
    };
    if !AVATAR_URL.is_match(u) {
        return Err(refused());
    }
    let url = url::Url::parse(u).map_err(|_| refused())?;
    Ok(url.to_string())
}

/// Applies a member's profile edit.
pub async fn update(db: &Db, me: ActorId, edit: ProfileEdit) -> OpResult<()> {
    if let Some(n) = &edit.nickname {
        check_len("nickname", n, limits::NICKNAME)?;
    }
    if let Some(b) = &edit.bio {
        check_len("bio", b, limits::BIO)?;
    }
    let avatar = match edit.avatar_url.as_deref() {
        None => None,
        Some("") => Some(None),
        Some(u) => Some(Some(avatar_url(u)?)),
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
    // Updating the actor row first makes concurrent edits of one profile take turns, so that
    // each keeps at most one avatar and one header.
    row.update(&txn).await?;
    for (which, id) in [
        (ProfileImage::Avatar, &edit.avatar_id),
        (ProfileImage::Header, &edit.header_id),
    ] {
        if let Some(id) = id {
            let id = id.as_deref().filter(|i| !i.is_empty());
            crate::profile_images::set(&txn, me, which, id).await?;
        }
    }
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
    announce_profile(db, &txn, me).await?;
    txn.commit().await?;
    Ok(())
}

/// Queues `Update{Person}` with `member`'s actor document as everyone may see it to their
/// remote friends, inside the change's transaction: their servers show the nickname, bio and
/// sections no wider than the member now allows.
pub(crate) async fn announce_profile(
    db: &Db,
    txn: &sea_orm::DatabaseTransaction,
    member: ActorId,
) -> OpResult<()> {
    let Some(mut actor) = crate::actors::find_by_id(txn, member).await? else {
        return Ok(());
    };
    let Some(acc) = account::Entity::find()
        .filter(account::Column::ActorId.eq(member.0))
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let s = crate::accounts::settings_from_row(&acc);
    let public = |a: Audience| a == Audience::Public;
    if !public(s.nickname_audience) {
        actor.display_name = None;
    }
    if !public(s.bio_audience) {
        actor.summary = None;
    }
    let images = if public(s.avatar_audience) {
        crate::profile_images::of(txn, member).await?
    } else {
        actor.avatar_url = None;
        ProfileImages::default()
    };
    actor.friends_audience = Some(s.friends_audience);
    actor.introductions_audience = Some(s.introductions_audience);
    let friends = crate::social::remote_friends(txn, member).await?;
    let fields: Vec<ProfileField> = fields_of(txn, member)
        .await?
        .into_iter()
        .filter(|f| public(f.audience))
        .collect();
    crate::federation::announce(
        txn,
        db.herald(),
        &actor,
        actor.ap_id.as_str(),
        crate::federation::Event::UpdateActor {
            actor: &actor,
            fields: &fields,
            images: &images,
        },
        &friends,
    )
    .await?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::avatar_url;
    use enishi_core::content::profile_limits::AVATAR_URL_PATTERN;
    use proptest::prelude::*;

    #[test]
    fn avatar_urls_follow_the_documented_rule() {
        for ok in [
            "https://cdn.example/a.png",
            "http://img:8080/x?y=1#z",
            "https://a-b.c-d.e9/",
            "https://x",
        ] {
            assert!(avatar_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " https://a.example/",
            "https://a.example/ x",
            "https://1.2.3.4/",
            "https://a.99/",
            "https://xn--nxa/",
            "https://a.example:/",
            "https://user@a.example/",
            "https://a.example:123456/",
            "ftp://a.example/",
            "https://a.example/\n",
        ] {
            assert!(avatar_url(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        /// Everything the pattern admits is a URL: the document never promises more than the
        /// server accepts.
        #[test]
        fn whatever_the_pattern_admits_parses(
            u in proptest::string::string_regex(
                AVATAR_URL_PATTERN.trim_start_matches('^').trim_end_matches('$')
            ).unwrap()
        ) {
            prop_assert!(avatar_url(&u).is_ok(), "{:?}", u);
        }
    }
}
