//! Activities that announce local changes to other servers (DESIGN §4): built here, queued by
//! the database layer in the same transaction as the change.

use crate::context::default_context;
use enishi_core::{Audience, InstanceSettings, PostKind, content::text_to_html};
use enishi_db::outbox::Announcement;
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

/// The ActivityStreams object of a post (`Article` for diaries, `Note` for voice posts), or
/// None if the post never leaves the instance.
pub fn post_object(view: &PostView) -> Option<Value> {
    let author = view.author.ap_id.as_str();
    let followers = view.author.followers.as_ref()?.as_str();
    let (to, cc) = addressing(view.post.audience, followers)?;
    let post = &view.post;
    let mut object = json!({
        "id": post.ap_id.as_str(),
        "type": match post.kind { PostKind::Diary => "Article", PostKind::Voice => "Note" },
        "attributedTo": author,
        "content": text_to_html(&post.body),
        "url": post.ap_id.as_str(),
        "published": post.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "to": to,
        "cc": cc,
        "interactionPolicy": interaction_policy(post.audience, author, followers),
    });
    if let Some(title) = &post.title {
        object["name"] = json!(title);
        object["summary"] = json!(post.body.chars().take(200).collect::<String>());
    }
    if post.updated_at > post.created_at {
        object["updated"] = json!(
            post.updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
    Some(object)
}

/// `Create` of a new post, addressed like the post.
pub fn create_post(view: &PostView, settings: &InstanceSettings) -> Option<Announcement> {
    let object = post_object(view)?;
    let id = settings.url(&format!("/activities/{}", uuid_v7()));
    let mut activity = json!({
        "@context": default_context(),
        "id": id.as_str(),
        "type": "Create",
        "actor": view.author.ap_id.as_str(),
        "published": object["published"].clone(),
        "to": object["to"].clone(),
        "cc": object["cc"].clone(),
    });
    activity["object"] = object;
    Some(Announcement {
        id: id.to_string(),
        body: activity.to_string(),
    })
}

fn uuid_v7() -> String {
    // Activity ids only need to be unique and unguessable; a random 128-bit value is.
    let mut bytes = [0u8; 16];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
