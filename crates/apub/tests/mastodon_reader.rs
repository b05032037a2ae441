//! Every object shape Enishi sends, read the way Mastodon reads it, must show the whole text.
//!
//! Mastodon's rule (`app/lib/activitypub/activity.rb` and its status parser; the open issue
//! mastodon/mastodon#24079 asks to change it): `Note` and `Question` are *supported* and show
//! their `content` (their `summary` becomes a content warning the reader opens); `Image`,
//! `Audio`, `Video`, `Article`, `Page` and `Event` are *converted*, shown as their `name`, their
//! `summary` and a link to their `url`, with `content` dropped; any other type is not shown at
//! all. A friends-only diary sent as an `Article` showed its title and a link that asks for a
//! login here, so a Mastodon friend never read it; this test holds the fix in place.

use chrono::{TimeZone, Utc};
use enishi_apub::federate::{comment_object, introduction_object, post_object};
use enishi_core::mention::Tag;
use enishi_core::{
    Actor, ActorId, ActorKind, Audience, Comment, Introduction, IntroductionState, Post, PostId,
    PostKind,
};
use enishi_db::introductions::IntroductionView;
use enishi_db::posts::PostView;
use serde_json::Value;
use url::Url;

/// The text a Mastodon reader gets of an object, after opening any content warning, with
/// tags dropped and the common entities decoded; None when Mastodon does not show the type.
fn mastodon_shows(object: &Value) -> Option<String> {
    let field = |k: &str| object.get(k).and_then(Value::as_str).unwrap_or_default();
    let shown = match field("type") {
        "Note" | "Question" => {
            let text = if field("content").is_empty() {
                field("name")
            } else {
                field("content")
            };
            format!("{}\n{}", field("summary"), text)
        }
        "Image" | "Audio" | "Video" | "Article" | "Page" | "Event" => {
            format!("{}\n{}\n{}", field("name"), field("summary"), field("url"))
        }
        _ => return None,
    };
    Some(text_of(&shown))
}

fn text_of(html: &str) -> String {
    let spaced = html
        .replace("<br>", " ")
        .replace("<br/>", " ")
        .replace("<br />", " ")
        .replace("</p>", " ");
    let mut out = String::new();
    let mut in_tag = false;
    for c in spaced.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Expected plain text, its whitespace normalised as [`text_of`] does.
fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn actor(name: &str) -> Actor {
    let base = format!("https://enishi.example/users/{name}");
    Actor {
        id: ActorId(1),
        ap_id: Url::parse(&base).unwrap(),
        kind: ActorKind::Person,
        username: name.into(),
        domain: "enishi.example".into(),
        is_local: true,
        display_name: None,
        summary: None,
        url: None,
        avatar_url: None,
        inbox: Url::parse(&format!("{base}/inbox")).unwrap(),
        shared_inbox: None,
        outbox: None,
        followers: Some(Url::parse(&format!("{base}/followers")).unwrap()),
        following: None,
        public_key_id: format!("{base}#main-key"),
        public_key_pem: String::new(),
        manually_approves_followers: true,
        discoverable: false,
        indexable: false,
        created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        fetched_at: None,
        friends_audience: None,
        introductions_audience: None,
    }
}

/// A long diary: far past any summary cut, with Markdown, a link and characters to escape.
fn diary_body() -> String {
    let mut body = String::from("今日は**友達**と公園へ & <散歩>。\n二行目です。\n\n");
    for i in 0..40 {
        body.push_str(&format!(
            "Paragraph {i}: the whole diary must reach the friend, not the first lines.\n\n"
        ));
    }
    body.push_str("The last words, with a link https://example.com/end and `code`.");
    body
}

fn post(kind: PostKind, audience: Audience, title: Option<&str>, body: &str) -> PostView {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    PostView {
        post: Post {
            id: PostId(7),
            public_id: "p7".into(),
            ap_id: Url::parse(&format!("https://enishi.example/{}/p7", kind.path())).unwrap(),
            kind,
            author: ActorId(1),
            title: title.map(str::to_owned),
            body: body.to_owned(),
            content_html: None,
            content_warning: None,
            tags: vec![],
            audience,
            created_at: at,
            updated_at: at,
            media: vec![],
        },
        author: actor("hanako"),
    }
}

fn assert_whole(object: &Value, expected: &[&str]) {
    let shown = mastodon_shows(object)
        .unwrap_or_else(|| panic!("Mastodon does not show type {}", object["type"]));
    for part in expected {
        let part = words(part);
        assert!(
            shown.contains(&part),
            "a Mastodon reader misses {part:?} of a {} object; it shows {shown:?}",
            object["type"]
        );
    }
}

#[test]
fn diaries_reach_mastodon_readers_whole_at_every_audience_that_leaves() {
    let body = diary_body();
    let markdown_free: Vec<String> = body
        .replace("**", "")
        .replace('`', "")
        .split("\n\n")
        .flat_map(|p| p.split('\n').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    for audience in [
        Audience::Public,
        Audience::FriendsOfFriends,
        Audience::Friends,
    ] {
        let view = post(PostKind::Diary, audience, Some("公園の日 <1>"), &body);
        let object = post_object(&view).expect("this audience leaves the instance");
        let mut expected = vec!["公園の日 <1>"];
        expected.extend(markdown_free.iter().map(String::as_str));
        assert_whole(&object, &expected);
        // No content warning: the text is not hidden behind a click.
        assert!(object.get("summary").is_none(), "{object}");
        // Another Enishi still knows it for a diary, with its title and Markdown.
        assert_eq!(object["enishi:kind"], "diary");
        assert_eq!(object["name"], "公園の日 <1>");
        assert_eq!(object["source"]["content"], body.as_str());
        assert_eq!(object["source"]["mediaType"], "text/markdown");
        assert!(
            object["content"]
                .as_str()
                .unwrap()
                .contains("<strong>友達</strong>")
        );
    }
    for audience in [Audience::Members, Audience::Private] {
        let view = post(PostKind::Diary, audience, Some("t"), "b");
        assert!(
            post_object(&view).is_none(),
            "{audience:?} left the instance"
        );
    }
}

#[test]
fn voice_posts_comments_and_introductions_reach_mastodon_readers_whole() {
    let text = "Lunch at <Sakura> & tea\nsecond line https://example.com/x";
    for audience in [Audience::Public, Audience::Friends] {
        let voice = post(PostKind::Voice, audience, None, text);
        let object = post_object(&voice).unwrap();
        assert_whole(&object, &["Lunch at <Sakura> & tea", "second line"]);
        assert!(
            object["content"]
                .as_str()
                .unwrap()
                .contains("<a href=\"https://example.com/x\""),
            "{object}"
        );

        let comment = Comment {
            id: 1,
            public_id: "c1".into(),
            ap_id: Url::parse("https://enishi.example/comments/c1").unwrap(),
            post: PostId(7),
            author: ActorId(2),
            body: "Nice **diary** & <more>".into(),
            content_html: None,
            tags: vec![],
            created_at: Utc::now(),
        };
        let parent = post(PostKind::Diary, audience, Some("t"), "b");
        let object = comment_object(&comment, &actor("taro"), &parent).unwrap();
        assert_whole(&object, &["Nice **diary** & <more>"]);
    }
    let intro = IntroductionView {
        introduction: Introduction {
            id: 1,
            public_id: "i1".into(),
            ap_id: Url::parse("https://enishi.example/introductions/i1").unwrap(),
            writer: ActorId(2),
            subject: ActorId(1),
            body: "Hanako is <kind> & funny.\nTrust her.".into(),
            state: IntroductionState::Shown,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        },
        writer: actor("taro"),
        subject: actor("hanako"),
    };
    assert_whole(
        &introduction_object(&intro),
        &["Hanako is <kind> & funny.", "Trust her."],
    );
}

#[test]
fn the_rule_itself_drops_the_body_of_converted_types() {
    // The reader model must fail the old shape, or the tests above prove nothing.
    let old = serde_json::json!({
        "type": "Article", "name": "Title", "summary": "The first 200 characters",
        "content": "<p>The whole body, far longer</p>", "url": "https://enishi.example/diaries/p7"
    });
    let shown = mastodon_shows(&old).unwrap();
    assert!(
        shown.contains("Title") && !shown.contains("far longer"),
        "{shown}"
    );
    assert_eq!(
        mastodon_shows(&serde_json::json!({"type": "Document"})),
        None
    );
}

/// The accounts Mastodon notifies of an object it receives (its `process_tags` and
/// `ProcessMentionsService`): each `Mention` tag's `href` that is one of its accounts and that
/// the object reaches — public, or named in `to`/`cc`.
fn mastodon_notifies(object: &Value) -> Vec<String> {
    let listed = |k: &str| -> Vec<String> {
        match &object[k] {
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Value::String(s) => vec![s.clone()],
            _ => vec![],
        }
    };
    let addressed: Vec<String> = listed("to").into_iter().chain(listed("cc")).collect();
    let public = addressed
        .iter()
        .any(|a| a == "https://www.w3.org/ns/activitystreams#Public");
    object["tag"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["type"] == "Mention")
        .filter_map(|t| t["href"].as_str().map(str::to_owned))
        .filter(|h| public || addressed.contains(h))
        .collect()
}

#[test]
fn mastodon_notifies_those_a_post_or_comment_names() {
    let mut ken = actor("ken");
    ken.is_local = false;
    ken.ap_id = Url::parse("https://mastodon.example/users/ken").unwrap();
    ken.followers = Some(Url::parse("https://mastodon.example/users/ken/followers").unwrap());
    // A comment on a Mastodon friend's post (kept here as private plus recipients) names its
    // author, so that Mastodon tells them of the reply.
    let mut parent = post(PostKind::Voice, Audience::Private, None, "ken's post");
    parent.author = ken.clone();
    let comment = Comment {
        id: 2,
        public_id: "c2".into(),
        ap_id: Url::parse("https://enishi.example/comments/c2").unwrap(),
        post: PostId(7),
        author: ActorId(2),
        body: "Lovely".into(),
        content_html: None,
        tags: vec![],
        created_at: Utc::now(),
    };
    let object = comment_object(&comment, &actor("taro"), &parent).unwrap();
    assert_eq!(
        mastodon_notifies(&object),
        vec![ken.ap_id.to_string()],
        "{object}"
    );

    // A public voice post naming ken tags and addresses him; one without tags notifies nobody.
    let mut voice = post(
        PostKind::Voice,
        Audience::Public,
        None,
        "hi @ken@mastodon.example",
    );
    voice.post.tags = vec![
        Tag::Mention {
            href: ken.ap_id.clone(),
            name: "@ken@mastodon.example".into(),
        },
        Tag::Hashtag { name: "tea".into() },
    ];
    let object = post_object(&voice).unwrap();
    assert_eq!(
        mastodon_notifies(&object),
        vec![ken.ap_id.to_string()],
        "{object}"
    );
    assert!(
        object["tag"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["type"] == "Hashtag"
                && t["name"] == "#tea"
                && t["href"] == "https://enishi.example/tags/tea"),
        "{object}"
    );
    // A friends-only post that tags a friend reaches them through the followers collection
    // and, as Mastodon does, by name in cc.
    let mut diary = post(PostKind::Diary, Audience::Friends, Some("t"), "for @ken");
    diary.post.tags = voice.post.tags.clone();
    let object = post_object(&diary).unwrap();
    assert_eq!(
        mastodon_notifies(&object),
        vec![ken.ap_id.to_string()],
        "{object}"
    );
    let untagged = post(
        PostKind::Voice,
        Audience::Public,
        None,
        "hi @ken@mastodon.example",
    );
    assert!(mastodon_notifies(&post_object(&untagged).unwrap()).is_empty());
}
