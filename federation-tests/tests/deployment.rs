//! The production path, for real (issue 16): the `enishi` binary (the release build when
//! `DEPLOYMENT_TEST_BINARY` names it, as `scripts/test` does) behind the TLS proxies from
//! Debian's packages, running the shipped `deploy/Caddyfile` and `deploy/nginx-enishi.conf`
//! with certificates from a test CA.
//!
//! - Instance A: SQLite, one `enishi serve` (with its delivery workers) behind Caddy.
//! - Instance B: PostgreSQL, two `enishi serve --no-workers` and two `enishi worker` behind
//!   nginx, all started at once (the migrations' lock lets them).
//!
//! Through the proxies only, the two federate: a friend request and its approval, a
//! friends-only diary that reaches the friend and nobody else, a comment back. A login session
//! works whichever web process answers. A fan-out of 1,000 deliveries survives one worker
//! being stopped half way: nothing lost, duplicates counted. `X-Forwarded-For` is believed
//! only from the proxy, and the login limit keys on the real client address.

use enishi_federation_tests::tls::TestCa;
use enishi_testkit::web::WebClient;
use enishi_testkit::{DbKind, TestDb};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

mod deployment_support;
use deployment_support::{caddy_config, nginx_config};

enishi_testkit::main!(db: [], plain: [two_instances_federate_through_tls_proxies]);

/// How long anything may take to cross between the instances.
const PATIENCE: Duration = Duration::from_secs(30);

/// The binary under test: the release build if `DEPLOYMENT_TEST_BINARY` names it.
fn binary() -> PathBuf {
    match std::env::var_os("DEPLOYMENT_TEST_BINARY") {
        Some(p) => PathBuf::from(p),
        None => {
            static NOTE: std::sync::Once = std::sync::Once::new();
            NOTE.call_once(|| {
                eprintln!(
                    "note: DEPLOYMENT_TEST_BINARY is not set; testing the debug build of enishi (scripts/test sets it to the release build)"
                )
            });
            PathBuf::from(env!("CARGO_BIN_EXE_enishi-node"))
        }
    }
}

/// A child process, killed if the test ends without stopping it.
struct Process {
    name: String,
    child: Child,
}

impl Process {
    fn spawn(name: &str, command: &mut Command) -> anyhow::Result<Process> {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {name}: {e}"))?;
        Ok(Process {
            name: name.to_owned(),
            child,
        })
    }

    /// Sends SIGTERM and waits for the process to exit.
    fn terminate(&mut self, within: Duration) -> anyhow::Result<ExitStatus> {
        Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()?;
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{} did not stop within {within:?} of SIGTERM",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Process {
    /// SIGTERM first, so that a master process (nginx) takes its workers along; SIGKILL if it
    /// lingers.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None))
            && self.terminate(Duration::from_secs(5)).is_err()
        {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// One instance: its public address (the proxy's) and the environment of its processes.
struct Instance {
    /// `https://localhost:PORT`, the proxy.
    public: String,
    env: Vec<(String, String)>,
    db: TestDb,
}

impl Instance {
    fn new(db: TestDb, public_port: u16, ca: &Path) -> Instance {
        let env = [
            ("ENISHI_DATABASE_URL", db.url.clone()),
            ("ENISHI_DATA_DIR", db.dir.display().to_string()),
            ("ENISHI_DOMAIN", format!("localhost:{public_port}")),
            ("ENISHI_SCHEME", "https".to_owned()),
            ("ENISHI_TRUSTED_PROXIES", "127.0.0.1/32".to_owned()),
            ("ENISHI_EXTRA_CA_CERTS", ca.display().to_string()),
            ("ENISHI_ALLOW_PRIVATE_NETWORKS", "true".to_owned()),
            ("ENISHI_DELIVERY_RETRY_BASE_MS", "200".to_owned()),
            ("ENISHI_DELIVERY_CONCURRENCY", "16".to_owned()),
            (
                "ENISHI_LOG",
                std::env::var("ENISHI_TEST_LOG").unwrap_or_else(|_| "warn".to_owned()),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Instance {
            public: format!("https://localhost:{public_port}"),
            env,
            db,
        }
    }

    fn command(&self, args: &[&str], bind: Option<u16>) -> Command {
        let mut c = Command::new(binary());
        c.env_clear().envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(port) = bind {
            c.env("ENISHI_BIND", format!("127.0.0.1:{port}"));
        }
        c.args(args);
        c
    }

    /// Runs an admin command to completion; returns its standard output.
    fn admin(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = self.command(args, None).stdin(Stdio::null()).output()?;
        anyhow::ensure!(
            out.status.success(),
            "enishi {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Creates a member with a generated password; returns the password.
    fn member(&self, name: &str) -> anyhow::Result<String> {
        let out = self.admin(&["user", "create", name, "--generate-password"])?;
        out.lines()
            .find_map(|l| l.strip_prefix("password: "))
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no password in {out:?}"))
    }
}

/// An HTTP client that trusts the test CA (and only the system's CAs besides), optionally
/// bound to a source address on loopback.
fn client(ca: &Path, from: Option<IpAddr>) -> anyhow::Result<reqwest::Client> {
    let certs = reqwest::Certificate::from_pem_bundle(&std::fs::read(ca)?)?;
    Ok(reqwest::Client::builder()
        .tls_certs_merge(certs)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(from)
        .timeout(Duration::from_secs(20))
        .build()?)
}

async fn wait_until_up(http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = http.get(url).send().await
            && r.status() == 200
        {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "{url} did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A member's API client (a bearer token got by logging in through the proxy).
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn log_in(
        http: &reqwest::Client,
        base: &str,
        name: &str,
        password: &str,
    ) -> anyhow::Result<Api> {
        let r = http
            .post(format!("{base}/api/v1/sessions"))
            .json(&json!({"username": name, "password": password}))
            .send()
            .await?;
        let status = r.status();
        let body: Value = r.json().await?;
        anyhow::ensure!(status == 201, "log in {name}: {status} {body}");
        Ok(Api {
            http: http.clone(),
            base: base.to_owned(),
            token: body["token"].as_str().unwrap_or_default().to_owned(),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let (s, body) = self.call(reqwest::Method::GET, path, None).await?;
        anyhow::ensure!(s == 200, "GET {path}: {s} {body}");
        Ok(body)
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let (s, answer) = self.call(reqwest::Method::POST, path, Some(body)).await?;
        anyhow::ensure!(s == 200 || s == 201, "POST {path}: {s} {answer}");
        Ok(answer)
    }
}

/// Polls `check` until it yields something, for at most [`PATIENCE`].
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        anyhow::ensure!(Instant::now() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn find<'a>(list: &'a Value, field: &str, value: &str) -> Option<&'a Value> {
    list["items"]
        .as_array()?
        .iter()
        .find(|i| i[field].as_str() == Some(value))
}

fn free_port() -> u16 {
    enishi_federation_tests::closed_port()
}

async fn two_instances_federate_through_tls_proxies() -> anyhow::Result<()> {
    for tool in ["/usr/bin/caddy", "/usr/sbin/nginx"] {
        anyhow::ensure!(
            Path::new(tool).exists(),
            "{tool} is missing: scripts/test installs Debian's caddy and nginx"
        );
    }
    let ca = TestCa::new()?;
    let cert = ca.issue("localhost")?;
    let ca_pem = ca.cert_path();
    let http = client(&ca_pem, None)?;

    let (a_public, a_web) = (free_port(), free_port());
    let (b_public, b_web) = (free_port(), [free_port(), free_port()]);
    let a = Instance::new(TestDb::create(DbKind::Sqlite).await?, a_public, &ca_pem);
    let b = Instance::new(TestDb::create(DbKind::Postgres).await?, b_public, &ca_pem);

    // A: one process with its workers, behind Caddy.
    let alice_password = a.member("alice")?;
    let mut a_serve = Process::spawn("A serve", &mut a.command(&["serve"], Some(a_web)))?;
    let caddy_dir = a.db.dir.join("caddy");
    let caddyfile = caddy_config(&caddy_dir, a_public, a_web, &cert)?;
    let _caddy = Process::spawn(
        "caddy",
        Command::new("/usr/bin/caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&caddyfile)
            .env("HOME", &caddy_dir)
            .env("XDG_DATA_HOME", caddy_dir.join("data"))
            .env("XDG_CONFIG_HOME", caddy_dir.join("config")),
    )?;

    // B: two web processes and two workers, started together on a database nobody has
    // migrated yet; then nginx.
    let mut b_serve = Vec::new();
    for port in b_web {
        b_serve.push(Process::spawn(
            &format!("B serve :{port}"),
            &mut b.command(&["serve", "--no-workers"], Some(port)),
        )?);
    }
    // The second worker serves its own `/metrics`, as the guide suggests for worker processes.
    let worker_metrics = free_port();
    let mut workers = vec![
        Process::spawn("B worker 1", &mut b.command(&["worker"], None))?,
        Process::spawn(
            "B worker 2",
            b.command(&["worker"], None)
                .env("ENISHI_METRICS_BIND", format!("127.0.0.1:{worker_metrics}")),
        )?,
    ];
    let nginx_dir = b.db.dir.join("nginx");
    let nginx_conf = nginx_config(&nginx_dir, b_public, &b_web, &cert)?;
    let _nginx = Process::spawn(
        "nginx",
        Command::new("/usr/sbin/nginx")
            .arg("-p")
            .arg(&nginx_dir)
            .arg("-c")
            .arg(&nginx_conf),
    )?;
    for port in b_web {
        wait_until_up(&http, &format!("http://127.0.0.1:{port}/healthz")).await?;
    }
    let bob_password = b.member("bob")?;
    let carol_password = b.member("carol")?;
    wait_until_up(&http, &format!("{}/healthz", a.public)).await?;
    wait_until_up(&http, &format!("{}/readyz", b.public)).await?;

    let alice = Api::log_in(&http, &a.public, "alice", &alice_password).await?;
    let bob = Api::log_in(&http, &b.public, "bob", &bob_password).await?;
    let carol = Api::log_in(&http, &b.public, "carol", &carol_password).await?;
    let alice_id = format!("{}/users/alice", a.public);
    let bob_id = format!("{}/users/bob", b.public);

    // Friends, through both proxies: the request and its acceptance are signed deliveries
    // whose signatures cover the Host each proxy passed on.
    alice
        .post("/api/v1/friends/requests", json!({"target": bob_id}))
        .await?;
    let request = eventually("bob sees alice's request", || async {
        let incoming = bob
            .get("/api/v1/friends/requests?direction=incoming")
            .await?;
        Ok(incoming["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|r| r["from"]["ap_id"] == alice_id.as_str())
                .and_then(|r| r["id"].as_i64())
        }))
    })
    .await?;
    bob.post(
        &format!("/api/v1/friends/requests/{request}/accept"),
        json!({}),
    )
    .await?;
    let bob_handle = format!("bob@localhost:{b_public}");
    eventually("alice sees the friendship", || async {
        let rel = alice
            .get(&format!("/api/v1/users/{bob_handle}/relationship"))
            .await?;
        Ok((rel["friend"] == true).then_some(()))
    })
    .await?;

    // A friends-only diary reaches bob, not carol; bob's comment reaches alice.
    let diary = alice
        .post(
            "/api/v1/diaries",
            json!({"title": "Behind the proxies", "body": "Only for friends.", "audience": "friends"}),
        )
        .await?;
    let ap_id = diary["ap_id"].as_str().unwrap_or_default().to_owned();
    anyhow::ensure!(ap_id.starts_with(&a.public), "an https id: {ap_id}");
    let copy = eventually("the diary reaches bob", || async {
        Ok(find(&bob.get("/api/v1/timeline").await?, "ap_id", &ap_id).cloned())
    })
    .await?;
    anyhow::ensure!(
        find(&carol.get("/api/v1/timeline").await?, "ap_id", &ap_id).is_none(),
        "carol is nobody's friend here"
    );
    let unsigned = http
        .get(&ap_id)
        .header("accept", "application/activity+json")
        .send()
        .await?
        .status();
    anyhow::ensure!(
        unsigned == 401 || unsigned == 404,
        "an unsigned fetch of the diary through Caddy: {unsigned}"
    );
    let comment = bob
        .post(
            &format!(
                "/api/v1/diaries/{}/comments",
                copy["id"].as_str().unwrap_or_default()
            ),
            json!({"text": "Read through nginx"}),
        )
        .await?;
    let comment_ap = comment["ap_id"].as_str().unwrap_or_default().to_owned();
    let diary_id = diary["id"].as_str().unwrap_or_default().to_owned();
    eventually("bob's comment reaches alice", || async {
        let list = alice
            .get(&format!("/api/v1/diaries/{diary_id}/comments"))
            .await?;
        Ok(find(&list, "ap_id", &comment_ap).map(|_| ()))
    })
    .await?;

    // A browser session made through nginx works on either web process.
    let browser = WebClient::with_client(&b.public, http.clone());
    browser.get("/login").await?;
    let login = browser
        .post(
            "/login",
            &[("username", "bob"), ("password", &bob_password)],
        )
        .await?;
    anyhow::ensure!(login.status == 303, "login through nginx: {}", login.status);
    let session = browser
        .cookie("__Host-enishi_session")
        .ok_or_else(|| anyhow::anyhow!("no __Host- session cookie over https"))?;
    for port in b_web {
        let page = http
            .get(format!("http://127.0.0.1:{port}/settings/sessions"))
            .header("host", format!("localhost:{b_public}"))
            .header("x-forwarded-proto", "https")
            .header("cookie", format!("__Host-enishi_session={session}"))
            .send()
            .await?
            .status();
        anyhow::ensure!(page == 200, "the session on web process :{port}: {page}");
    }
    for _ in 0..4 {
        let page = browser.get("/settings/sessions").await?;
        anyhow::ensure!(page.status == 200, "through nginx: {}", page.status);
    }

    deployment_support::fan_out_survives_a_stopped_worker(&b, &ca_pem, &mut workers).await?;
    deployment_support::a_worker_s_metrics_count_its_deliveries(worker_metrics).await?;
    deployment_support::forwarded_for_is_believed_only_from_the_proxy(&b, &ca_pem, &b_web).await?;

    // Every process stops cleanly on SIGTERM.
    for p in b_serve.iter_mut().chain(workers.iter_mut()) {
        let status = p.terminate(Duration::from_secs(30))?;
        anyhow::ensure!(status.success(), "{} exited with {status}", p.name);
    }
    let status = a_serve.terminate(Duration::from_secs(30))?;
    anyhow::ensure!(status.success(), "A serve exited with {status}");
    Ok(())
}
