//! Reading a remote `Note` or `Article`: the shared half of Create, Update and Add.

use super::{InboxContext, InboxError, id_of, ids_of, type_of};
use crate::convert::sanitize_html;
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
    /// Article → diary; anything else → voice.
    pub kind: PostKind,
    /// Its author.
    pub attributed_to: Url,
    /// What it answers.
    pub in_reply_to: Option<Url>,
    /// An article's title.
    pub title: Option<String>,
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
}

/// Whether `url` is the Public collection in any of its spellings.
pub fn is_public(url: &Url) -> bool {
    matches!(
        url.as_str(),
        crate::federate::PUBLIC | "as:Public" | "Public"
    ) || url.as_str() == "https://www.w3.org/ns/activitystreams#Public"
}

/// Reads a Note or Article; other object types are refused.
pub fn read(object: &Value) -> Result<RemoteNote, InboxError> {
    let kind = match type_of(object) {
        Some("Article") => PostKind::Diary,
        Some("Note") => PostKind::Voice,
        Some(other) => {
            return Err(InboxError::Invalid(format!(
                "objects of type {other} are not kept"
            )));
        }
        None => return Err(InboxError::Invalid("the object has no type".into())),
    };
    let id = object
        .get("id")
        .and_then(id_of)
        .ok_or_else(|| InboxError::Invalid("the object has no id".into()))?;
    let attributed_to = object
        .get("attributedTo")
        .and_then(id_of)
        .ok_or_else(|| InboxError::Invalid(format!("{id} has no attributedTo")))?;
    let content = object
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if content.len() > MAX_CONTENT_BYTES {
        return Err(InboxError::Invalid(format!("{id} is longer than we keep")));
    }
    let html = sanitize_html(content);
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
        title: object
            .get("name")
            .and_then(Value::as_str)
            .map(|t| t.chars().take(200).collect()),
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
        id,
    })
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
            public,
            to_followers,
            addressed,
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
