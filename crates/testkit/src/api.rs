//! A small JSON API client for driving an instance over real HTTP in tests.

use reqwest::StatusCode;
use serde_json::Value;

/// A JSON client for one instance, optionally with a bearer token.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    /// `http://localhost:PORT`.
    pub base: String,
    token: Option<String>,
}

impl Api {
    /// A client for `base`.
    pub fn new(base: &str, token: Option<String>) -> Self {
        Api {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            token,
        }
    }

    /// The bearer token, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The same client with another HTTP client (one that trusts a test CA, say).
    pub fn with_http(mut self, http: reqwest::Client) -> Api {
        self.http = http;
        self
    }

    /// The same instance, anonymously.
    pub fn anonymous(&self) -> Api {
        Api::new(&self.base, None).with_http(self.http.clone())
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, value))
    }

    /// GET.
    pub async fn get(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::POST, path, None).await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// DELETE with a JSON body.
    pub async fn delete_json(
        &self,
        path: &str,
        body: Value,
    ) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::DELETE, path, Some(body)).await
    }

    /// GET that must succeed; returns the body.
    pub async fn ok(&self, path: &str) -> anyhow::Result<Value> {
        let (status, body) = self.get(path).await?;
        anyhow::ensure!(status == 200, "GET {path}: {status} {body}");
        Ok(body)
    }
}
