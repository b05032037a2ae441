//! A small browser stand-in for page tests over real HTTP: keeps its cookies, asks for HTML,
//! sends forms with the page's form token, and does not follow redirects (so that tests see
//! the 303 and its `Location`).

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// One page answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// `Location`, for redirects.
    pub location: Option<String>,
    /// The body.
    pub html: String,
    /// Every `Set-Cookie` header sent.
    pub set_cookies: Vec<String>,
    /// Every response header, lower-case names.
    pub headers: reqwest::header::HeaderMap,
}

/// A file sent with [`WebClient::post_multipart`], as a file input sends it.
#[derive(Debug, Clone, Copy)]
pub struct FilePart<'a> {
    /// The input's name.
    pub field: &'a str,
    /// The file's name.
    pub file_name: &'a str,
    /// The type the browser claims (the server sniffs the bytes anyway).
    pub content_type: &'a str,
    /// The file.
    pub bytes: &'a [u8],
}

/// A simulated person's browser: its own cookies, its own language.
pub struct WebClient {
    /// `http://host:port` of the instance.
    pub base: String,
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
    /// `Accept-Language` sent with every request, if any.
    pub accept_language: Option<String>,
}

impl WebClient {
    /// A browser with no cookies.
    pub fn new(base: &str) -> WebClient {
        WebClient {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client with default TLS builds"),
            cookies: Mutex::new(BTreeMap::new()),
            accept_language: None,
        }
    }

    /// A browser with no cookies that talks through `http` (which must not follow redirects:
    /// a test client trusting a test CA, or bound to a chosen source address).
    pub fn with_client(base: &str, http: reqwest::Client) -> WebClient {
        WebClient {
            base: base.trim_end_matches('/').to_owned(),
            http,
            cookies: Mutex::new(BTreeMap::new()),
            accept_language: None,
        }
    }

    /// The same browser asking for pages in `lang`.
    pub fn with_language(mut self, lang: &str) -> WebClient {
        self.accept_language = Some(lang.to_owned());
        self
    }

    /// A cookie's current value.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    /// Forgets every cookie (as a new private window would).
    pub fn clear_cookies(&self) {
        self.cookies.lock().unwrap().clear();
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> anyhow::Result<Answer> {
        let mut req = req.header(ACCEPT, "text/html,application/xhtml+xml");
        if let Some(l) = &self.accept_language {
            req = req.header(ACCEPT_LANGUAGE, l);
        }
        let jar = {
            let cookies = self.cookies.lock().unwrap();
            cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        if !jar.is_empty() {
            req = req.header(COOKIE, jar);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        {
            let mut cookies = self.cookies.lock().unwrap();
            for sc in &set_cookies {
                let first = sc.split(';').next().unwrap_or("");
                let Some((name, value)) = first.split_once('=') else {
                    continue;
                };
                let expired = sc.to_ascii_lowercase().contains("max-age=0");
                if expired || value.is_empty() {
                    cookies.remove(name.trim());
                } else {
                    cookies.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let html = resp.text().await?;
        Ok(Answer {
            status,
            location,
            html,
            set_cookies,
            headers,
        })
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> anyhow::Result<Answer> {
        self.send(self.http.get(self.url(path))).await
    }

    /// `POST path` with form fields and the form token this browser holds (fetched from `/`
    /// first if it has none yet).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Answer> {
        let token = match self.csrf_token() {
            Some(t) => t,
            None => {
                self.get("/").await?;
                self.csrf_token()
                    .ok_or_else(|| anyhow::anyhow!("the site set no form token cookie"))?
            }
        };
        let mut all: Vec<(&str, &str)> = vec![("csrf", &token)];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// `POST path` with exactly these fields (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Answer> {
        let body = serde_urlencoded::to_string(fields)?;
        self.send(
            self.http
                .post(self.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        )
        .await
    }

    /// `POST path` as a browser sends a form with file inputs (`multipart/form-data`): the
    /// form token this browser holds first (as the pages put it), then `fields`, then `files`.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[FilePart<'_>],
    ) -> anyhow::Result<Answer> {
        let token = match self.csrf_token() {
            Some(t) => t,
            None => {
                self.get("/").await?;
                self.csrf_token()
                    .ok_or_else(|| anyhow::anyhow!("the site set no form token cookie"))?
            }
        };
        let mut all: Vec<(&str, &str)> = vec![("csrf", &token)];
        all.extend_from_slice(fields);
        self.post_multipart_raw(path, &all, files).await
    }

    /// `POST path` as a multipart form with exactly these fields, in this order, then `files`
    /// (no token added).
    pub async fn post_multipart_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[FilePart<'_>],
    ) -> anyhow::Result<Answer> {
        use reqwest::multipart::{Form, Part};
        let mut form = Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for f in files {
            let part = Part::bytes(f.bytes.to_vec())
                .file_name(f.file_name.to_owned())
                .mime_str(f.content_type)?;
            form = form.part(f.field.to_owned(), part);
        }
        self.send(self.http.post(self.url(path)).multipart(form))
            .await
    }

    /// The form token cookie's value.
    pub fn csrf_token(&self) -> Option<String> {
        self.cookie("enishi_csrf")
            .or_else(|| self.cookie("__Host-enishi_csrf"))
    }

    /// Logs in through the login form; fails unless the site answers with a redirect.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<()> {
        self.get("/login").await?;
        let a = self
            .post("/login", &[("username", username), ("password", password)])
            .await?;
        anyhow::ensure!(
            a.status == StatusCode::SEE_OTHER,
            "login as {username} answered {}",
            a.status
        );
        Ok(())
    }
}

/// The text of an HTML document with tags removed and whitespace collapsed (for "no trace"
/// checks that should not depend on markup).
pub fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
