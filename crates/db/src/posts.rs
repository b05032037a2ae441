//! Diaries and voice posts: writing, reading through the audience rule, lists and timeline.

use crate::entity::post;
use crate::error::{OpError, OpResult};
use crate::federation::{self, Event};
use crate::{Db, actors, marks, relations, visibility};
use chrono::Utc;
use enishi_core::mention::Tag;
use enishi_core::{
    Actor, ActorId, Audience, FollowState, InstanceSettings, Post, PostId, PostKind, Viewer,
    ViewerKind, may_see,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use url::Url;

/// Converts a row into the domain post.
pub(crate) fn to_domain(row: post::Model) -> Result<Post, DbErr> {
    Ok(Post {
        id: PostId(row.id),
        ap_id: Url::parse(&row.ap_id)
            .map_err(|e| DbErr::Custom(format!("post {} ap_id: {e}", row.id)))?,
        public_id: row.public_id,
        kind: row.kind.parse().map_err(DbErr::Custom)?,
        author: ActorId(row.author_id),
        title: row.title,
        body: row.body,
        content_html: row.content_html,
        tags: enishi_core::mention::Tag::list_from_json(row.tags.as_deref()),
        content_warning: row.content_warning,
        audience: row
            .audience
            .parse()
            .map_err(|e: enishi_core::ValidationError| DbErr::Custom(e.to_string()))?,
        created_at: row.created_at,
        updated_at: row.updated_at,
        media: Vec::new(),
    })
}

/// A post with its author, as lists and reads return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostView {
    /// The post.
    pub post: Post,
    /// Its author.
    pub author: Actor,
}

/// What a new post consists of.
#[derive(Debug, Clone)]
pub struct NewPost<'a> {
    /// Diary or voice.
    pub kind: PostKind,
    /// Title (diaries; ignored for voice posts).
    pub title: Option<&'a str>,
    /// Body or text.
    pub body: &'a str,
    /// A warning shown before it (trimmed; blank means none).
    pub content_warning: Option<&'a str>,
    /// Audience; the author's default when `None`.
    pub audience: Option<Audience>,
    /// The actors the text's `@handles` may name, resolved by the caller (who may have fetched
    /// remote ones); handles of anyone else stay text.
    pub known: &'a [Actor],
    /// Its photos, in order (ids of the author's unattached uploads).
    pub media_ids: &'a [String],
}

fn check(
    settings: &InstanceSettings,
    kind: PostKind,
    title: Option<&str>,
    body: &str,
) -> OpResult<()> {
    match kind {
        PostKind::Diary => settings.limits.check_diary(title.unwrap_or(""), body)?,
        PostKind::Voice => settings.limits.check_voice(body)?,
    }
    Ok(())
}

/// Writes a post by a local member. Its `Create` is queued to the author's remote friends in
/// the same transaction (unless the audience keeps it on this instance).
pub async fn create(
    db: &Db,
    settings: &InstanceSettings,
    author: &enishi_core::Member,
    new: NewPost<'_>,
) -> OpResult<PostView> {
    let title = match new.kind {
        PostKind::Diary => new.title,
        PostKind::Voice => None,
    };
    check(settings, new.kind, title, new.body)?;
    let content_warning = enishi_core::content_warning(new.content_warning)?;
    let audience = new.audience.unwrap_or(author.settings.default_audience);
    let public_id = uuid::Uuid::now_v7().to_string();
    let ap_id = settings.url(&format!("/{}/{public_id}", new.kind.path()));
    let now = Utc::now();
    let txn = crate::begin_write(db).await?;
    let setting = marks::Setting {
        owner: author.actor.id,
        audience,
        post: None,
    };
    let written = marks::write(
        &txn,
        settings,
        setting,
        format_of(new.kind),
        new.body,
        new.known,
    )
    .await?;
    let row = post::ActiveModel {
        public_id: Set(public_id),
        ap_id: Set(ap_id.to_string()),
        kind: Set(new.kind.as_str().into()),
        author_id: Set(author.actor.id.0),
        title: Set(title.map(|t| t.trim().to_owned())),
        body: Set(new.body.to_owned()),
        content_html: Set(Some(written.html.clone())),
        tags: Set(Tag::list_to_json(&written.tags)),
        content_warning: Set(content_warning),
        audience: Set(audience.as_str().into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut view = PostView {
        post: to_domain(row)?,
        author: author.actor.clone(),
    };
    if !new.media_ids.is_empty() {
        crate::media::set_for_post(&txn, author.actor.id, view.post.id, new.kind, new.media_ids)
            .await?;
        crate::media::fill(&txn, std::slice::from_mut(&mut view)).await?;
    }
    marks::index_hashtags(&txn, view.post.id, written.hashtags()).await?;
    let refs = crate::notifications::Refs {
        post: Some(view.post.id.0),
        ..Default::default()
    };
    marks::notify(&txn, &written.mentioned, author.actor.id, refs).await?;
    if view.post.audience.leaves_instance() {
        let mut recipients = crate::social::remote_friends(&txn, author.actor.id).await?;
        add_mentioned(&mut recipients, &written.mentioned);
        federation::announce(
            &txn,
            db.herald(),
            &author.actor,
            view.post.ap_id.as_str(),
            Event::CreatePost(&view),
            &recipients,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(view)
}

/// How a post's text is written.
fn format_of(kind: PostKind) -> marks::Format {
    match kind {
        PostKind::Diary => marks::Format::Markdown,
        PostKind::Voice => marks::Format::Plain,
    }
}

/// Adds the remote actors a text mentions (all of whom may see it) to its recipients: a
/// Mastodon user named in a public post is told even if they follow nobody here.
pub(crate) fn add_mentioned(recipients: &mut Vec<Actor>, mentioned: &[Actor]) {
    for m in mentioned.iter().filter(|m| !m.is_local) {
        if !recipients.iter().any(|r| r.id == m.id) {
            recipients.push(m.clone());
        }
    }
}

/// Remote actors who took part in a post (commented or liked): they hold a copy of it.
async fn remote_participants(
    conn: &impl sea_orm::ConnectionTrait,
    post: PostId,
    except_domain: Option<&str>,
) -> Result<Vec<Actor>, DbErr> {
    let mut q = crate::entity::actor::Entity::find()
        .filter(crate::entity::actor::Column::IsLocal.eq(false))
        .filter(Expr::cust(format!(
            "actor.id IN (SELECT author_id FROM comment WHERE post_id = {p} \
             UNION SELECT actor_id FROM post_like WHERE post_id = {p})",
            p = post.0
        )));
    if let Some(domain) = except_domain {
        q = q.filter(crate::entity::actor::Column::Domain.ne(domain));
    }
    let rows = q.all(conn).await?;
    rows.into_iter().map(actors::to_domain).collect()
}

/// Who on other servers may see `view` now: its author's remote friends and remote
/// participants, as the audience rule judges each of them.
pub(crate) async fn remote_audience(
    conn: &impl sea_orm::ConnectionTrait,
    view: &PostView,
) -> OpResult<(Vec<Actor>, Vec<Actor>)> {
    remote_audience_except(conn, view, None).await
}

/// [`remote_audience`] without the actors of `except_domain` (the server a reaction came
/// from, which has it already).
pub(crate) async fn remote_audience_except(
    conn: &impl sea_orm::ConnectionTrait,
    view: &PostView,
    except_domain: Option<&str>,
) -> OpResult<(Vec<Actor>, Vec<Actor>)> {
    let mut candidates = crate::social::remote_friends(conn, view.author.id).await?;
    candidates.retain(|a| Some(a.domain.as_str()) != except_domain);
    let mut seen: std::collections::HashSet<ActorId> = candidates.iter().map(|a| a.id).collect();
    for a in remote_participants(conn, view.post.id, except_domain).await? {
        if seen.insert(a.id) {
            candidates.push(a);
        }
    }
    let ids: Vec<ActorId> = candidates.iter().map(|a| a.id).collect();
    let relations = relations::relations_of_many(conn, view.author.id, &ids).await?;
    let mut allowed = Vec::new();
    let mut denied = Vec::new();
    for (actor, rel) in candidates.into_iter().zip(relations) {
        if may_see(view.post.audience, ViewerKind::Remote, rel) {
            allowed.push(actor);
        } else {
            denied.push(actor);
        }
    }
    Ok((allowed, denied))
}

async fn find(db: &Db, kind: PostKind, public_id: &str) -> OpResult<Option<PostView>> {
    let Some(row) = post::Entity::find()
        .filter(post::Column::PublicId.eq(public_id))
        .filter(post::Column::Kind.eq(kind.as_str()))
        .one(&db.conn)
        .await?
    else {
        return Ok(None);
    };
    let post = to_domain(row)?;
    Ok(Some(view_of(db, post).await?))
}

/// The post with ActivityPub id `ap_id`, if one is kept here (no audience check: for the
/// inbox, which decides what to do with it).
pub async fn find_by_ap_id(db: &Db, ap_id: &Url) -> Result<Option<Post>, DbErr> {
    post::Entity::find()
        .filter(post::Column::ApId.eq(ap_id.as_str()))
        .one(&db.conn)
        .await?
        .map(to_domain)
        .transpose()
}

fn not_found(kind: PostKind, public_id: &str) -> OpError {
    let what = match kind {
        PostKind::Diary => "diary",
        PostKind::Voice => "voice post",
    };
    OpError::not_found(format!("no {what} {public_id:?}"))
}

/// A post the viewer may see (404 otherwise, whether it exists or not).
pub async fn get_visible(
    db: &Db,
    viewer: &Viewer,
    kind: PostKind,
    public_id: &str,
) -> OpResult<PostView> {
    let view = find(db, kind, public_id)
        .await?
        .ok_or_else(|| not_found(kind, public_id))?;
    let mut rel = relations::relation(&db.conn, viewer, view.post.author).await?;
    rel.addressed = is_addressed(db, viewer, view.post.id).await?;
    if !may_see(view.post.audience, viewer.kind, rel) {
        return Err(not_found(kind, public_id));
    }
    Ok(view)
}

/// The view of a post already loaded.
pub(crate) async fn view_of(db: &Db, post: Post) -> OpResult<PostView> {
    // An author deleted since the post was read took the post along: it is gone.
    let author = actors::find_by_id(&db.conn, post.author)
        .await?
        .ok_or_else(|| not_found(post.kind, &post.public_id))?;
    let mut view = [PostView { post, author }];
    crate::media::fill(&db.conn, &mut view).await?;
    let [view] = view;
    Ok(view)
}

/// The post with row id `id`, whoever may see it (callers check the audience).
pub(crate) async fn by_id(db: &Db, id: PostId) -> OpResult<Option<PostView>> {
    match post::Entity::find_by_id(id.0).one(&db.conn).await? {
        Some(row) => Ok(Some(view_of(db, to_domain(row)?).await?)),
        None => Ok(None),
    }
}

/// Whether a post from another server was addressed to the viewer.
async fn is_addressed(db: &Db, viewer: &Viewer, post: PostId) -> Result<bool, DbErr> {
    let Some(v) = viewer.actor else {
        return Ok(false);
    };
    Ok(
        crate::entity::post_recipient::Entity::find_by_id((post.0, v.0))
            .one(&db.conn)
            .await?
            .is_some(),
    )
}

/// A post the viewer may change: 404 if they may not see it, 403 if they may see it but are
/// not its author.
async fn get_own(db: &Db, viewer: &Viewer, kind: PostKind, public_id: &str) -> OpResult<PostView> {
    let view = get_visible(db, viewer, kind, public_id).await?;
    if viewer.actor != Some(view.post.author) {
        return Err(OpError::Forbidden("only the author may change this".into()));
    }
    Ok(view)
}

/// Changes to a post; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct PostEdit<'a> {
    /// New title (diaries).
    pub title: Option<&'a str>,
    /// New body or text.
    pub body: Option<&'a str>,
    /// New content warning (`Some("")` takes it away; `None` keeps it).
    pub content_warning: Option<&'a str>,
    /// New audience.
    pub audience: Option<Audience>,
    /// The actors the text's `@handles` may name (see [`NewPost::known`]).
    pub known: &'a [Actor],
    /// Its photos from now on, in order: adds, removes and reorders.
    pub media_ids: Option<&'a [String]>,
}

/// Edits a post (its author only).
pub async fn edit(
    db: &Db,
    settings: &InstanceSettings,
    viewer: &Viewer,
    kind: PostKind,
    public_id: &str,
    edit: PostEdit<'_>,
) -> OpResult<PostView> {
    let view = get_own(db, viewer, kind, public_id).await?;
    if kind == PostKind::Voice && edit.title.is_some() {
        return Err(enishi_core::ValidationError::new("title", "voice posts have no title").into());
    }
    let title = edit.title.map(str::to_owned).or(view.post.title.clone());
    let body = edit.body.unwrap_or(&view.post.body).to_owned();
    check(settings, kind, title.as_deref(), &body)?;
    let content_warning = match edit.content_warning {
        Some(cw) => enishi_core::content_warning(Some(cw))?,
        None => view.post.content_warning.clone(),
    };
    let txn = crate::begin_write(db).await?;
    let mut row: post::ActiveModel = post::Entity::find_by_id(view.post.id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(kind, public_id))?
        .into();
    let audience = edit.audience.unwrap_or(view.post.audience);
    let setting = marks::Setting {
        owner: view.post.author,
        audience,
        post: Some(view.post.id),
    };
    let written = marks::write(&txn, settings, setting, format_of(kind), &body, edit.known).await?;
    row.title = Set(title.map(|t| t.trim().to_owned()));
    row.body = Set(body);
    row.content_html = Set(Some(written.html.clone()));
    row.tags = Set(Tag::list_to_json(&written.tags));
    row.content_warning = Set(content_warning);
    row.audience = Set(audience.as_str().into());
    row.updated_at = Set(Utc::now());
    let row = row.update(&txn).await?;
    if let Some(ids) = edit.media_ids {
        crate::media::set_for_post(&txn, view.post.author, view.post.id, kind, ids).await?;
    }
    if !audience.includes(view.post.audience) {
        // The old URLs went to people who may not see the photos any more.
        crate::media::rekey_post(&txn, view.post.id).await?;
    }
    let mut edited = PostView {
        post: to_domain(row)?,
        author: view.author.clone(),
    };
    crate::media::fill(&txn, std::slice::from_mut(&mut edited)).await?;
    marks::index_hashtags(&txn, edited.post.id, written.hashtags()).await?;
    // Members named for the first time are told, as if the post were new to them.
    let before: Vec<&url::Url> = view
        .post
        .tags
        .iter()
        .filter_map(|t| match t {
            Tag::Mention { href, .. } => Some(href),
            Tag::Hashtag { .. } => None,
        })
        .collect();
    let newly: Vec<Actor> = written
        .mentioned
        .iter()
        .filter(|a| !before.contains(&&a.ap_id))
        .cloned()
        .collect();
    let refs = crate::notifications::Refs {
        post: Some(edited.post.id.0),
        ..Default::default()
    };
    marks::notify(&txn, &newly, edited.post.author, refs).await?;
    // Those who may still see it get the Update; those who held it and may not any more
    // (the audience narrowed) get a Delete — but never at an inbox that also serves someone
    // who keeps it: a shared inbox would delete it for everyone behind it. There the Update
    // alone carries the new addressing, which Enishi applies per reader.
    let (had_it, _) = remote_audience(&txn, &view).await?;
    let (mut allowed, denied) = remote_audience(&txn, &edited).await?;
    if edited.post.audience.leaves_instance() {
        add_mentioned(&mut allowed, &written.mentioned);
    }
    let kept_at = crate::outbox::inboxes_for(&allowed);
    let losing: Vec<Actor> = denied
        .into_iter()
        .filter(|a| view.post.audience.leaves_instance() && had_it.iter().any(|h| h.id == a.id))
        .filter(|a| {
            let inbox = crate::outbox::inboxes_for(std::slice::from_ref(a));
            !inbox.iter().any(|i| kept_at.contains(i))
        })
        .collect();
    let key = edited.post.ap_id.as_str();
    federation::announce(
        &txn,
        db.herald(),
        &edited.author,
        key,
        Event::UpdatePost(&edited),
        &allowed,
    )
    .await?;
    // Those losing it get the Delete; so does a server that got the post before but serves
    // nobody who may see it now, even when nobody there counts as having had it any more (a
    // follower there may have unfollowed since, and today's followers are all `had_it`
    // knows): the deliveries made say who holds it. A post that stays public may stay
    // wherever it went.
    let mut gone_from = crate::outbox::inboxes_for(&losing);
    if edited.post.audience != Audience::Public {
        for inbox in crate::outbox::inboxes_reached(&txn, key).await? {
            if !kept_at.contains(&inbox) && !gone_from.contains(&inbox) {
                gone_from.push(inbox);
            }
        }
    }
    federation::announce_to(
        &txn,
        db.herald(),
        &edited.author,
        key,
        Event::DeletePost {
            ap_id: &edited.post.ap_id,
            author: &edited.author,
        },
        &gone_from,
    )
    .await?;
    txn.commit().await?;
    Ok(edited)
}

/// Deletes a post with its comments and likes (its author only).
pub async fn delete(db: &Db, viewer: &Viewer, kind: PostKind, public_id: &str) -> OpResult<()> {
    let view = get_own(db, viewer, kind, public_id).await?;
    let txn = crate::begin_write(db).await?;
    if view.post.audience.leaves_instance() {
        let (allowed, _) = remote_audience(&txn, &view).await?;
        federation::announce(
            &txn,
            db.herald(),
            &view.author,
            view.post.ap_id.as_str(),
            Event::DeletePost {
                ap_id: &view.post.ap_id,
                author: &view.author,
            },
            &allowed,
        )
        .await?;
    }
    post::Entity::delete_by_id(view.post.id.0)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Which part of a list of posts to read, by row id: older than `before`, newer than `after`;
/// newest first, or — `nearest_after` (Mastodon's `min_id`) — the page just above `after`.
/// Either way the page comes newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Only posts older than this id.
    pub before: Option<i64>,
    /// Only posts newer than this id.
    pub after: Option<i64>,
    /// Take the posts just above `after` rather than the newest.
    pub nearest_after: bool,
}

impl From<Option<i64>> for Window {
    /// The page older than a cursor (the newest page without one).
    fn from(before: Option<i64>) -> Self {
        Window {
            before,
            ..Window::default()
        }
    }
}

/// The page `window` of the posts `q` selects, at most `limit`, newest first.
async fn page_of(
    db: &Db,
    mut q: sea_orm::Select<post::Entity>,
    window: Window,
    limit: u64,
) -> OpResult<Vec<PostView>> {
    if let Some(before) = window.before {
        q = q.filter(post::Column::Id.lt(before));
    }
    if let Some(after) = window.after {
        q = q.filter(post::Column::Id.gt(after));
    }
    let rows = if window.nearest_after && window.after.is_some() {
        let mut rows = q
            .order_by_asc(post::Column::Id)
            .limit(limit)
            .all(&db.conn)
            .await?;
        rows.reverse();
        rows
    } else {
        q.order_by_desc(post::Column::Id)
            .limit(limit)
            .all(&db.conn)
            .await?
    };
    load_views(db, rows).await
}

pub(crate) async fn load_views(db: &Db, rows: Vec<post::Model>) -> OpResult<Vec<PostView>> {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.author_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let authors = actors::by_ids(&db.conn, &ids).await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let post = to_domain(row)?;
        // The posts and their authors are two reads: an author deleted in between (an inbound
        // `Delete` of the actor takes the posts with it) means the post is gone as well.
        if let Some(author) = authors.get(&post.author.0) {
            views.push(PostView {
                post,
                author: author.clone(),
            });
        }
    }
    crate::media::fill(&db.conn, &mut views).await?;
    Ok(views)
}

/// `author`'s posts of `kind` that `viewer` may see, newest first, before cursor `before`.
pub async fn list_by_author(
    db: &Db,
    viewer: &Viewer,
    author: ActorId,
    kind: PostKind,
    window: impl Into<Window>,
    limit: u64,
) -> OpResult<Vec<PostView>> {
    let q = post::Entity::find()
        .filter(post::Column::AuthorId.eq(author.0))
        .filter(post::Column::Kind.eq(kind.as_str()))
        .filter(visibility::may_see_post(viewer));
    page_of(db, q, window.into(), limit).await
}

/// The home timeline of a member: their own posts and those of their friends and of the
/// accounts they follow, as far as they may see them, newest first.
pub async fn timeline(
    db: &Db,
    viewer: &Viewer,
    window: impl Into<Window>,
    limit: u64,
) -> OpResult<Vec<PostView>> {
    let Some(me) = viewer.actor.filter(|_| viewer.kind == ViewerKind::Member) else {
        return Ok(Vec::new());
    };
    // SQLite answers an OR of author lists by fetching every matching post and sorting them;
    // for a member with many friends it is far cheaper to walk the newest posts backwards and
    // stop at a full page, which a unary `+` (no index on author_id) makes it do. With few
    // friends the index is the better path. PostgreSQL plans both cases well by itself.
    let walk_newest = db.backend == crate::Backend::Sqlite
        && relations::followed_count(&db.conn, me).await? >= 50;
    let col = if walk_newest {
        "+post.author_id"
    } else {
        "post.author_id"
    };
    let q = post::Entity::find()
        .filter(Expr::cust(format!(
            "({col} = {me} \
              OR {col} IN (SELECT friend_id FROM friendship WHERE owner_id = {me}) \
              OR {col} IN (SELECT followee_id FROM follow WHERE follower_id = {me} AND state = '{accepted}') \
              OR EXISTS (SELECT 1 FROM boost WHERE boost.post_id = post.id \
                  AND boost.booster_id IN ({boosters})))",
            me = me.0,
            accepted = FollowState::Accepted.as_str(),
            boosters = crate::boosts::boosters_seen_by(me),
        )))
        .filter(visibility::may_see_post(viewer));
    page_of(db, q, window.into(), limit).await
}

/// The posts with hashtag `tag` (any case) that the viewer may see, newest first.
pub async fn tagged(
    db: &Db,
    viewer: &Viewer,
    tag: &str,
    window: impl Into<Window>,
    limit: u64,
) -> OpResult<Vec<PostView>> {
    use crate::entity::post_hashtag;
    use sea_orm::sea_query::Query;
    let with_tag = Query::select()
        .column(post_hashtag::Column::PostId)
        .from(post_hashtag::Entity)
        .and_where(post_hashtag::Column::Tag.eq(enishi_core::mention::normalise_hashtag(tag)))
        .to_owned();
    let q = post::Entity::find()
        .filter(post::Column::Id.in_subquery(with_tag))
        .filter(visibility::may_see_post(viewer));
    page_of(db, q, window.into(), limit).await
}

/// Counts posts written here (NodeInfo).
pub async fn count_local(db: &Db) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    post::Entity::find()
        .filter(Expr::cust(
            "post.author_id IN (SELECT id FROM actor WHERE is_local = TRUE)",
        ))
        .count(&db.conn)
        .await
}

/// How many public posts `author` has (the size of their public outbox).
pub async fn count_public(db: &Db, author: ActorId) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    post::Entity::find()
        .filter(post::Column::AuthorId.eq(author.0))
        .filter(post::Column::Audience.eq(Audience::Public.as_str()))
        .count(&db.conn)
        .await
}

/// The kind and public id of the post with row id `id`, if there is one (no audience check:
/// callers read it through [`get_visible`] next). Mastodon apps name posts by number.
pub async fn locate(db: &Db, id: i64) -> Result<Option<(PostKind, String)>, DbErr> {
    Ok(post::Entity::find_by_id(id)
        .one(&db.conn)
        .await?
        .and_then(|p| Some((p.kind.parse().ok()?, p.public_id))))
}

/// Posts that `viewer` may see whose title or body contains `text`, newest first.
pub async fn search(db: &Db, viewer: &Viewer, text: &str, limit: u64) -> OpResult<Vec<PostView>> {
    use sea_orm::sea_query::LikeExpr;
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = || LikeExpr::new(format!("%{escaped}%")).escape('\\');
    let rows = post::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(post::Column::Body.like(pattern()))
                .add(post::Column::Title.like(pattern())),
        )
        .filter(visibility::may_see_post(viewer))
        .order_by_desc(post::Column::Id)
        .limit(limit)
        .all(&db.conn)
        .await?;
    load_views(db, rows).await
}

/// Public posts written here that `viewer` may see (not those of someone blocked either way),
/// newest first, before cursor `before` (the local timeline).
pub async fn local_public(
    db: &Db,
    viewer: &Viewer,
    window: impl Into<Window>,
    limit: u64,
) -> OpResult<Vec<PostView>> {
    let q = post::Entity::find()
        .filter(post::Column::Audience.eq(Audience::Public.as_str()))
        .filter(Expr::cust(
            "post.author_id IN (SELECT id FROM actor WHERE is_local = TRUE)",
        ))
        .filter(visibility::may_see_post(viewer));
    page_of(db, q, window.into(), limit).await
}
