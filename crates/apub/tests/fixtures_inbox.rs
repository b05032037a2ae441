//! Every activity and object payload among the fixtures (Mastodon, GoToSocial, Misskey; see
//! `fixtures/SOURCES.tsv`) goes through the inbox's reader: each is either accepted for
//! handling, ignored as a type Enishi does not handle, or refused with a reason — and which
//! one is pinned here, so a change in behaviour shows.

use enishi_apub::inbox::{Inbound, note};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// An accepted activity whose shape checks out (or a Note/Article that reads).
    Handled,
    /// Not a type the inbox handles: acknowledged and dropped.
    Ignored,
    /// Refused, with a reason that is logged.
    Refused,
}
use Verdict::*;

const EXPECTED: &[(&str, Verdict)] = &[
    // GtS asks for approval of a like with its own vocabulary; Enishi only accepts follows.
    ("gotosocial/accept_like_polite.json", Refused),
    // Boosts are read (a boost of a local post that is not public is refused), never kept.
    (
        "gotosocial/announce_followers_only_self_boost.json",
        Handled,
    ),
    ("gotosocial/create_note.json", Handled),
    ("gotosocial/create_poll_vote.json", Handled),
    ("gotosocial/delete_note_direct_message.json", Handled),
    ("gotosocial/delete_note_public.json", Handled),
    ("gotosocial/featured_collection.json", Ignored),
    ("gotosocial/flag_report.json", Handled),
    ("gotosocial/like_authorization.json", Ignored),
    ("gotosocial/note_public.json", Handled),
    (
        "gotosocial/note_public_live_single_string_to_cc.json",
        Handled,
    ),
    ("gotosocial/note_reply_approved_by.json", Handled),
    ("gotosocial/note_with_mentions.json", Handled),
    ("gotosocial/outbox_first_page.json", Ignored),
    ("gotosocial/outbox_live.json", Ignored),
    ("mastodon/accept_follow.json", Handled),
    ("mastodon/announce_followers_only.json", Handled),
    ("mastodon/announce_public.json", Handled),
    ("mastodon/create_note_followers_only.json", Handled),
    ("mastodon/create_note_followers_only.raw_body.json", Handled),
    ("mastodon/create_note_public.json", Handled),
    ("mastodon/create_note_unlisted_reply.json", Handled),
    ("mastodon/create_poll_vote.json", Handled),
    // Polls cannot be answered here, but are shown: the question, its choices, a link.
    ("mastodon/create_question_poll.json", Handled),
    ("mastodon/delete_actor.json", Handled),
    ("mastodon/delete_note.json", Handled),
    ("mastodon/featured_collection.json", Ignored),
    ("mastodon/flag.json", Handled),
    ("mastodon/follow.json", Handled),
    ("mastodon/like.json", Handled),
    ("mastodon/note_direct_message.json", Handled),
    ("mastodon/note_public_live_masto_ai.json", Handled),
    ("mastodon/note_unlisted_live_chaos_social.json", Handled),
    ("mastodon/undo_announce.json", Handled),
    ("mastodon/undo_follow.json", Handled),
    ("mastodon/undo_like.json", Handled),
    ("mastodon/update_person.json", Handled),
    ("misskey/block.json", Handled),
    ("misskey/create_note_home_reply.json", Handled),
    ("misskey/create_note_public.json", Handled),
    ("misskey/delete_note.json", Handled),
    ("misskey/like_custom_emoji_reaction.json", Handled),
    ("misskey/note_custom_emoji.json", Handled),
    ("misskey/note_public_live_misskey_io.json", Handled),
    ("misskey/note_quote.json", Handled),
    ("misskey/question_poll_no_end_date.json", Handled),
    ("misskey/reject_follow.json", Handled),
    ("misskey/undo_follow.json", Handled),
    // Issue 14: the rest of the fediverse. Other object types are kept as what can be shown;
    // activity types Enishi has no use for are acknowledged and dropped, never refused.
    ("akkoma/create_note_reply_edited.json", Handled),
    ("akkoma/emoji_react_custom_emoji.json", Ignored),
    ("akkoma/emoji_react_unicode.json", Ignored),
    ("friendica/create_note_reply.json", Handled),
    ("friendica/create_page_to_group.json", Handled),
    ("hubzilla/create_note_with_name.json", Handled),
    ("lemmy/announce_create_page.json", Handled),
    ("lemmy/create_page.json", Handled),
    // Moderation reports are issue 17's.
    ("lemmy/flag_report_page.json", Handled),
    ("lemmy/lock_page.json", Ignored),
    ("lemmy/page_live_no_content.json", Handled),
    ("mobilizon/create_event.json", Handled),
    ("mobilizon/event_group_attributed.json", Handled),
    ("peertube/announce_video_by_channel.json", Handled),
    ("peertube/announce_video_without_context.json", Handled),
    ("peertube/video.json", Handled),
    ("pleroma/announce_unlisted.json", Handled),
    ("pleroma/create_note_reply.json", Handled),
    ("plume/article.json", Handled),
    ("smithereen/question_poll_non_anonymous.json", Handled),
    ("wordpress/announce_update_article.json", Handled),
    ("wordpress/article.json", Handled),
];

fn fixture(path: &str) -> Value {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What the inbox makes of a payload, and why when it refuses.
fn verdict(payload: &Value) -> (Verdict, String) {
    let kind = payload["type"].as_str().unwrap_or("?");
    if matches!(
        kind,
        "Note" | "Article" | "Question" | "Page" | "Video" | "Event"
    ) {
        // A bare object, as fetched or embedded: the reader keeps what can be shown of it.
        return match note::read(payload) {
            Ok(n) => (Handled, format!("{} by {}", n.id, n.attributed_to)),
            Err(e) => (Refused, e.to_string()),
        };
    }
    match Inbound::parse(payload) {
        Ok(Some(activity)) => match activity.check_shape() {
            Ok(()) => (Handled, kind.to_owned()),
            Err(e) => (Refused, e.to_string()),
        },
        Ok(None) => (Ignored, format!("{kind} is not handled")),
        Err(e) => (Refused, e.to_string()),
    }
}

#[test]
fn every_payload_is_handled_ignored_or_refused_with_a_reason() {
    let sources = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/SOURCES.tsv"),
    )
    .unwrap();
    let mut checked = 0;
    for line in sources.lines().skip(1) {
        let path = line.split('\t').next().unwrap();
        let name = path.rsplit('/').next().unwrap();
        // Actors, WebFinger, key documents and signature vectors have tests of their own.
        if !path.ends_with(".json")
            || name.starts_with("actor_")
            || name.starts_with("webfinger")
            || name.starts_with("public_key")
            || name.starts_with("http_signature")
        {
            continue;
        }
        let expected = EXPECTED
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{path} has no expected verdict"));
        let (got, reason) = verdict(&fixture(path));
        assert_eq!(got, expected, "{path}: {reason}");
        if got == Refused {
            assert!(!reason.is_empty(), "{path} refused without a reason");
        }
        checked += 1;
    }
    assert_eq!(checked, EXPECTED.len(), "every expectation names a fixture");
}

#[test]
fn addressing_of_real_notes() {
    let public = Value::String("https://www.w3.org/ns/activitystreams#Public".into());
    // Mastodon's followers-only post: not public, to the author's followers.
    let create = fixture("mastodon/create_note_followers_only.json");
    let n = note::read(&create["object"]).unwrap();
    assert!(!n.audience.iter().any(note::is_public), "{:?}", n.audience);
    assert!(
        n.audience
            .iter()
            .any(|u| u.as_str().ends_with("/followers")),
        "{:?}",
        n.audience
    );
    // GtS's single-string to/cc.
    let n = note::read(&fixture(
        "gotosocial/note_public_live_single_string_to_cc.json",
    ))
    .unwrap();
    assert!(n.audience.iter().any(note::is_public));
    assert!(public.is_string());
    // Remote HTML is sanitised: no scripts, no inline handlers, and links get rel attributes.
    let mut evil = fixture("mastodon/create_note_public.json")["object"].clone();
    evil["content"] = Value::String(
        "<p onclick=\"x()\">hi<script>alert(1)</script><a href=\"javascript:x\">l</a></p>".into(),
    );
    let n = note::read(&evil).unwrap();
    assert!(
        !n.html.contains("script") && !n.html.contains("onclick") && !n.html.contains("javascript"),
        "{}",
        n.html
    );
    assert_eq!(n.text, "hil");
}

/// Every fixture object with `Mention` or `Hashtag` tags reads with exactly those mentions and
/// tags (Mastodon, GoToSocial, Misskey, Pleroma, Akkoma, Friendica, Plume, Mobilizon shapes).
#[test]
fn mentions_and_hashtags_of_real_notes() {
    let mut mentions_seen = 0;
    let mut hashtags_seen = 0;
    for (path, _) in EXPECTED {
        let payload = fixture(path);
        let object = if payload["type"] == "Create" || payload["type"] == "Update" {
            payload["object"].clone()
        } else {
            payload.clone()
        };
        let Ok(n) = note::read(&object) else {
            continue;
        };
        let tags: Vec<&Value> = match &object["tag"] {
            Value::Array(list) => list.iter().collect(),
            one @ Value::Object(_) => vec![one],
            _ => vec![],
        };
        // Each actor once, in order of first mention (Plume repeats them).
        let mut hrefs: Vec<&str> = Vec::new();
        for h in tags
            .iter()
            .filter(|t| t["type"] == "Mention")
            .filter_map(|t| t["href"].as_str())
        {
            if !hrefs.contains(&h) {
                hrefs.push(h);
            }
        }
        let read: Vec<&str> = n.mentions.iter().map(|u| u.as_str()).collect();
        assert_eq!(read, hrefs, "{path}");
        mentions_seen += read.len();
        let names: Vec<String> = tags
            .iter()
            .filter(|t| t["type"] == "Hashtag")
            .filter_map(|t| t["name"].as_str())
            .map(|n| n.trim_start_matches('#').to_lowercase())
            .collect();
        assert_eq!(n.hashtags, names, "{path}");
        hashtags_seen += names.len();
    }
    assert!(
        mentions_seen >= 5,
        "mentions among the fixtures: {mentions_seen}"
    );
    assert!(
        hashtags_seen >= 1,
        "hashtags among the fixtures: {hashtags_seen}"
    );
}
