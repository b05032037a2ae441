//! The pages' languages: every string a page shows comes from the Fluent files in
//! `crates/web/locales/{en,ja}/main.ftl`, looked up in the visitor's language.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments would end up inside form values and
        // copy-pasted handles; every argument here is a name, a number or a handle.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Japanese.
    Ja,
}

impl Lang {
    /// Every language, in the order the language switch lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ja];

    /// The BCP 47 tag, as `<html lang>` takes it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    /// The language's own name for itself.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ja => "日本語",
        }
    }

    /// A supported language from a tag such as `ja`, `ja-JP` or `en-GB` (primary subtag only).
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// The supported language the browser prefers most, from `Accept-Language` (q-values
    /// honoured; English when none is supported).
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (position, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            // Highest q wins; on a tie, the one listed first.
            if best.is_none_or(|(bq, bp, _)| q > bq || (q == bq && position < bp)) {
                best = Some((q, position, lang));
            }
        }
        best.map_or(Lang::En, |(_, _, lang)| lang)
    }

    fn id(self) -> LanguageIdentifier {
        self.tag().parse().expect("the tags above are valid")
    }

    /// The message `key` in this language.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(&self.id(), key)
    }

    /// The message `key` with named arguments.
    pub fn ta(self, key: &str, args: &[(&'static str, Arg)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| {
                let v = match value {
                    Arg::Text(s) => FluentValue::from(s.as_str()),
                    Arg::Number(n) => FluentValue::from(*n),
                };
                (Cow::Borrowed(*name), v)
            })
            .collect();
        LOCALES.lookup_with_args(&self.id(), key, &map)
    }
}

/// An argument of a message.
#[derive(Debug, Clone)]
pub enum Arg {
    /// Text, such as a name or a handle.
    Text(String),
    /// A number, which Fluent may use to pick a plural form.
    Number(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Self {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ids(text: &str) -> BTreeSet<String> {
        text.lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    /// Every message id of a language, over all its files.
    fn all_ids(lang: &str) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut out = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ftl") {
                out.extend(ids(&std::fs::read_to_string(path).unwrap()));
            }
        }
        out
    }

    #[test]
    fn every_message_exists_in_both_languages() {
        let (en, ja) = (all_ids("en"), all_ids("ja"));
        assert!(en.len() > 50, "the English file has messages");
        let missing_ja: Vec<_> = en.difference(&ja).collect();
        let missing_en: Vec<_> = ja.difference(&en).collect();
        assert!(missing_ja.is_empty(), "not in Japanese: {missing_ja:?}");
        assert!(missing_en.is_empty(), "not in English: {missing_en:?}");
        // Each message resolves in each language by itself (no fallback to English), with
        // arguments of every name the pages pass.
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = [
            "count", "name", "server", "seconds", "handle", "title", "what", "date", "n", "file",
            "app", "error", "size",
        ]
        .into_iter()
        .map(|n| (Cow::Borrowed(n), FluentValue::from(1)))
        .collect();
        for id in &en {
            for lang in Lang::ALL {
                let text = LOCALES.lookup_no_default_fallback(&lang.id(), id, Some(&args));
                assert!(
                    text.is_some_and(|t| !t.trim().is_empty()),
                    "{id} does not resolve in {lang:?}"
                );
            }
        }
    }

    /// Every message key the page code names (as the first string argument of `t`/`ta`) is
    /// in the files, so that no page shows a raw key.
    #[test]
    fn every_key_the_pages_use_exists() {
        let known = all_ids("en");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages");
        let mut used = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let src = std::fs::read_to_string(&path).unwrap();
            for marker in [".t(\"", ".ta(\""] {
                for piece in src.split(marker).skip(1) {
                    if let Some(key) = piece.split('"').next() {
                        used.insert((key.to_owned(), path.display().to_string()));
                    }
                }
            }
        }
        assert!(used.len() > 50, "the scan finds the pages' keys");
        let missing: Vec<_> = used.iter().filter(|(k, _)| !known.contains(k)).collect();
        assert!(missing.is_empty(), "keys used but not defined: {missing:?}");
    }

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language("ja,en;q=0.8"), Lang::Ja);
        assert_eq!(Lang::from_accept_language("en-US,ja;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr, ja-JP;q=0.5"), Lang::Ja);
        assert_eq!(Lang::from_accept_language("de"), Lang::En);
        assert_eq!(Lang::from_accept_language("en;q=0.1, ja;q=0.7"), Lang::Ja);
        assert_eq!(Lang::from_accept_language("ja;q=0, en"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn arguments_are_not_isolated() {
        let s = Lang::En.ta("notifications-unread", &[("count", 3u64.into())]);
        assert!(s.contains('3') && !s.contains('\u{2068}'), "{s}");
    }
}
