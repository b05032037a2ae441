//! SQL conditions derived from the audience rule (`enishi_core::visibility`), for list queries.
//!
//! Each function here mirrors one predicate of the pure rule; the property test in
//! `tests/visibility.rs` checks every list query built from them against the pure functions.
//!
//! Values are written into the SQL as literals: they are only actor ids (`i64`) and audience
//! names from the enum, never client text — and custom placeholders are numbered differently
//! on SQLite and PostgreSQL.

use enishi_core::{Audience, Viewer, ViewerKind};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};

/// `EXISTS` a block between `owner_col` and the viewer, either way.
fn block_between(owner_col: &str, viewer: i64) -> SimpleExpr {
    Expr::cust(format!(
        "EXISTS (SELECT 1 FROM block b WHERE (b.blocker_id = {owner_col} AND b.blocked_id = {viewer}) \
         OR (b.blocker_id = {viewer} AND b.blocked_id = {owner_col}))"
    ))
}

/// The viewer is a friend of `owner_col`.
fn friend_of(owner_col: &str, viewer: i64) -> SimpleExpr {
    Expr::cust(format!(
        "EXISTS (SELECT 1 FROM friendship f WHERE f.owner_id = {owner_col} AND f.friend_id = {viewer})"
    ))
}

/// The viewer follows `owner_col` (accepted): [`enishi_core::Relation::follows`].
fn follows(owner_col: &str, viewer: i64) -> SimpleExpr {
    Expr::cust(format!(
        "EXISTS (SELECT 1 FROM follow fw WHERE fw.follower_id = {viewer} \
         AND fw.followee_id = {owner_col} AND fw.state = 'accepted')"
    ))
}

/// The viewer is a friend of one of `owner_col`'s friends.
fn friend_of_friend_of(owner_col: &str, viewer: i64) -> SimpleExpr {
    Expr::cust(format!(
        "(EXISTS (SELECT 1 FROM friendship f1 JOIN friendship f2 ON f2.owner_id = f1.friend_id \
         WHERE f1.owner_id = {owner_col} AND f2.friend_id = {viewer}) \
         OR EXISTS (SELECT 1 FROM friendship f1 JOIN known_friendship k ON k.owner_id = f1.friend_id \
         WHERE f1.owner_id = {owner_col} AND k.friend_ap_id = (SELECT ap_id FROM actor WHERE id = {viewer})))"
    ))
}

fn audience_is(audience_col: &str, audience: Audience) -> SimpleExpr {
    Expr::cust(format!("{audience_col} = '{}'", audience.as_str()))
}

/// `col = viewer`.
fn is_viewer(col: &str, viewer: i64) -> SimpleExpr {
    Expr::cust(format!("{col} = {viewer}"))
}

/// [`enishi_core::may_see`] as SQL: may `viewer` see a thing owned by `owner_col` whose
/// audience is in `audience_col`?
pub fn may_see(owner_col: &str, audience_col: &str, viewer: &Viewer) -> SimpleExpr {
    may_see_or_addressed(owner_col, audience_col, None, viewer)
}

/// [`may_see`] for posts, where a post from another server may also have been addressed to
/// the viewer (`Relation::addressed`).
pub fn may_see_post(viewer: &Viewer) -> SimpleExpr {
    may_see_or_addressed("post.author_id", "post.audience", Some("post.id"), viewer)
}

fn may_see_or_addressed(
    owner_col: &str,
    audience_col: &str,
    post_col: Option<&str>,
    viewer: &Viewer,
) -> SimpleExpr {
    let Some(v) = viewer.actor.map(|a| a.0) else {
        return audience_is(audience_col, Audience::Public);
    };
    let mut allowed = audience_is(audience_col, Audience::Public);
    if let Some(post_col) = post_col {
        allowed = allowed.or(Expr::cust(format!(
            "EXISTS (SELECT 1 FROM post_recipient pr WHERE pr.post_id = {post_col} AND pr.actor_id = {v})"
        )));
    }
    if viewer.kind == ViewerKind::Member {
        allowed = allowed.or(audience_is(audience_col, Audience::Members));
    }
    allowed = allowed
        .or(audience_is(audience_col, Audience::Friends)
            .or(audience_is(audience_col, Audience::FriendsOfFriends))
            .and(friend_of(owner_col, v).or(follows(owner_col, v))))
        .or(audience_is(audience_col, Audience::FriendsOfFriends)
            .and(friend_of_friend_of(owner_col, v)));
    is_viewer(owner_col, v).or(block_between(owner_col, v).not().and(allowed))
}

/// The reaction half of [`enishi_core::may_see_reaction`]: the reaction's author (in
/// `author_col`) is the viewer, or no block stands between them. The parent's half is
/// [`may_see`] on the parent.
pub fn reaction_author_visible(author_col: &str, viewer: &Viewer) -> SimpleExpr {
    match viewer.actor {
        None => Expr::cust("1 = 1"),
        Some(v) => is_viewer(author_col, v.0).or(block_between(author_col, v.0).not()),
    }
}

/// The same as [`reaction_author_visible`], for people listed anywhere (friends lists).
pub fn listed_actor_visible(actor_col: &str, viewer: &Viewer) -> SimpleExpr {
    reaction_author_visible(actor_col, viewer)
}
