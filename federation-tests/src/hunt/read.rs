//! What every reader requests, and the requests themselves.

use super::{CONCURRENCY, Hunt, SAMPLE};
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use rand::Rng;
use serde_json::{Value, json};

/// How much a round of reading covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// What the second read needs to know: the posts each member is shown of the other
    /// instance's members (to request them by id later), and the comments owed.
    Lean,
    /// Every list, page and anonymous document, and the comments owed.
    Lists,
    /// Everything: lists, pages, documents (signed too), then objects by id.
    Full,
}

/// How a read is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    /// The JSON API, with the reader's token (none when anonymous).
    Api,
    /// A page, `Accept: text/html`, anonymously.
    Html,
    /// A page, `Accept: text/html`, by the reader logged in with a browser session on their
    /// own instance.
    Page,
    /// ActivityStreams, anonymously.
    Ap,
    /// ActivityStreams, signed by the reader (a member of the other instance).
    Signed,
}

/// What a read is of, for the checks beyond the marker scan.
#[derive(Debug, Clone)]
pub(super) enum What {
    /// A member's diaries or voice posts.
    Posts(usize),
    /// A member's friends list.
    Friends(usize),
    /// A member's introductions.
    Intros(usize),
    /// A post by id.
    Post(String),
    /// A post's comments.
    Comments(String),
    /// An introduction by id.
    Intro(String),
    /// A post's ActivityStreams object.
    ApPost(String),
    /// A member's followers or following collection.
    People(usize),
    /// A member as Mastodon apps see them (the handle in `url`): their account and statuses,
    /// found by `lookup` (scanned).
    MastodonAccount,
    /// Anything else: scanned only.
    Other,
}

/// One request of one reader.
#[derive(Debug, Clone)]
pub(super) struct Read {
    /// The reader: a member, or nobody.
    pub viewer: Option<usize>,
    /// The instance asked.
    pub at: usize,
    pub via: Via,
    /// An API path, or a full URL.
    pub url: String,
    pub what: What,
}

/// What came back (all pages of a list, merged).
pub(super) struct Answer {
    pub status: u16,
    pub body: String,
    pub json: Value,
}

impl Hunt {
    fn api(&self, viewer: Option<usize>, at: usize, url: String, what: What) -> Read {
        Read {
            viewer,
            at,
            via: Via::Api,
            url,
            what,
        }
    }

    fn web(&self, viewer: Option<usize>, at: usize, via: Via, url: String, what: What) -> Read {
        Read {
            viewer,
            at,
            via,
            url,
            what,
        }
    }

    /// Round 1: lists, profiles, pages and documents. Round 2: objects by id, as
    /// [`Hunt::plan_objects`] chooses them.
    pub(super) fn plan(&mut self, round: u8, depth: Depth) -> Vec<Read> {
        let mut out = Vec::new();
        let readers: Vec<Option<usize>> = self.model.all().map(Some).chain([None, None]).collect();
        let mut anonymous_at = 0..2;
        for v in readers {
            let at = match v {
                Some(v) => self.model.instance(v),
                None => anonymous_at.next().expect("two anonymous readers"),
            };
            if round == 1 {
                self.plan_lists(v, at, depth, &mut out);
            } else {
                self.plan_objects(v, at, depth == Depth::Full, &mut out);
            }
        }
        out
    }

    /// Whether `v` reads the lists of `o`: always on `v`'s own instance, and of those `v` is or
    /// was related to on the other; a sample of the strangers there (a stranger's copies
    /// there are public ones: nothing stale or owed).
    fn reads_lists_of(&mut self, v: Option<usize>, o: usize) -> bool {
        let Some(v) = v else {
            return true;
        };
        let m = &self.model;
        let rel = m.rel(Some(v), o);
        m.instance(v) == m.instance(o)
            || rel.friend
            || rel.friend_of_friend
            || rel.blocked
            || m.ended.contains_key(&(v.min(o), v.max(o)))
            || self.rng.gen_bool(SAMPLE)
    }

    fn plan_lists(&mut self, v: Option<usize>, at: usize, depth: Depth, out: &mut Vec<Read>) {
        for o in self.model.all() {
            if !self.reads_lists_of(v, o) {
                continue;
            }
            let h = self.model.handle_at(o, at);
            if depth == Depth::Lean {
                if v.is_some_and(|v| self.model.instance(v) != self.model.instance(o)) {
                    for kind in ["diaries", "voices"] {
                        let path = format!("/api/v1/users/{h}/{kind}");
                        out.push(self.api(v, at, path, What::Posts(o)));
                    }
                }
                continue;
            }
            out.push(self.api(v, at, format!("/api/v1/users/{h}"), What::Other));
            for kind in ["diaries", "voices"] {
                out.push(self.api(v, at, format!("/api/v1/users/{h}/{kind}"), What::Posts(o)));
            }
            out.push(self.api(
                v,
                at,
                format!("/api/v1/users/{h}/friends"),
                What::Friends(o),
            ));
            let intros = format!("/api/v1/users/{h}/introductions");
            out.push(self.api(v, at, intros, What::Intros(o)));
            if depth == Depth::Full {
                out.push(self.api(v, at, h.clone(), What::MastodonAccount));
            }
        }
        if depth == Depth::Lean && v.is_none() {
            return;
        }
        let Some(v) = v else {
            self.plan_anonymous(at, out);
            return;
        };
        // Signed, at the other instance, as its server would fetch for the member: every post
        // the member may see now or might before the changes, a sample of the rest. Before the
        // changes, only which those were is noted (the API lists are what is read then).
        let other = 1 - at;
        let posts: Vec<(String, bool)> = self
            .model
            .posts
            .iter()
            .filter(|(_, p)| self.model.instance(p.author) == other)
            .map(|(ap, p)| {
                let allowed = self.model.may(Some(v), p.author, p.audience);
                (ap.clone(), allowed)
            })
            .collect();
        if depth != Depth::Full {
            for (ap, allowed) in posts {
                if allowed {
                    self.entitled.insert((v, ap));
                }
            }
            return;
        }
        for path in [
            "/api/v1/timeline",
            "/api/v1/notifications",
            "/api/v1/footprints",
            "/api/v1/me",
            "/api/v1/friends/requests?direction=incoming",
            "/api/v1/friends/requests?direction=outgoing",
            "/api/v1/blocks",
            // The same member through the Mastodon API (their own token serves it).
            "/api/v1/timelines/home?limit=40",
            "/api/v1/timelines/public?limit=40",
            "/api/v1/bookmarks?limit=40",
            "/api/v2/search?q=MK&limit=40",
        ] {
            out.push(self.api(Some(v), at, path.to_owned(), What::Other));
        }
        self.plan_pages(v, at, out);
        for (ap, allowed) in posts {
            let wanted = allowed || self.entitled.contains(&(v, ap.clone()));
            if wanted || self.rng.gen_bool(SAMPLE) {
                out.push(self.web(Some(v), other, Via::Signed, ap.clone(), What::ApPost(ap)));
            }
        }
        for o in self
            .model
            .all()
            .filter(|&o| self.model.instance(o) == other)
        {
            let actor = self.members[o].ap_id.to_string();
            if self.rng.gen_bool(SAMPLE) {
                out.push(self.web(Some(v), other, Via::Signed, actor.clone(), What::Other));
            }
            if self.rng.gen_bool(0.5) {
                let followers = format!("{actor}/followers");
                out.push(self.web(Some(v), other, Via::Signed, followers, What::People(o)));
            }
            if self.rng.gen_bool(0.5) {
                let intros = format!("{actor}/introductions");
                out.push(self.web(Some(v), other, Via::Signed, intros, What::Other));
            }
        }
    }

    /// The web pages member `v` opens on their own instance `at`: home, their own lists, the
    /// profile page of every member (local by name, remote as the instance knows them) and the
    /// page of every post written there. Scanned for markers.
    fn plan_pages(&mut self, v: usize, at: usize, out: &mut Vec<Read>) {
        let base = self.nodes[at].run.base_url.clone();
        for path in [
            "/",
            "/timeline",
            "/notifications",
            "/friends",
            "/friends/requests",
        ] {
            out.push(self.web(Some(v), at, Via::Page, format!("{base}{path}"), What::Other));
        }
        let m = &self.model;
        let mut pages = Vec::new();
        for o in m.all() {
            let h = m.handle_at(o, at);
            if m.instance(o) == at {
                pages.push(format!("{base}/users/{h}"));
                pages.push(format!("{base}/users/{h}/diaries"));
                pages.push(format!("{base}/users/{h}/friends"));
            } else {
                pages.push(format!("{base}/@{h}"));
            }
        }
        for (ap, p) in &m.posts {
            if m.instance(p.author) == at {
                pages.push(ap.clone());
            }
        }
        for url in pages {
            out.push(self.web(Some(v), at, Via::Page, url, What::Other));
        }
    }

    /// Pages and documents of instance `at`, anonymously.
    fn plan_anonymous(&mut self, at: usize, out: &mut Vec<Read>) {
        let m = &self.model;
        for o in m.all().filter(|&o| m.instance(o) == at) {
            let actor = self.members[o].ap_id.to_string();
            out.push(self.web(None, at, Via::Html, actor.clone(), What::Other));
            out.push(self.web(None, at, Via::Ap, actor.clone(), What::Other));
            for c in ["outbox", "followers", "following", "introductions"] {
                out.push(self.web(None, at, Via::Ap, format!("{actor}/{c}"), What::Other));
            }
        }
        for (ap, p) in &m.posts {
            if m.instance(p.author) == at {
                out.push(self.web(None, at, Via::Html, ap.clone(), What::Other));
                out.push(self.web(None, at, Via::Ap, ap.clone(), What::ApPost(ap.clone())));
            }
        }
    }

    /// Objects by id: what the reader was shown before but not in this phase's lists (a stale
    /// copy would answer), what is owed but was not listed, comments wherever there are some
    /// the reader was shown the post of, and a sample of everything else. Without `by_id`, only
    /// the comments owed.
    fn plan_objects(&mut self, v: Option<usize>, at: usize, by_id: bool, out: &mut Vec<Read>) {
        let shown = self.shown.get(&(v, at)).cloned().unwrap_or_default();
        let phase = self.phase;
        let posts: Vec<(String, String)> = self.known[at]
            .posts
            .iter()
            .map(|(a, p)| (a.clone(), p.clone()))
            .collect();
        for (ap, path) in posts {
            let ever = shown.contains_key(&ap);
            let now = shown.get(&ap) == Some(&phase);
            let owed = v.is_some_and(|v| self.model.owes_post(v, &ap));
            let commented = self.model.comments.values().any(|c| c.post == ap);
            if !by_id {
                if commented && owed {
                    let comments = format!("/api/v1/{path}/comments");
                    out.push(self.api(v, at, comments, What::Comments(ap.clone())));
                }
                continue;
            }
            if ((ever || owed) && !now) || self.rng.gen_bool(SAMPLE) {
                out.push(self.api(v, at, format!("/api/v1/{path}"), What::Post(ap.clone())));
            }
            if commented && (ever || owed || self.rng.gen_bool(SAMPLE)) {
                let comments = format!("/api/v1/{path}/comments");
                out.push(self.api(v, at, comments, What::Comments(ap.clone())));
            }
            if self.rng.gen_bool(SAMPLE / 2.0) {
                out.push(self.api(v, at, format!("/api/v1/{path}/likes"), What::Other));
            }
        }
        if !by_id {
            return;
        }
        let intros: Vec<(String, String)> = self.known[at]
            .intros
            .iter()
            .map(|(a, i)| (a.clone(), i.clone()))
            .collect();
        for (ap, id) in intros {
            let stale = shown.contains_key(&ap) && shown.get(&ap) != Some(&phase);
            if stale || self.rng.gen_bool(SAMPLE) {
                out.push(self.api(
                    v,
                    at,
                    format!("/api/v1/introductions/{id}"),
                    What::Intro(ap),
                ));
            }
        }
        // Comments at their origin: signed by members of the other instance, and anonymously.
        let (origin, via) = match v {
            Some(v) => (1 - self.model.instance(v), Via::Signed),
            None => (at, Via::Ap),
        };
        let comments: Vec<String> = self
            .model
            .comments
            .iter()
            .filter(|(_, c)| self.model.instance(c.author) == origin)
            .map(|(ap, _)| ap.clone())
            .collect();
        for ap in comments {
            if self.rng.gen_bool(0.3) {
                out.push(self.web(v, origin, via, ap, What::Other));
            }
        }
        if let Some(v) = v {
            let fetched: Vec<String> = self
                .fetched
                .iter()
                .filter(|(r, ap)| *r == v && self.model.comments.values().any(|c| &c.post == ap))
                .map(|(_, ap)| ap.clone())
                .collect();
            for ap in fetched {
                out.push(self.web(
                    Some(v),
                    origin,
                    Via::Signed,
                    format!("{ap}/replies"),
                    What::Other,
                ));
            }
        }
    }

    /// Makes every read, `CONCURRENCY` at a time; answers in the order of `reads`.
    pub(super) async fn fetch_all(&self, reads: &[Read]) -> anyhow::Result<Vec<Answer>> {
        // No closure over the reads: a stream of borrowing futures built by one is not
        // provably `Send` (rustc #110338).
        let mut pending = FuturesOrdered::new();
        let mut next = reads.iter();
        for r in next.by_ref().take(CONCURRENCY) {
            pending.push_back(self.fetch(r));
        }
        let mut out = Vec::with_capacity(reads.len());
        while let Some(answer) = pending.next().await {
            out.push(answer?);
            if let Some(r) = next.next() {
                pending.push_back(self.fetch(r));
            }
        }
        Ok(out)
    }

    async fn fetch(&self, r: &Read) -> anyhow::Result<Answer> {
        match r.via {
            Via::Api => {
                let api = match r.viewer {
                    Some(v) => self.members[v].api.clone(),
                    None => self.members[r.at * self.model.per].api.anonymous(),
                };
                if let What::MastodonAccount = r.what {
                    // The account as `lookup` finds it, then its statuses: one answer.
                    let (status, account) = api
                        .get(&format!("/api/v1/accounts/lookup?acct={}", r.url))
                        .await?;
                    let statuses = match account["id"].as_str() {
                        Some(id) => {
                            let path = format!("/api/v1/accounts/{id}/statuses?limit=40");
                            api.get(&path).await?.1
                        }
                        None => Value::Null,
                    };
                    let json = json!({"account": account, "statuses": statuses});
                    return Ok(Answer {
                        status: status.as_u16(),
                        body: json.to_string(),
                        json,
                    });
                }
                let paged = matches!(
                    r.what,
                    What::Posts(_) | What::Friends(_) | What::Intros(_) | What::Comments(_)
                ) || r.url.contains("/timeline")
                    || r.url.contains("/notifications");
                let sep = if r.url.contains('?') { '&' } else { '?' };
                let first = if paged {
                    format!("{}{sep}limit=100", r.url)
                } else {
                    r.url.clone()
                };
                let (status, mut json) = api.get(&first).await?;
                let mut items = json["items"].as_array().cloned();
                let mut next = json["next"].as_str().map(str::to_owned);
                while let Some(cursor) = next {
                    let url = format!("{}{sep}limit=100&cursor={cursor}", r.url);
                    json = api.get(&url).await?.1;
                    if let Some(list) = items.as_mut() {
                        list.extend(json["items"].as_array().cloned().unwrap_or_default());
                    }
                    next = json["next"].as_str().map(str::to_owned);
                }
                let json = match items {
                    Some(items) if paged => json!({ "items": items }),
                    _ => json,
                };
                Ok(Answer {
                    status: status.as_u16(),
                    body: json.to_string(),
                    json,
                })
            }
            Via::Html | Via::Ap | Via::Page => {
                let accept = if r.via == Via::Ap {
                    "application/activity+json"
                } else {
                    "text/html"
                };
                let mut req = self.nodes[r.at].http.get(&r.url).header("accept", accept);
                if r.via == Via::Page {
                    let v = r.viewer.expect("a page is read by a member");
                    req = req.header("cookie", &self.members[v].web_cookie);
                }
                let resp = req.send().await?;
                let status = resp.status().as_u16();
                let body = resp.text().await?;
                let json = serde_json::from_str(&body).unwrap_or(Value::Null);
                Ok(Answer { status, body, json })
            }
            Via::Signed => {
                let v = r.viewer.expect("a signed read has a signer");
                let (status, json) = self.members[v].signed_get(&r.url).await?;
                Ok(Answer {
                    status,
                    body: json.to_string(),
                    json,
                })
            }
        }
    }
}
