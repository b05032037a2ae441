//! Activities that announce local changes to other servers (DESIGN §4): built here, queued by
//! the database layer in the same transaction as the change.

use enishi_core::mention::Tag;
use enishi_core::render::{comment_html, diary_html, escape, hashtag_url, plain_html, post_html};
use enishi_core::{Actor, Audience, Comment, PostKind};
use enishi_db::posts::PostView;
use serde_json::{Value, json};

/// The ActivityStreams Public collection.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// `to`/`cc` for an audience: public to everyone with a copy to the followers (= friends);
/// friends and friends of friends to the followers collection only. Never for `members` or
/// `private`, which do not leave the instance.
pub fn addressing(audience: Audience, followers: &str) -> Option<(Vec<String>, Vec<String>)> {
    match audience {
        Audience::Public => Some((vec![PUBLIC.into()], vec![followers.into()])),
        Audience::Friends | Audience::FriendsOfFriends => Some((vec![followers.into()], vec![])),
        Audience::Members | Audience::Private => None,
    }
}

/// GoToSocial's `interactionPolicy` matching an audience: who may reply, like and announce
/// without approval. Non-public objects allow no announce but their author's.
fn interaction_policy(audience: Audience, author: &str, followers: &str) -> Value {
    let who: Vec<&str> = match audience {
        Audience::Public => vec![PUBLIC],
        _ => vec![followers, author],
    };
    let announce: Vec<&str> = match audience {
        Audience::Public => vec![PUBLIC],
        _ => vec![author],
    };
    json!({
        "canReply": { "automaticApproval": who },
        "canLike": { "automaticApproval": who },
        "canAnnounce": { "automaticApproval": announce },
    })
}

/// The value of `enishi:kind` that marks a `Note` as a diary.
pub const DIARY_KIND: &str = "diary";

/// The ActivityStreams object of a post, or None if the post never leaves the instance.
///
/// Both kinds are `Note`s: Mastodon shows any other type as its name, summary and a link, and
/// the link of a friends-only diary leads to a page that asks for a login here, so a friend on
/// Mastodon would never read it. A diary therefore carries its title twice, as `name` and as
/// the first paragraph of `content` (for readers that show only `content`), its Markdown in
/// `source`, and `enishi:kind` so that another Enishi stores it as a diary again. `summary` is
/// left for content warnings, which is what Mastodon makes of it.
pub fn post_object(view: &PostView) -> Option<Value> {
    let author = view.author.ap_id.as_str();
    let followers = view.author.followers.as_ref()?.as_str();
    let (to, cc) = addressing(view.post.audience, followers)?;
    let post = &view.post;
    let mut object = json!({
        "id": post.ap_id.as_str(),
        "type": "Note",
        "attributedTo": author,
        "content": post_html(post),
        "url": post.ap_id.as_str(),
        "published": post.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "to": to,
        "cc": cc,
        "interactionPolicy": interaction_policy(post.audience, author, followers),
        "replies": format!("{}/replies", post.ap_id),
        "likes": format!("{}/likes", post.ap_id),
    });
    if post.kind == PostKind::Diary {
        let title = post.title.as_deref().unwrap_or_default();
        object["name"] = json!(title);
        object["content"] = json!(titled(title, &post_html(post)));
        object["source"] = json!({ "content": post.body, "mediaType": "text/markdown" });
        object["enishi:kind"] = json!(DIARY_KIND);
    }
    if let Some(cw) = &post.content_warning {
        // Mastodon, Misskey and GoToSocial fold the text behind a Note's `summary`.
        object["summary"] = json!(cw);
        object["sensitive"] = json!(true);
    }
    let tags = wire_tags(&post.tags, &post.ap_id);
    if !tags.is_empty() {
        // Those named are told, as Mastodon does: by `cc` as well as the tag.
        for t in tags.iter().filter(|t| t["type"] == "Mention") {
            if let Some(cc) = object["cc"].as_array_mut() {
                cc.push(t["href"].clone());
            }
        }
        object["tag"] = json!(tags);
    }
    if !post.media.is_empty() {
        object["attachment"] = json!(wire_attachments(&post.media, &post.ap_id));
    }
    if post.updated_at > post.created_at {
        object["updated"] = json!(
            post.updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
    Some(object)
}

/// A post's photos as Mastodon reads them: `Document`s with the type, size, alt text (`name`)
/// and BlurHash. `object` is the post's id, on this instance, which serves the files; their
/// URLs are capabilities, and this object goes only to those who may see the post.
fn wire_attachments(media: &[enishi_core::media::Media], object: &url::Url) -> Vec<Value> {
    use enishi_core::media::Variant;
    media
        .iter()
        .map(|m| {
            let url = object
                .join(&m.path(Variant::Original))
                .map_or_else(|_| m.path(Variant::Original), |u| u.to_string());
            let mut a = json!({
                "type": "Document",
                "mediaType": m.content_type,
                "url": url,
                "blurhash": m.blurhash,
                "width": m.width,
                "height": m.height,
            });
            if let Some(d) = &m.description {
                a["name"] = json!(d);
            }
            a
        })
        .collect()
}

/// The `tag` array of a post or comment (`object` is its id, whose origin is the instance's
/// and so where the hashtag pages are).
fn wire_tags(tags: &[Tag], object: &url::Url) -> Vec<Value> {
    tags.iter()
        .map(|t| match t {
            Tag::Mention { href, name } => {
                json!({ "type": "Mention", "href": href.as_str(), "name": name })
            }
            Tag::Hashtag { name } => json!({
                "type": "Hashtag",
                "href": hashtag_url(object, name).as_str(),
                "name": format!("#{name}"),
            }),
        })
        .collect()
}

/// A diary's `content`: its title as the first paragraph, then its rendered body.
pub fn diary_content(title: &str, markdown: &str) -> String {
    titled(title, &diary_html(markdown))
}

/// A title as a first paragraph before `html`.
fn titled(title: &str, html: &str) -> String {
    format!("<p><strong>{}</strong></p>{html}", escape(title))
}

/// The followers collection of an actor (for members: their friends).
pub fn followers_of(actor: &Actor) -> String {
    actor
        .followers
        .as_ref()
        .map(|f| f.to_string())
        .unwrap_or_else(|| format!("{}/followers", actor.ap_id))
}

/// The Note of a comment: addressed like its parent, to the parent's author and the parent's
/// audience (the author's followers, who are their friends).
pub fn comment_object(comment: &Comment, author: &Actor, parent: &PostView) -> Option<Value> {
    let followers = followers_of(&parent.author);
    let (mut to, mut cc) = match parent.post.audience {
        Audience::Public => (vec![PUBLIC.to_owned()], vec![followers]),
        a if a.leaves_instance() => (vec![followers], vec![]),
        // A remote parent is stored as "private plus recipients": answer its author only.
        _ if !parent.author.is_local => (vec![], vec![]),
        _ => return None,
    };
    if !to.contains(&parent.author.ap_id.to_string()) {
        cc.push(parent.author.ap_id.to_string());
    }
    to.retain(|t| !t.is_empty());
    let content = comment_html(comment);
    let parent_author = parent.author.ap_id.as_str();
    let mut tag = vec![json!({ "type": "Mention", "href": parent_author })];
    tag.extend(
        wire_tags(&comment.tags, &comment.ap_id)
            .into_iter()
            .filter(|t| t["href"] != parent_author),
    );
    for t in tag.iter().skip(1).filter(|t| t["type"] == "Mention") {
        if let Some(href) = t["href"].as_str()
            && !to.iter().chain(&cc).any(|a| a == href)
        {
            cc.push(href.to_owned());
        }
    }
    Some(json!({
        "id": comment.ap_id.as_str(),
        "type": "Note",
        "attributedTo": author.ap_id.as_str(),
        "inReplyTo": parent.post.ap_id.as_str(),
        "content": content,
        "published": comment.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "to": to,
        "cc": cc,
        "tag": tag,
    }))
}

/// The Note of an introduction (DESIGN §4): addressed to its subject, aimed at the subject's
/// introductions collection, naming the subject with `introductionOf` and a Mention.
pub fn introduction_object(v: &enishi_db::introductions::IntroductionView) -> Value {
    let subject = v.subject.ap_id.as_str();
    json!({
        "id": v.introduction.ap_id.as_str(),
        "type": "Note",
        "attributedTo": v.writer.ap_id.as_str(),
        "content": plain_html(&v.introduction.body),
        "published": v.introduction.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "to": [subject],
        "cc": [],
        "tag": [{ "type": "Mention", "href": subject }],
        "target": {
            "type": "OrderedCollection",
            "id": format!("{subject}/introductions"),
            "attributedTo": subject,
        },
        "introductionOf": subject,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_private_never_leave() {
        let f = "https://x.example/users/a/followers";
        assert!(addressing(Audience::Members, f).is_none());
        assert!(addressing(Audience::Private, f).is_none());
        assert_eq!(
            addressing(Audience::Friends, f),
            Some((vec![f.to_owned()], vec![]))
        );
        assert_eq!(
            addressing(Audience::Public, f),
            Some((vec![PUBLIC.to_owned()], vec![f.to_owned()]))
        );
    }
}
