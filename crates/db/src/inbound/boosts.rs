//! Boosts from other servers (issue 14): an `Announce` of a public post by an account a member
//! follows puts the post on the member's timeline, shown as boosted by that account. A group
//! (Lemmy, PeerTube, Friendica forums; FEP-1b12) announcing what was posted to it is the same
//! thing. Only public posts are ever kept this way.

use super::content::{Received, RemotePost, local_followers, new_row};
use crate::Db;
use crate::entity::{boost, post};
use crate::error::OpResult;
use chrono::Utc;
use enishi_core::{Actor, ActorId, Audience, NotificationKind, PostId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use url::Url;

/// Whether any member here follows `actor` (no one: its boosts concern nobody, and nothing
/// is fetched for them).
pub async fn is_followed_here(db: &Db, actor: &Actor) -> OpResult<bool> {
    Ok(!local_followers(&db.conn, actor.id).await?.is_empty())
}

/// `booster` announced the post `object` (`announce_id`): the post is taken from here when it
/// is known (a local post, or one already kept), else stored from `remote` as a public post.
/// Ignored when nobody here follows the booster, or the post is not public.
pub async fn receive_boost(
    db: &Db,
    booster: &Actor,
    announce_id: &str,
    object: &Url,
    remote: Option<RemotePost<'_>>,
) -> OpResult<Received> {
    let txn = crate::begin_write(db).await?;
    if local_followers(&txn, booster.id).await?.is_empty() {
        return Ok(Received::Ignored);
    }
    let existing = post::Entity::find()
        .filter(post::Column::ApId.eq(object.as_str()))
        .one(&txn)
        .await?;
    // The author to tell, when the post is a member's.
    let mut author = None;
    let post_id = match (existing, remote) {
        (Some(row), _) if row.audience == Audience::Public.as_str() => {
            author = Some(ActorId(row.author_id));
            row.id
        }
        (Some(_), _) => return Ok(Received::Ignored),
        (None, Some(new)) if new.public && new.ap_id == object => {
            let row = new_row(&new, Audience::Public).insert(&txn).await?;
            crate::marks::index_hashtags(
                &txn,
                PostId(row.id),
                new.hashtags.iter().map(String::as_str),
            )
            .await?;
            row.id
        }
        (None, _) => return Ok(Received::Ignored),
    };
    let inserted = boost::Entity::insert(boost::ActiveModel {
        ap_id: Set(announce_id.to_owned()),
        booster_id: Set(booster.id.0),
        post_id: Set(post_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(boost::Column::ApId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted > 0
        && let Some(author) = author
        && crate::actors::find_by_id(&txn, author)
            .await?
            .is_some_and(|a| a.is_local)
    {
        crate::notifications::create(
            &txn,
            author,
            NotificationKind::Boost,
            booster.id,
            crate::notifications::Refs {
                post: Some(post_id),
                ..Default::default()
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Received::Stored)
}

/// `booster` took back its boost `announce_id` (the post stays where other reasons keep it).
pub async fn undo_boost(db: &Db, booster: &Actor, announce_id: &str) -> OpResult<bool> {
    let txn = crate::begin_write(db).await?;
    let Some(row) = boost::Entity::find()
        .filter(boost::Column::ApId.eq(announce_id))
        .filter(boost::Column::BoosterId.eq(booster.id.0))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    boost::Entity::delete_by_id(row.id).exec(&txn).await?;
    crate::notifications::clear_on_post(&txn, NotificationKind::Boost, row.post_id, booster.id)
        .await?;
    txn.commit().await?;
    Ok(true)
}
