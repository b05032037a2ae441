//! Mentions (`@name`, `@name@domain`) and hashtags (`#tag`) in what members write: finding
//! them in text. Resolving a handle to an actor is the database's and the fetcher's work.

use std::fmt;
use url::Url;

/// Most mentions taken from one text; more are left as plain text (a post that names dozens
/// of people is spam, and each remote one costs a WebFinger lookup).
pub const MAX_MENTIONS: usize = 10;
/// Most hashtags taken from one text.
pub const MAX_HASHTAGS: usize = 10;
/// Longest hashtag, in characters.
const MAX_TAG_CHARS: usize = 100;

/// A handle as written after `@`: a name, and a server when it is not this one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handle {
    /// The account's name.
    pub username: String,
    /// `host[:port]`, lower-case; None for `@name` (a member here).
    pub domain: Option<String>,
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.domain {
            Some(d) => write!(f, "@{}@{d}", self.username),
            None => write!(f, "@{}", self.username),
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':')
}

/// Whether a mark (`@`, `#`) at a position may start a mention or tag: at the start, or after
/// a character that cannot be part of a word, an address or a URL (`a@b.example` is an e-mail
/// address, `/#x` and `&#39;` are not tags).
fn starts_here(before: Option<char>) -> bool {
    match before {
        None => true,
        Some(c) => !(c.is_alphanumeric() || matches!(c, '_' | '@' | '#' | '/' | '&' | '.' | '-')),
    }
}

/// A mention starting at `rest` (just after its `@`), with the number of bytes it spans.
fn mention_at(rest: &str) -> Option<(Handle, usize)> {
    let name_len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
    if name_len == 0 || name_len > 64 {
        return None;
    }
    let username = &rest[..name_len];
    let after = &rest[name_len..];
    if let Some(domain_part) = after.strip_prefix('@') {
        let len = domain_part
            .find(|c: char| !is_domain_char(c))
            .unwrap_or(domain_part.len());
        // A sentence may end right after a handle: its full stop or colon is not the host's.
        let domain = domain_part[..len].trim_end_matches(['.', ':', '-']);
        let valid = !domain.is_empty()
            && domain.len() <= 253
            && !domain.starts_with(['.', '-', ':'])
            && (domain.contains('.') || domain.starts_with("localhost"));
        if valid {
            let handle = Handle {
                username: username.to_owned(),
                domain: Some(domain.to_ascii_lowercase()),
            };
            return Some((handle, name_len + 1 + domain.len()));
        }
        return None;
    }
    Some((
        Handle {
            username: username.to_owned(),
            domain: None,
        },
        name_len,
    ))
}

/// A hashtag starting at `rest` (just after its `#`): letters of any script, digits and `_`,
/// not digits only (`#1` is a number).
fn hashtag_at(rest: &str) -> Option<(String, usize)> {
    let len = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let tag = &rest[..len];
    let chars = tag.chars().count();
    if chars == 0 || chars > MAX_TAG_CHARS || tag.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((tag.to_owned(), len))
}

/// A piece of text: as written, a mention, or a hashtag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Plain text.
    Text(&'a str),
    /// `@name` or `@name@domain` (the text is the whole mention as written).
    Mention(&'a str, Handle),
    /// `#tag` (the text is the whole tag as written, with its `#`).
    Hashtag(&'a str, String),
}

/// Splits text into plain runs, mentions and hashtags, in order. Text without any comes back
/// as one plain piece.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut plain_from = 0;
    let mut before: Option<char> = None;
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().expect("i is on a char boundary");
        let found = if (c == '@' || c == '#') && starts_here(before) {
            let rest = &text[i + 1..];
            if c == '@' {
                mention_at(rest).map(|(h, n)| (Piece::Mention(&text[i..i + 1 + n], h), n))
            } else {
                hashtag_at(rest).map(|(t, n)| (Piece::Hashtag(&text[i..i + 1 + n], t), n))
            }
        } else {
            None
        };
        match found {
            Some((piece, n)) => {
                if plain_from < i {
                    out.push(Piece::Text(&text[plain_from..i]));
                }
                out.push(piece);
                i += 1 + n;
                plain_from = i;
                before = text[..i].chars().next_back();
            }
            None => {
                before = Some(c);
                i += c.len_utf8();
            }
        }
    }
    if plain_from < text.len() {
        out.push(Piece::Text(&text[plain_from..]));
    }
    out
}

/// The distinct handles mentioned in `text`, in order, at most [`MAX_MENTIONS`].
pub fn mentions_in(text: &str) -> Vec<Handle> {
    let mut found: Vec<Handle> = Vec::new();
    for p in pieces(text) {
        if let Piece::Mention(_, h) = p
            && !found.contains(&h)
        {
            found.push(h);
            if found.len() == MAX_MENTIONS {
                break;
            }
        }
    }
    found
}

/// The distinct hashtags in `text` (compared without case), in order, at most
/// [`MAX_HASHTAGS`].
pub fn hashtags_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for p in pieces(text) {
        if let Piece::Hashtag(_, t) = p
            && !found.iter().any(|f| f.to_lowercase() == t.to_lowercase())
        {
            found.push(t);
            if found.len() == MAX_HASHTAGS {
                break;
            }
        }
    }
    found
}

/// A tag of a post or comment as it federates: a `Mention` of an actor, or a `Hashtag`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Tag {
    /// An actor named in the text (and allowed to see it).
    Mention {
        /// The actor's id.
        href: Url,
        /// `@name@domain`.
        name: String,
    },
    /// A hashtag, lower-case, without its `#`.
    Hashtag {
        /// The tag.
        name: String,
    },
}

impl Tag {
    /// Tags stored as JSON text (None or invalid text: no tags; a tag list is never worth
    /// failing a read over).
    pub fn list_from_json(text: Option<&str>) -> Vec<Tag> {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    /// Tags as stored: None for none.
    pub fn list_to_json(tags: &[Tag]) -> Option<String> {
        (!tags.is_empty()).then(|| serde_json::to_string(tags).expect("tags serialise"))
    }
}

/// A hashtag's canonical form: lower-case (`#Picnic` and `#picnic` are one tag).
pub fn normalise_hashtag(tag: &str) -> String {
    tag.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(u: &str, d: Option<&str>) -> Handle {
        Handle {
            username: u.into(),
            domain: d.map(str::to_owned),
        }
    }

    #[test]
    fn mentions_local_and_remote() {
        assert_eq!(
            mentions_in("@hanako and @Taro@Example.COM, also @mika@localhost:8081. Bye @hanako"),
            vec![
                h("hanako", None),
                h("Taro", Some("example.com")),
                h("mika", Some("localhost:8081")),
            ]
        );
    }

    #[test]
    fn addresses_urls_and_entities_are_not_mentions_or_tags() {
        let text = "mail a@b.example, see https://x.example/@bob and https://x.example/#top &#39;";
        assert_eq!(mentions_in(text), vec![]);
        assert_eq!(hashtags_in(text), Vec::<String>::new());
        // A host without a dot (but localhost) is no host: most likely an address, no mention.
        assert_eq!(mentions_in("@a@b"), vec![]);
    }

    #[test]
    fn hashtags_in_any_script_but_not_numbers() {
        assert_eq!(
            hashtags_in("今日の #日記 と #Picnic_2026。#1 位 #picnic_2026"),
            vec!["日記".to_owned(), "Picnic_2026".to_owned()]
        );
    }

    #[test]
    fn pieces_keep_every_character_in_order() {
        let text = "hi @hanako, #tea? @x@y.example!";
        let joined: String = pieces(text)
            .iter()
            .map(|p| match p {
                Piece::Text(t) | Piece::Mention(t, _) | Piece::Hashtag(t, _) => *t,
            })
            .collect();
        assert_eq!(joined, text);
        assert_eq!(
            pieces("@@x #"),
            vec![Piece::Text("@@x #")],
            "no mention after a mark, no empty tag"
        );
    }

    #[test]
    fn at_most_ten_mentions() {
        let text: String = (0..20).map(|i| format!("@m{i} ")).collect();
        assert_eq!(mentions_in(&text).len(), MAX_MENTIONS);
    }
}
