//! Real actor and WebFinger documents from Mastodon, GoToSocial and Misskey (see
//! `fixtures/SOURCES.tsv` for where each comes from) parse into Enishi's wire and domain types.

use enishi_apub::convert::{actor_from_wire, actor_to_wire, authority};
use enishi_apub::wire::{ActorJson, Jrd};
use enishi_core::{ActorKind, ContentLimits, InstanceSettings, RegistrationMode, Scheme};
use std::path::PathBuf;

fn fixture(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn parse_actor(path: &str) -> enishi_core::Actor {
    let json: ActorJson =
        serde_json::from_str(&fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let id = json.id.clone();
    actor_from_wire(json, &id).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_actor_fixture_parses_into_the_remote_actor_type() {
    let sources = fixture("SOURCES.tsv");
    let mut seen = 0;
    for line in sources.lines().skip(1) {
        let path = line.split('\t').next().unwrap();
        if !path.contains("/actor_") || !path.ends_with(".json") || path.contains("stub_minimal") {
            continue;
        }
        let actor = parse_actor(path);
        assert!(!actor.is_local, "{path}");
        // SubjectPublicKeyInfo, or PKCS#1 as Mobilizon publishes it.
        assert!(
            actor.public_key_pem.contains("BEGIN PUBLIC KEY")
                || actor.public_key_pem.contains("BEGIN RSA PUBLIC KEY"),
            "{path}"
        );
        assert_eq!(
            Some(actor.domain.clone()),
            authority(&actor.ap_id),
            "{path}"
        );
        seen += 1;
    }
    assert!(seen >= 27, "only {seen} actor fixtures were checked");
}

#[test]
fn mastodon_actor_details() {
    let a = parse_actor("mastodon/actor_person.json");
    assert_eq!(a.kind, ActorKind::Person);
    assert_eq!(a.username, "foo");
    assert_eq!(a.domain, "ap.example.com");
    assert_eq!(a.display_name, None, "empty name counts as none");
    assert_eq!(a.summary.as_deref(), Some("<p>test</p>"));
    assert_eq!(
        a.shared_inbox.as_ref().map(|u| u.as_str()),
        Some("https://ap.example.com/inbox")
    );
    assert_eq!(a.public_key_id, "https://ap.example.com/users/foo#main-key");
    assert_eq!(
        a.avatar_url.as_ref().map(|u| u.as_str()),
        Some("https://quitter.no/avatar/7477-300-20160211190340.png")
    );
    assert!(!a.manually_approves_followers);

    // `type: ["Person", "vcard:individual"]`
    let v = parse_actor("mastodon/actor_person_vcard_individual_type_array.json");
    assert_eq!(v.kind, ActorKind::Person);

    let live = parse_actor("mastodon/actor_person_live_mastodon_social.json");
    assert!(live.discoverable && live.indexable);
}

#[test]
fn gotosocial_and_misskey_details() {
    let bot = parse_actor("gotosocial/actor_bot_application.json");
    assert_eq!(bot.kind, ActorKind::Application);
    assert_eq!(bot.domain, "localhost:8080");
    // GoToSocial publishes its key as a separate document at /main-key.
    assert_eq!(
        bot.public_key_id,
        "http://localhost:8080/users/the_mighty_zork/main-key"
    );

    let shared = parse_actor("gotosocial/actor_person_with_shared_inbox.json");
    assert_eq!(
        shared.shared_inbox.unwrap().as_str(),
        "http://localhost:8080/sharedInbox"
    );

    let locked = parse_actor("misskey/actor_person_locked_4096bit_key.json");
    assert!(locked.manually_approves_followers);
    assert_eq!(locked.avatar_url, None, "icon: null");
    assert_eq!(locked.display_name, None, "name: null");
}

#[test]
fn an_actor_without_inbox_is_refused_with_a_reason() {
    let err =
        serde_json::from_str::<ActorJson>(&fixture("gotosocial/actor_stub_minimal_with_key.json"))
            .unwrap_err();
    assert!(err.to_string().contains("inbox"), "{err}");
}

#[test]
fn an_actor_served_from_another_origin_is_refused() {
    let json: ActorJson = serde_json::from_str(&fixture("mastodon/actor_person.json")).unwrap();
    let elsewhere = "https://evil.example/users/foo".parse().unwrap();
    let err = actor_from_wire(json.clone(), &elsewhere).unwrap_err();
    assert!(err.to_string().contains("another origin"), "{err}");
    // Same host, other port: a different server.
    let other_port = "https://ap.example.com:8443/users/foo".parse().unwrap();
    assert!(actor_from_wire(json, &other_port).is_err());
}

#[test]
fn hostile_bios_are_sanitised() {
    let mut json: ActorJson = serde_json::from_str(&fixture("mastodon/actor_person.json")).unwrap();
    json.summary = Some(
        "<p onclick=\"x()\">hi<script>alert(1)</script><a href=\"javascript:x\">l</a></p>".into(),
    );
    let id = json.id.clone();
    let a = actor_from_wire(json, &id).unwrap();
    let bio = a.summary.unwrap();
    assert!(
        !bio.contains("script") && !bio.contains("onclick") && !bio.contains("javascript"),
        "{bio}"
    );
    assert!(bio.contains("hi"));
}

#[test]
fn our_actor_document_reads_back_as_the_same_actor() {
    let settings = InstanceSettings {
        domain: "localhost:8080".into(),
        scheme: Scheme::Http,
        registration: RegistrationMode::Invite,
        limits: ContentLimits::default(),
        name: "t".into(),
    };
    let mut original = parse_actor("mastodon/actor_person.json");
    original.is_local = true;
    let wire = actor_to_wire(&original, &[], &Default::default(), &settings);
    let text = serde_json::to_string(&wire).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["type"], "Person", "type is a bare string");
    assert_eq!(value["manuallyApprovesFollowers"], false);
    let back = actor_from_wire(serde_json::from_str(&text).unwrap(), &original.ap_id).unwrap();
    assert_eq!(back.ap_id, original.ap_id);
    assert_eq!(back.public_key_pem, original.public_key_pem);
    assert_eq!(back.inbox, original.inbox);
    assert_eq!(back.shared_inbox, original.shared_inbox);
    assert_eq!(back.summary, original.summary);
}

#[test]
fn uploaded_profile_images_are_the_icon_and_image() {
    let settings = InstanceSettings {
        domain: "localhost:8080".into(),
        scheme: Scheme::Http,
        registration: RegistrationMode::Invite,
        limits: ContentLimits::default(),
        name: "t".into(),
    };
    let mut actor = parse_actor("mastodon/actor_person.json");
    actor.is_local = true;
    assert!(actor.avatar_url.is_some(), "the fixture has an icon");
    let photo = |key: &str, content_type: &str| enishi_core::media::Media {
        public_id: format!("id-{key}"),
        key: key.repeat(32),
        content_type: content_type.into(),
        width: 400,
        height: 400,
        preview_width: 400,
        preview_height: 400,
        blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj".into(),
        description: None,
        link: None,
    };
    let images = enishi_core::media::ProfileImages {
        avatar: Some(photo("a", "image/png")),
        header: Some(photo("b", "image/jpeg")),
    };
    let wire = serde_json::to_value(actor_to_wire(&actor, &[], &images, &settings)).unwrap();
    assert_eq!(
        wire["icon"],
        serde_json::json!({"type": "Image", "mediaType": "image/png",
            "url": format!("http://localhost:8080/media/{}/original.png", "a".repeat(32))}),
        "the upload wins over the avatar URL"
    );
    assert_eq!(
        wire["image"]["url"],
        format!(
            "http://localhost:8080/media/{}/original.jpg",
            "b".repeat(32)
        )
    );
    // Without uploads: the avatar URL, and no header.
    let wire =
        serde_json::to_value(actor_to_wire(&actor, &[], &Default::default(), &settings)).unwrap();
    assert_eq!(wire["icon"]["url"], actor.avatar_url.unwrap().as_str());
    assert!(wire.get("image").is_none(), "{wire}");
}

#[test]
fn webfinger_fixtures_parse() {
    let masto: Jrd = serde_json::from_str(&fixture("mastodon/webfinger.json")).unwrap();
    assert_eq!(masto.actor_url(), Some("https://ap.example.com/users/foo"));
    let gts: Jrd = serde_json::from_str(&fixture("gotosocial/webfinger.json")).unwrap();
    assert!(gts.actor_url().is_some());
}

#[test]
fn an_actor_without_preferred_username_takes_its_name_from_its_id() {
    // Lemmy's instance actor: a Service at `https://host/` with no preferredUsername.
    let actor = parse_actor("lemmy/actor_service_instance_no_preferred_username.json");
    assert_eq!(actor.username, "enterprise.lemmy.ml");
    assert_eq!(actor.kind, ActorKind::Service);
    // An id with a path: its last segment.
    let mut json: ActorJson = serde_json::from_str(&fixture("lemmy/actor_person.json")).unwrap();
    json.preferred_username = String::new();
    let id = json.id.clone();
    let actor = actor_from_wire(json, &id).unwrap();
    assert_eq!(
        actor.username,
        id.path_segments().unwrap().next_back().unwrap()
    );
}

/// The post inside a fixture (the object of a `Create`, or the fixture itself).
fn post_object(path: &str) -> serde_json::Value {
    let json: serde_json::Value =
        serde_json::from_str(&fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    match json.get("object") {
        Some(o) if o.is_object() => o.clone(),
        _ => json,
    }
}

#[test]
fn attachments_of_mastodon_gotosocial_and_misskey_posts_are_read() {
    use enishi_apub::attachments::of_post;
    // Mastodon: a PNG with long alt text (CR LF kept as written).
    let masto = of_post(&post_object("mastodon/note_public_live_masto_ai.json"));
    assert_eq!(masto.len(), 1);
    assert!(masto[0].fetchable);
    assert_eq!(masto[0].media_type.as_deref(), Some("image/png"));
    assert!(
        masto[0]
            .url
            .starts_with("https://s3.masto.ai/media_attachments/")
    );
    assert!(
        masto[0]
            .description
            .as_deref()
            .is_some_and(|d| d.starts_with("Original Heathcliff comic"))
    );
    // Mastodon: a video is only linked to, never fetched; `name: null` is no alt text.
    let video = of_post(&post_object("mastodon/create_note_followers_only.json"));
    assert_eq!(video.len(), 1);
    assert!(!video[0].fetchable);
    assert_eq!(video[0].media_type.as_deref(), Some("video/mp4"));
    assert_eq!((video[0].width, video[0].height), (272, 270));
    assert_eq!(video[0].description, None);
    // GoToSocial: a PNG as a Document with alt text.
    let gts = of_post(&post_object(
        "gotosocial/note_public_live_single_string_to_cc.json",
    ));
    assert_eq!(gts.len(), 1);
    assert!(gts[0].fetchable);
    assert!(
        gts[0]
            .description
            .as_deref()
            .is_some_and(|d| d.starts_with("GoToSocial settings panel"))
    );
    // Misskey: a WebP without sizes.
    let misskey = of_post(&post_object("misskey/note_public_live_misskey_io.json"));
    assert_eq!(misskey.len(), 1);
    assert!(misskey[0].fetchable);
    assert_eq!(misskey[0].media_type.as_deref(), Some("image/webp"));
    assert_eq!((misskey[0].width, misskey[0].height), (0, 0));
    // Posts without files have none, and profile fields are never files.
    assert!(of_post(&post_object("mastodon/create_note_public.json")).is_empty());
    assert!(of_post(&post_object("gotosocial/actor_person_with_fields.json")).is_empty());
}
