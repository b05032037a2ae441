//! Mentions and hashtags in what members write (issue 14): resolved and rendered into the HTML
//! when the text is written, kept as the tags it federates with, and told to the members named.
//!
//! A mention only counts for someone the audience rule lets see the text: a friends-only diary
//! naming a stranger neither links nor tags nor notifies them (DESIGN §4: no `Mention` of
//! non-friends), so a mention can never widen who reads something.

use crate::entity::{post_hashtag, post_recipient};
use crate::{notifications, relations};
use enishi_core::mention::{Handle, Tag, hashtags_in, mentions_in, normalise_hashtag};
use enishi_core::render::{Marks, diary_html_marked, plain_html_marked};
use enishi_core::{
    Actor, ActorId, Audience, InstanceSettings, NotificationKind, PostId, Viewer, may_see,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use url::Url;

/// How a text is written: a diary's Markdown or plain text (voice posts, comments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// CommonMark.
    Markdown,
    /// Plain text with links.
    Plain,
}

/// Whose text it is and who may read it, which decides who a mention may name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setting {
    /// The owner of what the audience protects: the post's author (for a comment, the
    /// commented post's author).
    pub owner: ActorId,
    /// The audience of the post.
    pub audience: Audience,
    /// The post, once stored (its recipients count for posts from other servers).
    pub post: Option<PostId>,
}

/// A text as written: HTML, tags, and the actors it mentions who may see it.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    /// The rendered, sanitised HTML.
    pub html: String,
    /// Mentions and hashtags.
    pub tags: Vec<Tag>,
    /// The actors mentioned who may see the text.
    pub mentioned: Vec<Actor>,
}

impl Written {
    /// The hashtags among the tags.
    pub fn hashtags(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().filter_map(|t| match t {
            Tag::Hashtag { name } => Some(name.as_str()),
            Tag::Mention { .. } => None,
        })
    }
}

/// The actor in `known` that a handle written in a text names.
fn named<'a>(
    settings: &InstanceSettings,
    handle: &Handle,
    known: &'a [Actor],
) -> Option<&'a Actor> {
    let local = handle
        .domain
        .as_deref()
        .is_none_or(|d| d.eq_ignore_ascii_case(&settings.domain));
    known.iter().find(|a| {
        a.username.eq_ignore_ascii_case(&handle.username)
            && if local {
                a.is_local
            } else {
                !a.is_local
                    && handle
                        .domain
                        .as_deref()
                        .is_some_and(|d| d.eq_ignore_ascii_case(&a.domain))
            }
    })
}

/// The actor a handle names among those stored here: a member who is not suspended, or a
/// remote actor already known. (The caller fetches unknown remote ones first.)
async fn stored(
    conn: &impl ConnectionTrait,
    settings: &InstanceSettings,
    handle: &Handle,
) -> Result<Option<Actor>, DbErr> {
    use crate::entity::actor;
    use sea_orm::sea_query::Expr;
    let key = handle.username.to_lowercase();
    let local = handle
        .domain
        .as_deref()
        .is_none_or(|d| d.eq_ignore_ascii_case(&settings.domain));
    let mut q = actor::Entity::find()
        .filter(actor::Column::UsernameKey.eq(key))
        .filter(actor::Column::IsLocal.eq(local));
    q = match &handle.domain {
        _ if local => q
            .filter(actor::Column::Kind.eq(enishi_core::ActorKind::Person.as_str()))
            .filter(Expr::cust(
                "actor.id IN (SELECT actor_id FROM account WHERE suspended_at IS NULL)",
            )),
        Some(d) => q.filter(actor::Column::Domain.eq(d.to_ascii_lowercase())),
        None => return Ok(None),
    };
    q.one(conn).await?.map(crate::actors::to_domain).transpose()
}

/// Whether `actor` may see what `setting` protects.
async fn sees(conn: &impl ConnectionTrait, actor: &Actor, setting: Setting) -> Result<bool, DbErr> {
    let addressed = match setting.post {
        Some(post) => post_recipient::Entity::find_by_id((post.0, actor.id.0))
            .one(conn)
            .await?
            .is_some(),
        None => false,
    };
    sees_addressed(conn, actor, setting.owner, setting.audience, addressed).await
}

/// Whether `actor` may see what `owner` shares at `audience`, named in it or not.
async fn sees_addressed(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    owner: ActorId,
    audience: Audience,
    addressed: bool,
) -> Result<bool, DbErr> {
    let viewer = if actor.is_local {
        Viewer::member(actor.id)
    } else {
        Viewer::remote(actor.id)
    };
    let mut rel = relations::relation(conn, &viewer, owner).await?;
    rel.addressed = addressed;
    // Friends-of-friends content leaves the instance for friends only: a remote friend of a
    // friend may read it here, but is not sent it and so is not named in it.
    let audience = match audience {
        Audience::FriendsOfFriends if !actor.is_local => Audience::Friends,
        a => a,
    };
    Ok(may_see(audience, viewer.kind, rel))
}

/// Renders `text`, linking the mentions that may see it, and every hashtag. A handle names
/// one of `known` (resolved by the caller, who may have fetched remote ones) or an actor
/// stored here.
pub(crate) async fn write(
    conn: &impl ConnectionTrait,
    settings: &InstanceSettings,
    setting: Setting,
    format: Format,
    text: &str,
    known: &[Actor],
) -> Result<Written, DbErr> {
    let mut links: Vec<(Handle, Url)> = Vec::new();
    let mut tags = Vec::new();
    let mut mentioned: Vec<Actor> = Vec::new();
    for handle in mentions_in(text) {
        let actor = match named(settings, &handle, known) {
            Some(a) => a.clone(),
            None => match stored(conn, settings, &handle).await? {
                Some(a) => a,
                None => continue,
            },
        };
        let actor = &actor;
        if !sees(conn, actor, setting).await? {
            continue;
        }
        links.push((handle, actor.url.clone().unwrap_or(actor.ap_id.clone())));
        if !mentioned.iter().any(|m| m.id == actor.id) {
            tags.push(Tag::Mention {
                href: actor.ap_id.clone(),
                name: format!("@{}@{}", actor.username, actor.domain),
            });
            mentioned.push(actor.clone());
        }
    }
    for tag in hashtags_in(text) {
        tags.push(Tag::Hashtag {
            name: normalise_hashtag(&tag),
        });
    }
    let base = settings.url("/");
    let marks = Marks {
        mentions: &links,
        tag_base: Some(&base),
    };
    let html = match format {
        Format::Markdown => diary_html_marked(text, &marks),
        Format::Plain => plain_html_marked(text, &marks),
    };
    Ok(Written {
        html,
        tags,
        mentioned,
    })
}

/// Tells the local members a text mentions (a notification pointing at the post or comment).
pub(crate) async fn notify(
    conn: &impl ConnectionTrait,
    mentioned: &[Actor],
    by: ActorId,
    refs: notifications::Refs,
) -> Result<(), DbErr> {
    for actor in mentioned.iter().filter(|a| a.is_local) {
        notifications::create(conn, actor.id, NotificationKind::Mention, by, refs).await?;
    }
    Ok(())
}

/// Tells the local `members` a text from another server mentions, each only if they may see
/// what `setting` protects (a mention never shows anyone something they could not read).
pub(crate) async fn notify_members_who_see(
    conn: &impl ConnectionTrait,
    members: &[ActorId],
    by: ActorId,
    setting: Setting,
    refs: notifications::Refs,
) -> Result<(), DbErr> {
    for &member in members {
        let Some(actor) = crate::actors::find_by_id(conn, member).await? else {
            continue;
        };
        if actor.is_local && sees(conn, &actor, setting).await? {
            notifications::create(conn, member, NotificationKind::Mention, by, refs).await?;
        }
    }
    Ok(())
}

/// The local members among `members` who may see a post from another server by `owner`, at
/// `audience` and addressed to `recipients`, before it is written: read outside the write
/// transaction (on SQLite every statement inside it keeps the other writers waiting). A
/// relation that changes in between is caught where notifications are shown, which hides
/// those about posts the reader may not see.
pub(crate) async fn members_who_would_see(
    conn: &impl ConnectionTrait,
    members: &[ActorId],
    owner: ActorId,
    audience: Audience,
    recipients: &[ActorId],
) -> Result<Vec<ActorId>, DbErr> {
    let mut out = Vec::new();
    for &member in members {
        let Some(actor) = crate::actors::find_by_id(conn, member).await? else {
            continue;
        };
        if actor.is_local
            && sees_addressed(conn, &actor, owner, audience, recipients.contains(&member)).await?
        {
            out.push(member);
        }
    }
    Ok(out)
}

/// Replaces the hashtag index of a post with `tags`.
pub(crate) async fn index_hashtags<'a>(
    conn: &impl ConnectionTrait,
    post: PostId,
    tags: impl Iterator<Item = &'a str>,
) -> Result<(), DbErr> {
    post_hashtag::Entity::delete_many()
        .filter(post_hashtag::Column::PostId.eq(post.0))
        .exec(conn)
        .await?;
    add_hashtags(conn, post, tags).await
}

/// Indexes a new post (one with no hashtags indexed yet) under `tags`.
pub(crate) async fn add_hashtags<'a>(
    conn: &impl ConnectionTrait,
    post: PostId,
    tags: impl Iterator<Item = &'a str>,
) -> Result<(), DbErr> {
    let rows: Vec<post_hashtag::ActiveModel> = tags
        .map(|t| post_hashtag::ActiveModel {
            post_id: Set(post.0),
            tag: Set(t.to_owned()),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    post_hashtag::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([post_hashtag::Column::PostId, post_hashtag::Column::Tag])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
