//! Reading a remote post: the shared half of Create, Update and Add.
//!
//! `Note`s are voice posts, `Article`s and titled `Note`s diaries (an Enishi diary is a `Note`
//! marked `enishi:kind: diary`, Hubzilla titles its `Note`s, WordPress, Plume, WriteFreely and
//! older Enishi send `Article`s). Any other object type a followed account creates (Lemmy's
//! `Page`, PeerTube's `Video`, Mobilizon's `Event`, a `Question`…) is kept as what can be
//! shown of it: its title, its text and a link to the original.

use super::{InboxContext, InboxError, id_of, ids_of, type_of};
use crate::convert::sanitize_html;
use crate::wire::helpers::first_url;
use chrono::{DateTime, Utc};
use enishi_core::{Actor, ActorId, PostKind};
use enishi_db::inbound::content::{RemoteComment, RemotePost};
use serde_json::Value;
use url::Url;

/// Largest remote content kept, in bytes of HTML.
const MAX_CONTENT_BYTES: usize = 100_000;

/// The parts of a remote Note or Article that Enishi keeps.
#[derive(Debug, Clone)]
pub struct RemoteNote {
    /// Its id.
    pub id: Url,
    /// Titled → diary; anything else → voice.
    pub kind: PostKind,
    /// Its author.
    pub attributed_to: Url,
    /// What it answers.
    pub in_reply_to: Option<Url>,
    /// A diary's title.
    pub title: Option<String>,
    /// A `Note`'s content warning (`summary`), as text.
    pub content_warning: Option<String>,
    /// Sanitised HTML.
    pub html: String,
    /// Plain text of the HTML.
    pub text: String,
    /// `to` and `cc` together.
    pub audience: Vec<Url>,
    /// When published.
    pub published: DateTime<Utc>,
    /// The subject, when the note is an introduction (DESIGN §4).
    pub introduction_of: Option<Url>,
    /// The actors its `Mention` tags name.
    pub mentions: Vec<Url>,
    /// Its hashtags, lower-case, without `#`.
    pub hashtags: Vec<String>,
    /// Its attachments (files), in order.
    pub attachments: Vec<enishi_db::remote_media::RemoteAttachment>,
}

/// Whether `url` is the Public collection in any of its spellings.
pub fn is_public(url: &Url) -> bool {
    matches!(
        url.as_str(),
        crate::federate::PUBLIC | "as:Public" | "Public"
    ) || url.as_str() == "https://www.w3.org/ns/activitystreams#Public"
}

/// Whether a type names an actor rather than something written.
pub(super) fn is_actor_type(kind: Option<&str>) -> bool {
    matches!(
        kind,
        Some("Person" | "Service" | "Application" | "Group" | "Organization")
    )
}

/// Types that are never posts: actors, collections and links.
fn is_never_a_post(kind: &str) -> bool {
    is_actor_type(Some(kind))
        || matches!(
            kind,
            "Collection"
                | "OrderedCollection"
                | "CollectionPage"
                | "OrderedCollectionPage"
                | "Link"
                | "Mention"
                | "Tombstone"
        )
}

/// Whether an object carries Enishi's diary marker, in its compact or expanded spelling.
fn marked_diary(object: &Value) -> bool {
    ["enishi:kind", "https://enishi.social/ns#kind"]
        .iter()
        .any(|k| object.get(*k).and_then(Value::as_str) == Some(crate::federate::DIARY_KIND))
}

/// Reads a post or comment of any object type that is not an actor or a collection.
pub fn read(object: &Value) -> Result<RemoteNote, InboxError> {
    let kind_name =
        type_of(object).ok_or_else(|| InboxError::Invalid("the object has no type".into()))?;
    if is_never_a_post(kind_name) {
        return Err(InboxError::Invalid(format!(
            "objects of type {kind_name} are not posts"
        )));
    }
    let id = object
        .get("id")
        .and_then(id_of)
        .ok_or_else(|| InboxError::Invalid("the object has no id".into()))?;
    let attributed_to = object
        .get("attributedTo")
        .and_then(author_of)
        .ok_or_else(|| InboxError::Invalid(format!("{id} has no attributedTo")))?;
    let content = object
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if content.len() > MAX_CONTENT_BYTES {
        return Err(InboxError::Invalid(format!("{id} is longer than we keep")));
    }
    let title = object
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| crate::convert::cut_chars(t, 200));
    let kind = match kind_name {
        "Article" => PostKind::Diary,
        "Note" if marked_diary(object) => PostKind::Diary,
        // A titled Note with text is a Hubzilla post; a poll vote is a titled Note without any.
        "Note" if title.is_some() && !content.trim().is_empty() => PostKind::Diary,
        "Note" => PostKind::Voice,
        _ if title.is_some() => PostKind::Diary,
        _ => PostKind::Voice,
    };
    let mut html = sanitize_html(content);
    if let Some(t) = title.as_deref().filter(|_| kind == PostKind::Diary) {
        // Enishi (and Mastodon-minded servers) repeat the title as the first paragraph.
        let heading = sanitize_html(&format!(
            "<p><strong>{}</strong></p>",
            enishi_core::render::escape(t)
        ));
        if let Some(rest) = html.strip_prefix(&heading) {
            html = rest.trim_start().to_owned();
        }
    }
    if !matches!(kind_name, "Note" | "Article") {
        html.push_str(&shown_extras(object, kind_name, &id));
    }
    // Mastodon, Misskey and GoToSocial put a content warning in a Note's `summary`; an
    // Article's is an abstract, which its text already holds.
    let content_warning = object
        .get("summary")
        .and_then(Value::as_str)
        .filter(|_| kind_name == "Note")
        .map(|s| html_to_text(&sanitize_html(s)))
        .filter(|s| !s.is_empty())
        .map(|s| crate::convert::cut_chars(&s, enishi_core::content::CONTENT_WARNING_MAX));
    let mut audience = ids_of(object.get("to"));
    // `to`/`cc` may be absent, a string or a list; `as:Public` is not a URL in every spelling.
    for field in ["to", "cc"] {
        if let Some(v) = object.get(field) {
            let names: Vec<&str> = match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if names.iter().any(|n| matches!(*n, "as:Public" | "Public")) {
                audience.push(Url::parse(crate::federate::PUBLIC).expect("constant URL"));
            }
        }
    }
    audience.extend(ids_of(object.get("cc")));
    Ok(RemoteNote {
        kind,
        attributed_to,
        in_reply_to: object.get("inReplyTo").and_then(id_of),
        title,
        content_warning,
        text: html_to_text(&html),
        html,
        audience,
        published: object
            .get("published")
            .and_then(Value::as_str)
            .and_then(|p| DateTime::parse_from_rfc3339(p).ok())
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(Utc::now),
        introduction_of: introduction_subject(object),
        mentions: mention_tags(object),
        hashtags: hashtag_tags(object),
        attachments: crate::attachments::of_post(object),
        id,
    })
}

/// The `tag` entries of an object (a list or a single object).
fn tags(object: &Value) -> impl Iterator<Item = &Value> {
    let list: &[Value] = match object.get("tag") {
        Some(Value::Array(a)) => a,
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        _ => &[],
    };
    list.iter()
}

/// The hrefs of the `Mention` tags, at most [`enishi_core::mention::MAX_MENTIONS`] of interest.
fn mention_tags(object: &Value) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    for t in tags(object).filter(|t| type_of(t) == Some("Mention")) {
        if let Some(href) = t.get("href").and_then(id_of)
            && !out.contains(&href)
        {
            out.push(href);
        }
    }
    // A post naming hundreds of accounts is not worth a lookup each; members come first in
    // nobody's list, so keep a generous number.
    out.truncate(100);
    out
}

/// The `Hashtag` tags' names, lower-case, without `#`.
fn hashtag_tags(object: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags(object).filter(|t| type_of(t) == Some("Hashtag")) {
        let Some(name) = t.get("name").and_then(Value::as_str) else {
            continue;
        };
        let name = enishi_core::mention::normalise_hashtag(name.trim().trim_start_matches('#'));
        let valid = !name.is_empty()
            && name.chars().count() <= 100
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if valid && !out.contains(&name) && out.len() < enishi_core::mention::MAX_HASHTAGS {
            out.push(name);
        }
    }
    out
}

/// The author of an object: `attributedTo` as a URL or object, or, where it is a list (Lemmy
/// and PeerTube name the person and the group or channel), the first that is not a group.
fn author_of(value: &Value) -> Option<Url> {
    match value {
        Value::Array(items) => items
            .iter()
            .find(|i| type_of(i).is_none_or(|t| t != "Group"))
            .and_then(id_of),
        other => id_of(other),
    }
}

/// What a kind of object Enishi does not write shows besides its text: a poll's choices, an
/// event's start, and a link to the original (as sanitised HTML).
fn shown_extras(object: &Value, kind: &str, id: &Url) -> String {
    let mut extra = String::new();
    let esc = enishi_core::render::escape;
    if kind == "Question" {
        let choices: Vec<&str> = ["oneOf", "anyOf"]
            .iter()
            .filter_map(|k| object.get(*k).and_then(Value::as_array))
            .flatten()
            .filter_map(|c| c.get("name").and_then(Value::as_str))
            .take(20)
            .collect();
        if !choices.is_empty() {
            extra.push_str("<ul>");
            for c in choices {
                extra.push_str(&format!(
                    "<li>{}</li>",
                    esc(&crate::convert::cut_chars(c, 200))
                ));
            }
            extra.push_str("</ul>");
        }
    }
    if let Some(start) = object.get("startTime").and_then(Value::as_str) {
        extra.push_str(&format!(
            "<p>{}</p>",
            esc(&crate::convert::cut_chars(start, 40))
        ));
    }
    let link = object
        .get("url")
        .and_then(html_url)
        .unwrap_or_else(|| id.clone());
    let href = esc(link.as_str());
    extra.push_str(&format!("<p><a href=\"{href}\">{href}</a></p>"));
    sanitize_html(&extra)
}

/// The page of an object: among several `url`s (PeerTube lists its video files too), the
/// one whose media type is HTML, else the first.
fn html_url(value: &Value) -> Option<Url> {
    if let Value::Array(items) = value
        && let Some(page) = items
            .iter()
            .find(|i| i.get("mediaType").and_then(Value::as_str) == Some("text/html"))
    {
        return first_url(page);
    }
    first_url(value)
}

/// The subject of an introduction: `introductionOf`, or the owner of an introductions
/// collection named as `target`.
fn introduction_subject(object: &Value) -> Option<Url> {
    if let Some(s) = object
        .get("introductionOf")
        .or_else(|| object.get("enishi:introductionOf"))
        .and_then(id_of)
    {
        return Some(s);
    }
    let target = object.get("target")?;
    let collection = id_of(target)?;
    if !collection.path().ends_with("/introductions") {
        return None;
    }
    target.get("attributedTo").and_then(id_of)
}

/// The text of sanitised HTML: line breaks kept, tags dropped, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let spaced = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p>", "\n\n");
    let stripped = ammonia::Builder::empty().clean(&spaced).to_string();
    stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

impl RemoteNote {
    /// Requires the note to be by `actor` and on `actor`'s server.
    pub fn require_author(&self, actor: &Actor) -> Result<(), InboxError> {
        if self.attributed_to != actor.ap_id {
            return Err(InboxError::Forbidden(format!(
                "{} is attributed to {}, not to {}",
                self.id, self.attributed_to, actor.ap_id
            )));
        }
        super::require_same_origin(actor, &self.id, "object")
    }

    /// The local members it names, whether it is public, and whether it went to the author's
    /// followers.
    pub async fn addressing(
        &self,
        ctx: &InboxContext,
        author: &Actor,
    ) -> Result<(Vec<ActorId>, bool, bool), InboxError> {
        let mut members = Vec::new();
        for url in &self.audience {
            if let Some(m) = super::local_member(ctx, url).await? {
                members.push(m.id);
            }
        }
        let public = self.audience.iter().any(is_public);
        let to_followers = author
            .followers
            .as_ref()
            .is_some_and(|f| self.audience.contains(f));
        Ok((members, public, to_followers))
    }

    /// The local members its `Mention` tags name.
    pub async fn mentioned_members(&self, ctx: &InboxContext) -> Result<Vec<ActorId>, InboxError> {
        let mut members = Vec::new();
        for url in &self.mentions {
            if let Some(m) = super::local_member(ctx, url).await?
                && !members.contains(&m.id)
            {
                members.push(m.id);
            }
        }
        Ok(members)
    }

    /// As a post by `author`, with the addressing worked out.
    pub fn as_post<'a>(
        &'a self,
        author: &'a Actor,
        addressed: &'a [ActorId],
        public: bool,
        to_followers: bool,
    ) -> RemotePost<'a> {
        RemotePost {
            ap_id: &self.id,
            kind: self.kind,
            author,
            title: self
                .title
                .as_deref()
                .filter(|_| self.kind == PostKind::Diary),
            text: &self.text,
            html: &self.html,
            content_warning: self.content_warning.as_deref(),
            public,
            to_followers,
            addressed,
            mentioned: &[],
            hashtags: &self.hashtags,
            attachments: &self.attachments,
            published: self.published,
        }
    }

    /// As a comment by `author` on what it answers (None if it answers nothing).
    pub fn as_comment<'a>(&'a self, author: &'a Actor) -> Option<RemoteComment<'a>> {
        Some(RemoteComment {
            ap_id: &self.id,
            author,
            in_reply_to: self.in_reply_to.as_ref()?,
            text: &self.text,
            html: &self.html,
            mentioned: &[],
            published: self.published,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_html() {
        assert_eq!(
            html_to_text("<p>a &amp; b</p><p>c<br>d &lt;x&gt;</p>"),
            "a & b\n\nc\nd <x>"
        );
    }

    fn note(extra: serde_json::Value) -> serde_json::Value {
        let mut n = serde_json::json!({
            "id": "https://a.example/n/1", "attributedTo": "https://a.example/u",
            "to": "as:Public"
        });
        n.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        n
    }

    /// Mastodon's and GoToSocial's content warnings (their `summary`) stay with the post; an
    /// Article's summary is an abstract, and markup in a warning is read as text.
    #[test]
    fn content_warnings_of_notes_are_kept() {
        let fixture = |path: &str| -> serde_json::Value {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
            let text = std::fs::read_to_string(format!("{dir}{path}")).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            v.get("object")
                .filter(|o| o.is_object())
                .cloned()
                .unwrap_or(v)
        };
        let mastodon = read(&fixture("mastodon/create_note_public.json")).unwrap();
        assert_eq!(mastodon.content_warning.as_deref(), Some("cw"));
        let gts = read(&fixture("gotosocial/note_public.json")).unwrap();
        assert_eq!(gts.content_warning.as_deref(), Some("introduction post"));
        let plain = read(&note(
            serde_json::json!({"type": "Note", "content": "<p>hi</p>"}),
        ));
        assert_eq!(plain.unwrap().content_warning, None);
        let blank = read(&note(serde_json::json!({
            "type": "Note", "content": "<p>hi</p>", "summary": "  "
        })));
        assert_eq!(blank.unwrap().content_warning, None);
        let marked = read(&note(serde_json::json!({
            "type": "Note", "content": "<p>hi</p>", "summary": "<b>spoilers</b> &amp; more"
        })));
        assert_eq!(
            marked.unwrap().content_warning.as_deref(),
            Some("spoilers & more")
        );
        let article = read(&note(serde_json::json!({
            "type": "Article", "name": "T", "content": "<p>body</p>", "summary": "abstract"
        })));
        assert_eq!(article.unwrap().content_warning, None);
    }

    #[test]
    fn an_enishi_diary_note_is_a_diary_with_its_title_once() {
        let object = crate::federate::diary_content("A <day>", "**bold** & more");
        let n = read(&note(serde_json::json!({
            "type": "Note", "name": "A <day>", "content": object, "enishi:kind": "diary"
        })))
        .unwrap();
        assert_eq!(n.kind, PostKind::Diary);
        assert_eq!(n.title.as_deref(), Some("A <day>"));
        assert_eq!(n.html, "<p><strong>bold</strong> &amp; more</p>\n");
        assert_eq!(n.text, "bold & more");
    }

    #[test]
    fn titled_notes_and_articles_are_diaries_poll_votes_are_not() {
        let hubzilla = read(&note(serde_json::json!({
            "type": "Note", "name": "Titled", "content": "<p>text</p>"
        })))
        .unwrap();
        assert_eq!(
            (hubzilla.kind, hubzilla.title.as_deref()),
            (PostKind::Diary, Some("Titled"))
        );
        let article = read(&note(serde_json::json!({
            "type": "Article", "name": "Old Enishi", "content": "<p>body</p>"
        })))
        .unwrap();
        assert_eq!(article.kind, PostKind::Diary);
        assert_eq!(article.html, "<p>body</p>");
        let vote = read(&note(serde_json::json!({
            "type": "Note", "name": "Yes", "inReplyTo": "https://b.example/q/1"
        })))
        .unwrap();
        assert_eq!(vote.kind, PostKind::Voice);
    }

    #[test]
    fn other_object_types_keep_what_can_be_shown() {
        let page = read(&note(serde_json::json!({
            "type": "Page", "name": "A link post", "content": "<p>see</p>",
            "url": "https://a.example/post/1",
            "attributedTo": [{"type": "Group", "id": "https://a.example/c/g"},
                             {"type": "Person", "id": "https://a.example/u"}]
        })))
        .unwrap();
        assert_eq!(page.kind, PostKind::Diary);
        assert_eq!(page.attributed_to.as_str(), "https://a.example/u");
        assert!(page.html.contains("<p>see</p>"), "{}", page.html);
        assert!(
            page.html.contains("href=\"https://a.example/post/1\""),
            "{}",
            page.html
        );
        let poll = read(&note(serde_json::json!({
            "type": "Question", "content": "<p>Tea or coffee?</p>",
            "oneOf": [{"type": "Note", "name": "Tea"}, {"type": "Note", "name": "<b>Coffee</b>"}]
        })))
        .unwrap();
        assert_eq!(poll.kind, PostKind::Voice);
        assert!(
            poll.html
                .contains("<ul><li>Tea</li><li>&lt;b&gt;Coffee&lt;/b&gt;</li></ul>"),
            "{}",
            poll.html
        );
        assert!(read(&note(serde_json::json!({"type": "Person"}))).is_err());
        assert!(read(&note(serde_json::json!({"type": "OrderedCollection"}))).is_err());
    }

    #[test]
    fn public_in_every_spelling() {
        let n = read(&serde_json::json!({
            "type": "Note", "id": "https://a.example/n/1", "attributedTo": "https://a.example/u",
            "content": "<script>x</script>hi", "to": "as:Public"
        }))
        .unwrap();
        assert!(n.audience.iter().any(is_public));
        assert_eq!(n.html, "hi");
    }
}
