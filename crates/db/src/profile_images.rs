//! A member's avatar and header image: uploaded photos attached to the profile. At most one of
//! each per member; both follow the member's avatar audience, and their keys change when that
//! audience narrows, as a post's photos do when the post's does (DESIGN §3).

use crate::entity::media;
use crate::error::{OpError, OpResult};
use crate::media::{attachment_str, new_key, to_domain};
use enishi_core::ActorId;
use enishi_core::media::{Attachment, ProfileImage, ProfileImages};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

/// Makes `owner`'s photo `id` their `which` image, or removes that image (`None`). The photo
/// must be the owner's and unattached (or already this image). The image it replaces is
/// deleted, so its URLs die at once; the prune removes its files.
pub(crate) async fn set(
    conn: &impl ConnectionTrait,
    owner: ActorId,
    which: ProfileImage,
    id: Option<&str>,
) -> OpResult<()> {
    let slot = attachment_str(which.attachment());
    let chosen = match id {
        None => None,
        Some(id) => {
            let row = media::Entity::find()
                .filter(media::Column::PublicId.eq(id))
                .filter(media::Column::OwnerId.eq(owner.0))
                .one(conn)
                .await?
                .ok_or_else(|| {
                    OpError::Conflict(
                        "media_unknown",
                        format!("{}: no photo {id} of yours", which.field()),
                    )
                })?;
            if row.attached_as == slot {
                return Ok(());
            }
            if row.attached_as != attachment_str(Attachment::Unattached) {
                return Err(OpError::Conflict(
                    "media_attached",
                    format!("photo {id} is attached elsewhere already; upload it again"),
                ));
            }
            Some(row.id)
        }
    };
    media::Entity::delete_many()
        .filter(media::Column::OwnerId.eq(owner.0))
        .filter(media::Column::AttachedAs.eq(slot))
        .exec(conn)
        .await?;
    if let Some(row) = chosen {
        media::Entity::update_many()
            .col_expr(media::Column::AttachedAs, Expr::value(slot))
            .filter(media::Column::Id.eq(row))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Member `owner`'s uploaded avatar and header image, whoever may see them.
pub async fn of(conn: &impl ConnectionTrait, owner: ActorId) -> Result<ProfileImages, DbErr> {
    images_where(conn, owner, media::Column::RemoteUrl.is_null()).await
}

/// A remote actor's avatar, kept by `remote_media` (its file in the cache, served from here).
pub async fn of_remote(
    conn: &impl ConnectionTrait,
    owner: ActorId,
) -> Result<ProfileImages, DbErr> {
    images_where(conn, owner, media::Column::RemoteUrl.is_not_null()).await
}

async fn images_where(
    conn: &impl ConnectionTrait,
    owner: ActorId,
    whose: sea_orm::sea_query::SimpleExpr,
) -> Result<ProfileImages, DbErr> {
    let rows = media::Entity::find()
        .filter(media::Column::OwnerId.eq(owner.0))
        .filter(media::Column::AttachedAs.is_in([
            attachment_str(Attachment::Avatar),
            attachment_str(Attachment::Header),
        ]))
        .filter(whose)
        .order_by_asc(media::Column::Id)
        .all(conn)
        .await?;
    let mut images = ProfileImages::default();
    for row in &rows {
        let place = if row.attached_as == attachment_str(Attachment::Avatar) {
            &mut images.avatar
        } else {
            &mut images.header
        };
        *place = Some(to_domain(row));
    }
    Ok(images)
}

/// Gives `owner`'s avatar and header image new keys: the old URLs die now and the files follow
/// at the next prune. For an avatar audience that narrowed, since the old URLs went to people
/// who may not see the images any more.
pub(crate) async fn rekey(conn: &impl ConnectionTrait, owner: ActorId) -> OpResult<()> {
    let rows = media::Entity::find()
        .filter(media::Column::OwnerId.eq(owner.0))
        .filter(media::Column::AttachedAs.is_in([
            attachment_str(Attachment::Avatar),
            attachment_str(Attachment::Header),
        ]))
        .all(conn)
        .await?;
    for row in rows {
        let mut active: media::ActiveModel = row.into();
        active.key = Set(new_key());
        active.update(conn).await?;
    }
    Ok(())
}

/// Whether member `owner`'s profile images are public (their avatar audience is).
pub(crate) async fn public(conn: &impl ConnectionTrait, owner: i64) -> Result<bool, DbErr> {
    use crate::entity::account;
    Ok(account::Entity::find()
        .filter(account::Column::ActorId.eq(owner))
        .one(conn)
        .await?
        .is_some_and(|a| a.avatar_audience == enishi_core::Audience::Public.as_str()))
}
