//! Boosts by members (issue 18): a member passes a public post on to their friends and
//! followers, here (their home timelines) and elsewhere (`Announce`). Only public posts may be
//! passed on (DESIGN §5): everything narrower stays with the audience its author chose.
//!
//! Boosts from other servers are received in [`crate::inbound::boosts`]; both kinds live in the
//! same table, so that whoever sees boosts on a timeline sees them alike.

use crate::entity::boost;
use crate::error::{OpError, OpResult};
use crate::federation::{self, Event};
use crate::posts::{self, PostView};
use crate::{Db, actors, notifications};
use chrono::{DateTime, Utc};
use enishi_core::{
    Actor, ActorId, Audience, FollowState, InstanceSettings, NotificationKind, PostId, PostKind,
    ValidationError, Viewer, ViewerKind,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::{HashMap, HashSet};

/// A member's boost of a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boost {
    /// Row id (Mastodon apps see it, offset, as the reblog's status id).
    pub id: i64,
    /// Its ActivityPub id (the `Announce`'s).
    pub ap_id: String,
    /// Who boosted.
    pub booster: Actor,
    /// The post passed on.
    pub post: PostView,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// SQL naming whose boosts reach member `me`'s timeline: the accounts they follow, their
/// friends, and themselves.
pub(crate) fn boosters_seen_by(me: ActorId) -> String {
    format!(
        "SELECT followee_id FROM follow WHERE follower_id = {me} AND state = '{accepted}' \
         UNION SELECT friend_id FROM friendship WHERE owner_id = {me} UNION SELECT {me}",
        me = me.0,
        accepted = FollowState::Accepted.as_str(),
    )
}

/// `viewer` passes on a post they may see. Only public posts may be passed on (422 otherwise,
/// as Mastodon refuses boosting a private status); boosting twice changes nothing. Their
/// remote friends and the post's remote author hear of it in the same transaction.
pub async fn boost(
    db: &Db,
    settings: &InstanceSettings,
    viewer: &Viewer,
    kind: PostKind,
    public_id: &str,
) -> OpResult<Boost> {
    let me = crate::reactions::member_of(viewer)?;
    let parent = posts::get_visible(db, viewer, kind, public_id).await?;
    if parent.post.audience != Audience::Public {
        return Err(ValidationError::new(
            "audience",
            "only public posts can be passed on; this one is for a narrower audience",
        )
        .into());
    }
    let booster = actors::find_by_id(&db.conn, me)
        .await?
        .ok_or_else(|| OpError::not_found("no such member"))?;
    let txn = crate::begin_write(db).await?;
    if let Some(row) = boost::Entity::find()
        .filter(boost::Column::BoosterId.eq(me.0))
        .filter(boost::Column::PostId.eq(parent.post.id.0))
        .one(&txn)
        .await?
    {
        return Ok(Boost {
            id: row.id,
            ap_id: row.ap_id,
            booster,
            post: parent,
            created_at: row.created_at,
        });
    }
    let ap_id = settings
        .url(&format!("/boosts/{}", uuid::Uuid::now_v7()))
        .to_string();
    let row = boost::ActiveModel {
        ap_id: Set(ap_id.clone()),
        booster_id: Set(me.0),
        post_id: Set(parent.post.id.0),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let event = Event::Boost {
        id: &ap_id,
        actor: &booster,
        parent: &parent,
    };
    tell(db, &txn, &booster, &parent, event).await?;
    notifications::create(
        &txn,
        parent.post.author,
        NotificationKind::Boost,
        me,
        notifications::Refs {
            post: Some(parent.post.id.0),
            ..Default::default()
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Boost {
        id: row.id,
        ap_id,
        booster,
        post: parent,
        created_at: row.created_at,
    })
}

/// Queues `event` (a boost or its undoing) for those elsewhere who hear of `booster`'s boosts:
/// their friends on other servers, and the post's author when remote.
async fn tell(
    db: &Db,
    conn: &impl sea_orm::ConnectionTrait,
    booster: &Actor,
    parent: &PostView,
    event: Event<'_>,
) -> OpResult<()> {
    let mut to = crate::social::remote_friends(conn, booster.id).await?;
    if !parent.author.is_local && !to.iter().any(|a| a.id == parent.author.id) {
        to.push(parent.author.clone());
    }
    let key = parent.post.ap_id.as_str();
    federation::announce(conn, db.herald(), booster, key, event, &to).await?;
    Ok(())
}

/// Withdraws `viewer`'s boost of a post (nothing to withdraw is no error). The post need no
/// longer be visible or public: taking a boost back is always allowed.
pub async fn unboost(db: &Db, viewer: &Viewer, post: PostId) -> OpResult<()> {
    let me = crate::reactions::member_of(viewer)?;
    let parent = posts::by_id(db, post).await?;
    let txn = crate::begin_write(db).await?;
    let Some(row) = boost::Entity::find()
        .filter(boost::Column::BoosterId.eq(me.0))
        .filter(boost::Column::PostId.eq(post.0))
        .one(&txn)
        .await?
    else {
        return Ok(());
    };
    let booster = actors::find_by_id(&txn, me).await?;
    if let (Some(booster), Some(parent)) = (booster, parent) {
        let event = Event::UndoBoost {
            id: &row.ap_id,
            actor: &booster,
            parent: &parent,
        };
        tell(db, &txn, &booster, &parent, event).await?;
    }
    boost::Entity::delete_by_id(row.id).exec(&txn).await?;
    notifications::clear_on_post(&txn, NotificationKind::Boost, post.0, me).await?;
    txn.commit().await?;
    Ok(())
}

/// The boost with row id `id`, if the viewer may see the post and the booster's boosts (a
/// block either way hides the booster).
pub async fn get_visible(db: &Db, viewer: &Viewer, id: i64) -> OpResult<Boost> {
    let missing = || OpError::not_found(format!("no boost {id}"));
    let row = boost::Entity::find_by_id(id)
        .one(&db.conn)
        .await?
        .ok_or_else(missing)?;
    let booster = actors::find_by_id(&db.conn, ActorId(row.booster_id))
        .await?
        .ok_or_else(missing)?;
    if let Some(me) = viewer.actor
        && crate::relations::blocked_either_way(&db.conn, me, booster.id).await?
    {
        return Err(missing());
    }
    let post = posts::by_id(db, PostId(row.post_id))
        .await?
        .ok_or_else(missing)?;
    let post = posts::get_visible(db, viewer, post.post.kind, &post.post.public_id)
        .await
        .map_err(|_| missing())?;
    Ok(Boost {
        id: row.id,
        ap_id: row.ap_id,
        booster,
        post,
        created_at: row.created_at,
    })
}

/// For each of `posts`: how many boosts it has, and whether the viewer boosted it.
pub async fn summary(
    db: &Db,
    viewer: &Viewer,
    posts: &[i64],
) -> OpResult<HashMap<i64, (u64, bool)>> {
    let mut out: HashMap<i64, (u64, bool)> = HashMap::new();
    if posts.is_empty() {
        return Ok(out);
    }
    let rows = boost::Entity::find()
        .filter(boost::Column::PostId.is_in(posts.iter().copied()))
        .filter(crate::visibility::reaction_author_visible(
            "boost.booster_id",
            viewer,
        ))
        .all(&db.conn)
        .await?;
    for row in rows {
        let e = out.entry(row.post_id).or_default();
        e.0 += 1;
        e.1 |= viewer.actor.is_some_and(|a| a.0 == row.booster_id);
    }
    Ok(out)
}

/// Who boosted a post, oldest first, as `viewer` may see them (the caller checks that the
/// viewer may see the post).
pub async fn boosters_of(db: &Db, viewer: &Viewer, post: PostId) -> OpResult<Vec<Actor>> {
    let rows = boost::Entity::find()
        .filter(boost::Column::PostId.eq(post.0))
        .filter(crate::visibility::reaction_author_visible(
            "boost.booster_id",
            viewer,
        ))
        .order_by_asc(boost::Column::Id)
        .all(&db.conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.booster_id).collect();
    actors::by_ids_in_order(&db.conn, &ids).await
}

/// A boost that brought a post onto a member's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booster {
    /// The boost's row id.
    pub boost_id: i64,
    /// The boost's ActivityPub id (its `Announce`).
    pub ap_id: String,
    /// When it was boosted.
    pub created_at: DateTime<Utc>,
    /// Who boosted.
    pub actor: Actor,
}

/// The post a boost (by row id) passes on, whoever may see it: callers check the audience.
pub async fn post_of(db: &Db, boost_id: i64) -> OpResult<Option<PostId>> {
    Ok(boost::Entity::find_by_id(boost_id)
        .one(&db.conn)
        .await?
        .map(|b| PostId(b.post_id)))
}

/// Who boosted each of `list` into the member's timeline: for posts there only because an
/// account the member follows, a friend or the member passed them on, the latest such boost.
pub async fn boosters(
    db: &Db,
    viewer: &Viewer,
    list: &[PostView],
) -> OpResult<HashMap<PostId, Booster>> {
    let mut out = HashMap::new();
    let Some(me) = viewer.actor.filter(|_| viewer.kind == ViewerKind::Member) else {
        return Ok(out);
    };
    let ids: Vec<i64> = list.iter().map(|v| v.post.id.0).collect();
    if ids.is_empty() {
        return Ok(out);
    }
    // Boosts of these posts by whoever the member sees boosts of: usually none, one query.
    let rows = boost::Entity::find()
        .filter(boost::Column::PostId.is_in(ids))
        .filter(Expr::cust(format!(
            "boost.booster_id IN ({})",
            boosters_seen_by(me)
        )))
        .order_by_desc(boost::Column::Id)
        .all(&db.conn)
        .await?;
    if rows.is_empty() {
        return Ok(out);
    }
    // A post whose author is on the timeline anyway is there on its own account.
    let authors: HashSet<i64> = {
        use sea_orm::{ConnectionTrait, Statement};
        let stmt = Statement::from_string(db.conn.get_database_backend(), boosters_seen_by(me));
        let mut set = HashSet::new();
        // A UNION's column takes the first SELECT's name.
        for r in db.conn.query_all_raw(stmt).await? {
            set.insert(r.try_get::<i64>("", "followee_id")?);
        }
        set
    };
    let booster_ids: Vec<i64> = rows.iter().map(|r| r.booster_id).collect();
    let actors = actors::by_ids(&db.conn, &booster_ids).await?;
    for row in rows {
        let post = PostId(row.post_id);
        if out.contains_key(&post) {
            continue;
        }
        let author = list
            .iter()
            .find(|v| v.post.id == post)
            .map(|v| v.post.author.0);
        if author.is_some_and(|a| authors.contains(&a)) {
            continue;
        }
        if let Some(actor) = actors.get(&row.booster_id) {
            out.insert(
                post,
                Booster {
                    boost_id: row.id,
                    ap_id: row.ap_id,
                    created_at: row.created_at,
                    actor: actor.clone(),
                },
            );
        }
    }
    Ok(out)
}
