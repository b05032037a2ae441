//! What members write, as the HTML that pages, the API and other servers get: diaries are
//! CommonMark, voice posts, comments and introductions plain text with their links made
//! clickable. Everything leaves through one sanitiser, the same allow-list that remote HTML
//! passes, so a diary can hold no more markup than a post from another server.

use crate::mention::{Handle, Piece, normalise_hashtag, pieces};
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::collections::HashSet;
use url::Url;

/// What turns `@handle` and `#tag` in a text into links: the mentions resolved to an actor (with
/// the page to link to) and where this instance lists a hashtag. Anything else stays text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Marks<'a> {
    /// Handles as written (`@name`, `@name@domain`) and the link of the actor each names.
    pub mentions: &'a [(Handle, Url)],
    /// The instance's base URL: `#tag` links to `<base>/tags/<tag>`. None: tags stay text.
    pub tag_base: Option<&'a Url>,
}

impl Marks<'_> {
    /// No mentions or tags linked.
    pub const NONE: Marks<'static> = Marks {
        mentions: &[],
        tag_base: None,
    };

    fn is_empty(&self) -> bool {
        self.mentions.is_empty() && self.tag_base.is_none()
    }

    fn mention_href(&self, handle: &Handle) -> Option<&Url> {
        self.mentions.iter().find_map(|(h, url)| {
            (h.username.eq_ignore_ascii_case(&handle.username) && h.domain == handle.domain)
                .then_some(url)
        })
    }
}

/// The page of a hashtag on the instance at `base`.
pub fn hashtag_url(base: &Url, tag: &str) -> Url {
    let encoded: String =
        url::form_urlencoded::byte_serialize(normalise_hashtag(tag).as_bytes()).collect();
    base.join(&format!("/tags/{encoded}"))
        .expect("a path joins any base URL")
}

/// The `rel` of every link in what members write.
const LINK_REL: &str = "nofollow noopener noreferrer";

/// Cleans HTML with Enishi's allow-list before it is stored or shown: ammonia's default tags
/// and attributes, links only to http(s), every link `nofollow noopener noreferrer`.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https"]))
        .link_rel(Some(LINK_REL))
        // Mastodon's microformat classes for mentions and hashtags, which its apps style.
        .add_allowed_classes("a", &["mention", "hashtag", "u-url"])
        .add_allowed_classes("span", &["h-card"])
        .clean(&html.replace('\0', ""))
        .to_string()
}

/// A diary body (CommonMark with tables and strikethrough) as sanitised HTML.
///
/// A single line break stays a line break, as diarists expect (mixi kept every one), rather
/// than CommonMark's soft break that joins lines. Headings move one level down: the diary's
/// title is the page's `h1`. Bare URLs become links. Raw HTML is shown as text.
pub fn diary_html(markdown: &str) -> String {
    diary_html_marked(markdown, &Marks::NONE)
}

/// [`diary_html`] with mentions and hashtags linked.
pub fn diary_html_marked(markdown: &str, marks: &Marks<'_>) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut in_link = 0usize;
    let events = Parser::new_ext(markdown, options).flat_map(|event| {
        let out: Vec<Event> = match event {
            Event::SoftBreak => vec![Event::HardBreak],
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => vec![Event::Start(Tag::Heading {
                level: lower(level),
                id,
                classes,
                attrs,
            })],
            Event::End(TagEnd::Heading(level)) => vec![Event::End(TagEnd::Heading(lower(level)))],
            Event::Start(tag @ Tag::Link { .. }) => {
                in_link += 1;
                vec![Event::Start(tag)]
            }
            Event::End(TagEnd::Link) => {
                in_link = in_link.saturating_sub(1);
                vec![Event::End(TagEnd::Link)]
            }
            Event::Text(text) if in_link == 0 => {
                vec![Event::InlineHtml(CowStr::from(linkify_escaped(
                    &text, marks,
                )))]
            }
            // HTML typed into a diary is shown as typed, as in a voice post or a comment:
            // Markdown is the way to format, and `<b>` in a diary means those characters.
            Event::Html(raw) | Event::InlineHtml(raw) => vec![Event::InlineHtml(CowStr::from(
                linkify_escaped(&raw, &Marks::NONE).replace('\n', "<br>\n"),
            ))],
            other => vec![other],
        };
        out
    });
    let mut html = String::with_capacity(markdown.len() * 5 / 4 + 16);
    pulldown_cmark::html::push_html(&mut html, events);
    sanitize_html(&html)
}

fn lower(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    }
}

/// Plain text (a voice post, comment or introduction) as safe HTML: escaped, blank lines
/// between paragraphs, line breaks kept, URLs made links.
///
/// It needs no sanitiser pass: every character of the text is escaped and the only markup is
/// our own (`p`, `br`, and `a` with an escaped http(s) `href` and the `rel` the sanitiser
/// would add). That matters on a diary page with many comments, where ammonia's parse of
/// each would cost more than everything else on the page.
pub fn plain_html(text: &str) -> String {
    plain_html_marked(text, &Marks::NONE)
}

/// [`plain_html`] with mentions and hashtags linked.
pub fn plain_html_marked(text: &str, marks: &Marks<'_>) -> String {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", linkify_escaped(p, marks).replace('\n', "<br>")))
        .collect()
}

/// One line of text (a profile field's value) as safe HTML: escaped, URLs made links.
pub fn inline_html(text: &str) -> String {
    linkify_escaped(text, &Marks::NONE)
}

/// The HTML of a post: what another server sent, already sanitised when it arrived, or the
/// local body rendered by its kind (diaries Markdown, voice posts plain text).
pub fn post_html(post: &crate::Post) -> String {
    match (&post.content_html, post.kind) {
        (Some(html), _) => html.clone(),
        (None, crate::PostKind::Diary) => diary_html(&post.body),
        (None, crate::PostKind::Voice) => plain_html(&post.body),
    }
}

/// The HTML of a comment: another server's sanitised HTML, or the local text rendered.
pub fn comment_html(comment: &crate::Comment) -> String {
    comment
        .content_html
        .clone()
        .unwrap_or_else(|| plain_html(&comment.body))
}

/// HTML-escapes text, turning the http(s) URLs in it into links.
fn linkify_escaped(text: &str, marks: &Marks<'_>) -> String {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    let mut out = String::with_capacity(text.len() + 16);
    for span in finder.spans(text) {
        let s = span.as_str();
        match span.kind() {
            Some(linkify::LinkKind::Url)
                if s.starts_with("https://") || s.starts_with("http://") =>
            {
                let href = escape(s);
                out.push_str(&format!("<a href=\"{href}\" rel=\"{LINK_REL}\">{href}</a>"));
            }
            _ if marks.is_empty() => out.push_str(&escape(s)),
            _ => mark(&mut out, s, marks),
        }
    }
    out
}

/// Escapes `text` into `out`, with the mentions and hashtags `marks` knows as links.
fn mark(out: &mut String, text: &str, marks: &Marks<'_>) {
    for piece in pieces(text) {
        match piece {
            Piece::Mention(raw, handle) => match marks.mention_href(&handle) {
                Some(href) => out.push_str(&format!(
                    "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">{}</a></span>",
                    escape(href.as_str()),
                    escape(raw)
                )),
                None => out.push_str(&escape(raw)),
            },
            Piece::Hashtag(raw, tag) => match marks.tag_base {
                Some(base) => out.push_str(&format!(
                    "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">{}</a>",
                    escape(hashtag_url(base, &tag).as_str()),
                    escape(raw)
                )),
                None => out.push_str(&escape(raw)),
            },
            Piece::Text(t) => out.push_str(&escape(t)),
        }
    }
}

/// Escapes the five characters that mean something in HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered() {
        let html = diary_html("# Day\n\nI met **friends** at\nthe *park*.");
        assert_eq!(
            html,
            "<h2>Day</h2>\n<p>I met <strong>friends</strong> at<br>\nthe <em>park</em>.</p>\n"
        );
    }

    #[test]
    fn markdown_cannot_carry_scripts_or_odd_links() {
        let html = diary_html(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("href=\"javascript:"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        // Typed HTML is shown as the characters typed.
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
    }

    #[test]
    fn bare_urls_become_links_once() {
        let html = diary_html("see https://example.com/a?b=1&c=2. and [there](https://x.example)");
        assert!(
            html.contains(
                "<a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"nofollow noopener noreferrer\">"
            ),
            "{html}"
        );
        assert_eq!(html.matches("<a ").count(), 2, "{html}");
        let plain = plain_html("go to http://a.example/x, <b>now</b>\nok\n\nbye");
        assert_eq!(
            plain,
            "<p>go to <a href=\"http://a.example/x\" rel=\"nofollow noopener noreferrer\">\
             http://a.example/x</a>, &lt;b&gt;now&lt;/b&gt;<br>ok</p><p>bye</p>"
        );
    }

    #[test]
    fn plain_text_html_is_already_what_the_sanitiser_would_make() {
        for text in [
            "a <script>x</script> & \"q\" 'y'\nhttps://a.example/p?x=<1>&y=\"2\"\n\nbye",
            "javascript:alert(1) http://a.example/\" onclick=\"x",
            "<a href=\"https://evil.example\">x</a>",
        ] {
            let html = plain_html(text);
            // The sanitiser, allowed exactly our markup, removes no tag of it.
            assert_eq!(
                ammonia::Builder::empty()
                    .add_tags(["p", "br", "a"])
                    .add_tag_attributes("a", ["href"])
                    .link_rel(Some(LINK_REL))
                    .clean(&html)
                    .to_string()
                    .matches('<')
                    .count(),
                html.matches('<').count(),
                "{html}"
            );
            assert!(
                !html.contains("<script") && !html.contains("onclick=\""),
                "{html}"
            );
        }
    }

    #[test]
    fn other_schemes_stay_text() {
        assert_eq!(
            plain_html("ftp://a.example/x mailto:a@b.example"),
            "<p>ftp://a.example/x mailto:a@b.example</p>"
        );
    }

    #[test]
    fn resolved_mentions_and_hashtags_become_links() {
        let base = Url::parse("https://a.example/").unwrap();
        let hanako = Url::parse("https://a.example/users/hanako").unwrap();
        let taro = Url::parse("https://b.example/users/taro").unwrap();
        let mentions = [
            (
                Handle {
                    username: "hanako".into(),
                    domain: None,
                },
                hanako,
            ),
            (
                Handle {
                    username: "taro".into(),
                    domain: Some("b.example".into()),
                },
                taro,
            ),
        ];
        let marks = Marks {
            mentions: &mentions,
            tag_base: Some(&base),
        };
        let html = plain_html_marked("@Hanako and @taro@B.example, #Tea! @nobody <b>", &marks);
        assert_eq!(
            html,
            "<p><span class=\"h-card\"><a href=\"https://a.example/users/hanako\" \
             class=\"u-url mention\">@Hanako</a></span> and <span class=\"h-card\">\
             <a href=\"https://b.example/users/taro\" class=\"u-url mention\">@taro@B.example</a>\
             </span>, <a href=\"https://a.example/tags/tea\" class=\"mention hashtag\" rel=\"tag\">\
             #Tea</a>! @nobody &lt;b&gt;</p>"
        );
        // The diary keeps the classes through the sanitiser; code and links are left alone.
        let diary = diary_html_marked(
            "Hi @hanako #日記 `@hanako` [#x](https://x.example/)",
            &marks,
        );
        assert!(
            diary.contains("href=\"https://a.example/users/hanako\" class=\"u-url mention\""),
            "{diary}"
        );
        assert!(
            diary.contains("href=\"https://a.example/tags/%E6%97%A5%E8%A8%98\""),
            "{diary}"
        );
        assert!(diary.contains("<code>@hanako</code>"), "{diary}");
        assert_eq!(diary.matches("hashtag").count(), 1, "{diary}");
        // Without marks nothing changes.
        assert_eq!(plain_html("@hanako #tea"), "<p>@hanako #tea</p>");
    }
}
