//! Parts of the single-instance leak hunt (`leak_hunt.rs`): the model and its oracle, building
//! and changing the community, and reading everything as everyone.

pub mod build;
pub mod html;
pub mod mastodon;
pub mod mastodon_mine;
pub mod mastodon_stream;
pub mod model;
pub mod pages;
pub mod read;
pub mod reports;

use crate::common::Api;
use enishi_testkit::markers::markers_in;
use model::{Model, name};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// Problems found, kept rather than asserted so that one run reports them all: (phase, what is
/// wrong) → where it was seen.
pub struct Report {
    pub seed: u64,
    pub phase: AtomicU8,
    found: Mutex<BTreeMap<(u8, String), Vec<String>>>,
    /// Requests judged.
    pub checks: AtomicUsize,
}

impl Report {
    pub fn new(seed: u64) -> Report {
        Report {
            seed,
            phase: AtomicU8::new(1),
            found: Mutex::new(BTreeMap::new()),
            checks: AtomicUsize::new(0),
        }
    }

    /// Records that `head` is wrong, as seen at `place`.
    pub fn problem(&self, head: String, place: String) {
        let phase = self.phase.load(Ordering::Relaxed);
        let mut found = self.found.lock().unwrap();
        let places = found.entry((phase, head)).or_default();
        if !places.contains(&place) {
            places.push(place);
        }
    }

    /// Records `what` unless `ok`.
    pub fn check(&self, ok: bool, what: impl FnOnce() -> String) {
        self.checks.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.problem(what(), String::new());
        }
    }

    /// Every marker in `body` that `v` may not see is a leak, and so is every photo URL of a
    /// post `v` may not see.
    pub fn scan(&self, m: &Model, v: Option<usize>, place: &str, body: &str) {
        for (at, _) in body.match_indices("/media/") {
            let Some(key) = model::photo_key(&body[at..]) else {
                continue;
            };
            if let Some(post) = m.photo_keys.get(key)
                && !m.sees_post(v, post)
            {
                let who = v.map_or("anonymous".to_owned(), name);
                self.problem(
                    format!("LEAK: a photo URL of {post}"),
                    format!("{who} via {place}"),
                );
            }
        }
        for marker in markers_in(body) {
            let Some(mark) = m.marks.get(marker) else {
                continue;
            };
            if !m.sees_mark(v, mark) {
                let who = v.map_or("anonymous".to_owned(), name);
                let standing = m
                    .owner(mark)
                    .map_or(String::new(), |o| format!(" [{}]", m.standing(v, o)));
                self.problem(
                    format!("LEAK: {}", m.describe(mark)),
                    format!("{who}{standing} via {place}"),
                );
            }
        }
    }

    /// One line per problem, with the seed and phase that replay it.
    pub fn lines(&self) -> Vec<String> {
        self.found
            .lock()
            .unwrap()
            .iter()
            .map(|((phase, head), places)| {
                let at = match places.first() {
                    Some(p) if !p.is_empty() => format!(" — {p}"),
                    _ => String::new(),
                };
                let more = match places.len() {
                    0 | 1 => String::new(),
                    n => format!(
                        " (and {} more, e.g. {})",
                        n - 1,
                        examples(places).join("; ")
                    ),
                };
                format!("seed {} phase {phase}: {head}{at}{more}", self.seed)
            })
            .collect()
    }
}

/// A GET whose body is scanned for markers `v` may not see.
pub async fn get(
    r: &Report,
    m: &Model,
    api: &Api,
    v: Option<usize>,
    path: &str,
) -> anyhow::Result<(StatusCode, Value)> {
    let (s, body) = api.get(path).await?;
    r.scan(m, v, &format!("API {path}"), &body.to_string());
    Ok((s, body))
}

/// Every page of a list, each scanned.
pub async fn all_pages(
    r: &Report,
    m: &Model,
    api: &Api,
    v: Option<usize>,
    path: &str,
) -> anyhow::Result<(u16, Vec<Value>)> {
    let mut out = Vec::new();
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{sep}limit=100");
    loop {
        let (s, page) = get(r, m, api, v, &url).await?;
        if s != 200 {
            return Ok((s.as_u16(), out));
        }
        out.extend(page["items"].as_array().cloned().unwrap_or_default());
        let next = page["next"].as_str().map(str::to_owned);
        match next {
            Some(n) => url = format!("{path}{sep}limit=100&cursor={n}"),
            None => return Ok((200, out)),
        }
    }
}

/// The `field` of each item.
pub fn ids(items: &[Value], field: &str) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Up to three more places after the first, of as many kinds of read as there are (a list, an
/// object by id, a timeline, a signed fetch, …) rather than the same read by other readers.
fn examples(places: &[String]) -> Vec<&str> {
    let kind = |p: &str| -> String {
        let how = p.split(" via ").nth(1).unwrap_or(p);
        how.split('/')
            .map(|seg| {
                if seg.contains('-') || seg.contains('@') {
                    "*"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut seen = vec![kind(&places[0])];
    let mut out: Vec<&str> = Vec::new();
    for p in &places[1..] {
        let k = kind(p);
        if !seen.contains(&k) {
            seen.push(k);
            out.push(p);
        }
    }
    for p in &places[1..] {
        if out.len() >= 3 {
            break;
        }
        if !out.contains(&p.as_str()) {
            out.push(p);
        }
    }
    out.truncate(3);
    out
}
