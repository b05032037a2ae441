//! A real browser for the web UI's tests (issue 13): Debian's Chromium, headless and
//! phone-sized, driven over WebDriver by its `chromedriver`. Each [`Browser`] is one simulated
//! person with a profile (cookies, storage) of its own. Pages are checked with axe-core (from
//! npm, pinned in `federation-tests/browser`) and for attacker script that ran.
//!
//! `scripts/test` installs Chromium, chromedriver and axe-core; without them the tests fail
//! and say so rather than pass unchecked.
//!
//! ```no_run
//! # async fn f() -> anyhow::Result<()> {
//! use enishi_federation_tests::browser::{BrowserOptions, Driver};
//! let driver = Driver::start().await?;
//! let yuki = driver.browser(BrowserOptions::default().language("ja")).await?;
//! yuki.goto("http://localhost:8080/").await?;
//! yuki.assert_accessible().await?;
//! yuki.assert_no_script_ran().await?;
//! yuki.close().await
//! # }
//! ```

use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::{Value, json};
use std::fmt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver, of the same version as [`CHROMIUM`].
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The default viewport, a phone's (the pages are phone-first).
pub const PHONE: (u32, u32) = (390, 844);

/// The global that the attacker payloads below set when they run.
pub const PWNED: &str = "__enishi_pwned";

/// Attacker input for scenarios to submit wherever a person can write text: if any of them
/// runs, it sets `window.__enishi_pwned`, which [`Browser::assert_no_script_ran`] looks for.
pub const SCRIPT_PAYLOADS: &[&str] = &[
    r#"<img src=x onerror="window.__enishi_pwned=1">"#,
    "<script>window.__enishi_pwned=1</script>",
    r#"<svg onload="window.__enishi_pwned=1"></svg>"#,
    r#""><img src=x onerror="window.__enishi_pwned=1">"#,
    r#"'><script>window.__enishi_pwned=1</script>"#,
];

/// axe-core as `npm ci` installs it in `federation-tests/browser`.
const AXE_JS: &str = "browser/node_modules/axe-core/axe.min.js";

/// How long one WebDriver command may take. chromedriver's own limit, when a page's renderer
/// stops answering, is ten minutes.
const COMMAND: Duration = Duration::from_secs(60);

/// Put into every page before its own scripts: `alert`, `confirm` and `prompt` record their
/// message in `window.__enishi_dialogs` instead of opening a dialog. A dialog opened while a
/// page loads blocks its renderer, and chromedriver (156) then sometimes waits the full ten
/// minutes for it instead of reporting the dialog.
const DIALOG_TRAP: &str = r#"(() => {
    const seen = [];
    Object.defineProperty(window, '__enishi_dialogs', { value: seen });
    for (const name of ['alert', 'confirm', 'prompt']) {
        window[name] = (message) => {
            seen.push(name + ': ' + String(message));
            return name === 'confirm' ? false : null;
        };
    }
})();"#;

/// How long a click may take to bring the next page.
const NAVIGATION: Duration = Duration::from_secs(15);

/// How long chromedriver may take to answer after it starts.
const DRIVER_START: Duration = Duration::from_secs(15);

/// The workspace's root directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("federation-tests sits in the workspace")
        .to_owned()
}

/// `<target>/browser-artifacts`, where screenshots go: the target directory is
/// `CARGO_TARGET_DIR` when set (relative to the workspace, as cargo reads it there), else the
/// workspace's `target`.
pub fn artifacts_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    };
    target.join("browser-artifacts")
}

/// What to tell someone whose machine lacks a browser part.
fn missing(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} is missing: run scripts/test, which installs Debian's chromium and \
         chromium-driver (apt-get) and axe-core (npm ci in federation-tests/browser)"
    )
}

/// A running chromedriver on a loopback port. Clones share it; the process and the browsers
/// it started are killed, and their profiles removed, when the last clone and the last
/// [`Browser`] are gone. It answers within some 40 ms of its start, so each test may start
/// one of its own.
#[derive(Clone)]
pub struct Driver {
    process: Arc<DriverProcess>,
}

struct DriverProcess {
    child: Mutex<Child>,
    url: String,
    // Profiles of browsers not closed yet: removed once their Chromium is dead.
    profiles: Mutex<Vec<PathBuf>>,
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        // chromedriver leaves its Chromium processes running when it is killed, and a test
        // that failed half-way never closed its sessions: kill the whole process group that
        // `start` made for it, by its id.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = child.kill();
        let _ = child.wait();
        for profile in self
            .profiles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            let _ = std::fs::remove_dir_all(profile);
        }
    }
}

impl Driver {
    /// Starts chromedriver on a free loopback port and waits until it is ready for sessions.
    pub async fn start() -> anyhow::Result<Driver> {
        for path in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(path).exists() {
                return Err(missing(path));
            }
        }
        let mut last_error = None;
        // The port was free a moment ago; another process may have taken it since.
        for _ in 0..3 {
            let port = crate::closed_port();
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()?;
            let process = DriverProcess {
                child: Mutex::new(child),
                url: format!("http://127.0.0.1:{port}"),
                profiles: Mutex::new(Vec::new()),
            };
            match process.wait_ready().await {
                Ok(()) => {
                    return Ok(Driver {
                        process: Arc::new(process),
                    });
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error
            .expect("three attempts")
            .context("chromedriver did not start"))
    }

    /// The WebDriver endpoint, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.process.url
    }

    /// Opens a new browser: a fresh profile, so a person of its own.
    pub async fn browser(&self, options: BrowserOptions) -> anyhow::Result<Browser> {
        Browser::open(self, options).await
    }
}

impl DriverProcess {
    async fn wait_ready(&self) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()?;
        let deadline = Instant::now() + DRIVER_START;
        loop {
            if let Some(status) = self.child.lock().expect("not poisoned").try_wait()? {
                anyhow::bail!("chromedriver exited at start: {status}");
            }
            if let Ok(resp) = http.get(format!("{}/status", self.url)).send().await
                && let Ok(body) = resp.json::<Value>().await
                && body["value"]["ready"] == true
            {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "chromedriver did not answer on {} within {DRIVER_START:?}",
                self.url
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// How a [`Browser`] is set up.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// The browser's language: its `navigator.language` and the `Accept-Language` it sends.
    pub language: String,
    /// Viewport width and height in CSS pixels.
    pub viewport: (u32, u32),
    /// Whether the browser passes for a phone: a touch screen, and pages laid out by their
    /// `<meta name="viewport">`.
    pub phone: bool,
}

impl Default for BrowserOptions {
    /// English on a phone. The language is set even here so that a test does not depend on
    /// the machine's locale.
    fn default() -> Self {
        BrowserOptions {
            language: "en".to_owned(),
            viewport: PHONE,
            phone: true,
        }
    }
}

impl BrowserOptions {
    /// The browser's language, e.g. `ja` (sent as `Accept-Language: ja`).
    pub fn language(mut self, language: &str) -> Self {
        self.language = language.to_owned();
        self
    }

    /// A desktop browser with a window of `width` × `height` CSS pixels (at least 500 wide:
    /// headless Chromium makes no narrower window).
    pub fn desktop(mut self, width: u32, height: u32) -> Self {
        self.viewport = (width, height);
        self.phone = false;
        self
    }
}

/// One accessibility rule that a page breaks, as axe-core reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    /// axe's rule id, e.g. `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    /// What the rule asks for.
    pub help: String,
    /// The offending elements: a CSS path and the start of their HTML.
    pub nodes: Vec<String>,
}

impl Violation {
    /// Whether axe rates it `serious` or `critical`.
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {}: {}",
            self.impact.as_deref().unwrap_or("?"),
            self.id,
            self.help
        )?;
        for node in &self.nodes {
            write!(f, "\n      at {node}")?;
        }
        Ok(())
    }
}

/// What an injection into the current page did (see
/// [`Browser::assert_csp_blocks_injected_script`]).
#[derive(Debug, Deserialize)]
struct Injection {
    pwned: Option<String>,
    violations: Vec<String>,
    settled: bool,
}

/// A headless Chromium with a fresh profile, driven through WebDriver.
pub struct Browser {
    client: Client,
    profile: PathBuf,
    language: String,
    // Keeps chromedriver running while the browser is open.
    driver: Driver,
}

impl Browser {
    async fn open(driver: &Driver, options: BrowserOptions) -> anyhow::Result<Browser> {
        let profile = std::env::temp_dir().join(format!(
            "enishi-browser-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&profile)?;
        driver
            .process
            .profiles
            .lock()
            .expect("not poisoned")
            .push(profile.clone());
        let (width, height) = options.viewport;
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={width},{height}"),
            format!("--lang={}", options.language),
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            // Only loopback traffic is allowed here: no update checks, metrics, safe browsing
            // or other calls home, and no name but localhost resolves, so that a page
            // reaching for anything outside fails visibly instead of leaving the machine.
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-default-apps".to_owned(),
            "--disable-domain-reliability".to_owned(),
            "--disable-client-side-phishing-detection".to_owned(),
            "--no-pings".to_owned(),
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost".to_owned(),
        ];
        let mut chrome_options = json!({
            "binary": CHROMIUM,
            "args": args,
            // This preference sets both navigator.language and Accept-Language; headless
            // Chromium ignores --lang (above) for both.
            "prefs": { "intl.accept_languages": options.language },
        });
        if options.phone {
            // Headless Chromium makes no window narrower than 500 pixels, so a phone's
            // viewport is emulated (the user agent stays Chromium's own).
            chrome_options["mobileEmulation"] = json!({
                "deviceMetrics": {
                    "width": width, "height": height, "pixelRatio": 1.0,
                    "mobile": true, "touch": true,
                },
            });
        }
        let capabilities = json!({
            "browserName": "chrome",
            "unhandledPromptBehavior": "dismiss and notify",
            "timeouts": { "script": 30_000, "pageLoad": 30_000, "implicit": 0 },
            "goog:chromeOptions": chrome_options,
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("an object literal")
        };
        let client = tokio::time::timeout(
            COMMAND,
            ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities)
                .connect(driver.url()),
        )
        .await
        .map_err(|_| anyhow::anyhow!("Chromium did not start within {COMMAND:?}"))?
        .map_err(|e| anyhow::anyhow!("starting Chromium through chromedriver: {e}"))?;
        let browser = Browser {
            client,
            profile,
            language: options.language,
            driver: driver.clone(),
        };
        browser
            .devtools(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": DIALOG_TRAP }),
            )
            .await?;
        Ok(browser)
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver (which fantoccini has
    /// no call for).
    async fn devtools(&self, cmd: &str, params: Value) -> anyhow::Result<Value> {
        let session = self
            .cmd(
                || "reading the session id".to_owned(),
                self.client.session_id(),
            )
            .await?
            .ok_or_else(|| anyhow::anyhow!("the browser has no session"))?;
        let resp = reqwest::Client::builder()
            .no_proxy()
            .timeout(COMMAND)
            .build()?
            .post(format!(
                "{}/session/{session}/goog/cdp/execute",
                self.driver.url()
            ))
            .json(&json!({ "cmd": cmd, "params": params }))
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        anyhow::ensure!(status.is_success(), "{cmd}: {status} {body}");
        Ok(body["value"].clone())
    }

    /// The WebDriver client itself, for what the helpers here do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The language the browser was opened with.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// Awaits one WebDriver command, within [`COMMAND`]; a failure names `what` was being
    /// done, and says so when a dialog was in the way (closing it, so the browser goes on).
    async fn cmd<T>(
        &self,
        what: impl FnOnce() -> String,
        command: impl std::future::Future<Output = Result<T, CmdError>>,
    ) -> anyhow::Result<T> {
        match tokio::time::timeout(COMMAND, command).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) if e.is_unexpected_alert_open() => {
                // chromedriver closed the dialog already and named its text in the error.
                let _ = self.client.dismiss_alert().await;
                anyhow::bail!(
                    "{}: a dialog was open on the page (attacker script ran?): {e}",
                    what()
                )
            }
            Ok(Err(e)) => anyhow::bail!("{}: {e}", what()),
            Err(_) => anyhow::bail!("{}: the browser did not answer within {COMMAND:?}", what()),
        }
    }

    /// Opens `url` and waits until it has loaded.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.cmd(|| format!("opening {url}"), self.client.goto(url))
            .await
    }

    /// The page's address now (after redirects and form posts).
    pub async fn current_url(&self) -> anyhow::Result<Url> {
        self.cmd(|| "reading the URL".to_owned(), self.client.current_url())
            .await
    }

    async fn find(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        match tokio::time::timeout(COMMAND, self.client.find(Locator::Css(css))).await {
            Ok(Err(e)) if e.is_no_such_element() => {
                let url = self.current_url().await?;
                anyhow::bail!("no element matches {css:?} on {url}")
            }
            Ok(found) => {
                self.cmd(|| format!("finding {css:?}"), async { found })
                    .await
            }
            Err(_) => {
                anyhow::bail!("finding {css:?}: the browser did not answer within {COMMAND:?}")
            }
        }
    }

    /// Types `value` into the form field named `name` (an input, a textarea, or a select
    /// whose option has that value), replacing what it held.
    pub async fn fill(&self, name: &str, value: &str) -> anyhow::Result<()> {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        let field = self.find(&format!(r#"[name="{escaped}"]"#)).await?;
        let what = || format!("filling {name:?}");
        let tag = self.cmd(what, field.tag_name()).await?;
        if tag.eq_ignore_ascii_case("select") {
            self.cmd(what, field.select_by_value(value)).await
        } else if value.chars().all(|c| (c as u32) <= 0xFFFF) {
            self.cmd(what, field.clear()).await?;
            self.cmd(what, field.send_keys(value)).await
        } else {
            // chromedriver types only characters of the Basic Multilingual Plane; emoji and
            // the like are set directly, with the input event typing would have fired.
            let set = self.client.execute(
                "arguments[0].value = arguments[1];
                 arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
                vec![json!(field), json!(value)],
            );
            self.cmd(what, set).await.map(drop)
        }
    }

    /// Picks the file at `path` in the file input named `name`, as a person choosing a file
    /// does (WebDriver hands the input the file's path on this machine).
    pub async fn attach(&self, name: &str, path: &std::path::Path) -> anyhow::Result<()> {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        let field = self
            .find(&format!(r#"input[type=file][name="{escaped}"]"#))
            .await?;
        let path = path
            .to_str()
            .ok_or_else(|| anyhow::anyhow!("the path {path:?} is not UTF-8"))?;
        self.cmd(
            || format!("attaching {path} to {name:?}"),
            field.send_keys(path),
        )
        .await
    }

    /// Clicks the first element that matches the CSS selector `css` (a link, a form's
    /// button) and waits until the page it leads to has loaded; fails when no new page comes.
    /// chromedriver's own click returns as soon as the click is done, sometimes before a form
    /// post has even begun to navigate.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let element = self.find(css).await?;
        let what = || format!("clicking {css:?}");
        self.execute("window.__enishi_old_page = true;", vec![])
            .await?;
        self.cmd(what, element.click()).await?;
        let deadline = Instant::now() + NAVIGATION;
        loop {
            let state = tokio::time::timeout(
                COMMAND,
                self.client.execute(
                    "return window.__enishi_old_page ? 'old' : document.readyState;",
                    vec![],
                ),
            )
            .await;
            match state {
                Ok(Ok(state)) if state == "complete" => return Ok(()),
                Ok(Err(e)) if e.is_unexpected_alert_open() => {
                    return self.cmd(what, async { Err(e) }).await;
                }
                Err(_) => {
                    anyhow::bail!("{}: the browser did not answer within {COMMAND:?}", what())
                }
                // Still the old page, the new one loading, or the old one going away under
                // the script.
                Ok(_) => {}
            }
            if Instant::now() > deadline {
                let url = self.current_url().await?;
                anyhow::bail!(
                    "clicking {css:?} on {url} led to no new page within {NAVIGATION:?} \
                     (use click_in_place for a click that stays on the page)"
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Clicks the first element that matches `css` where the click is not meant to leave the
    /// page (a disclosure, a checkbox).
    pub async fn click_in_place(&self, css: &str) -> anyhow::Result<()> {
        let element = self.find(css).await?;
        self.cmd(|| format!("clicking {css:?}"), element.click())
            .await
    }

    /// The page's text as a person sees it (the body's rendered text).
    pub async fn text(&self) -> anyhow::Result<String> {
        self.text_of("body").await
    }

    /// The rendered text of the first element that matches `css`.
    pub async fn text_of(&self, css: &str) -> anyhow::Result<String> {
        let element = self.find(css).await?;
        self.cmd(|| format!("reading {css:?}"), element.text())
            .await
    }

    /// The rendered text of every element that matches `css`, in document order (none: empty).
    pub async fn texts_of(&self, css: &str) -> anyhow::Result<Vec<String>> {
        let what = || format!("reading {css:?}");
        let elements = self
            .cmd(what, self.client.find_all(Locator::Css(css)))
            .await?;
        let mut texts = Vec::with_capacity(elements.len());
        for element in elements {
            texts.push(self.cmd(what, element.text()).await?);
        }
        Ok(texts)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns
    /// what it returns. WebDriver's scripts are not subject to the page's
    /// Content-Security-Policy.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        self.cmd(
            || "running a script".to_owned(),
            self.client.execute(script, args),
        )
        .await
    }

    /// Like [`Browser::execute`], for a script that ends by calling its last argument with
    /// the result.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        self.cmd(
            || "running a script".to_owned(),
            self.client.execute_async(script, args),
        )
        .await
    }

    /// What `alert`, `confirm` and `prompt` were called with on the current page (they
    /// open no dialog in these browsers: see [`Browser::assert_no_script_ran`]).
    pub async fn dialogs(&self) -> anyhow::Result<Vec<String>> {
        let seen = self
            .execute("return window.__enishi_dialogs || [];", vec![])
            .await?;
        Ok(serde_json::from_value(seen)?)
    }

    /// Saves a PNG of the window as `<target>/browser-artifacts/NAME` (`.png` added when
    /// missing) and returns its path.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        anyhow::ensure!(
            !name.is_empty() && !name.contains(['/', '\\']) && !name.starts_with('.'),
            "a screenshot's name is a plain file name, not {name:?}"
        );
        let png = self
            .cmd(
                || "taking a screenshot".to_owned(),
                self.client.screenshot(),
            )
            .await?;
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir)?;
        let file = if name.ends_with(".png") {
            dir.join(name)
        } else {
            dir.join(format!("{name}.png"))
        };
        std::fs::write(&file, png)?;
        Ok(file)
    }

    /// Runs axe-core on the current page and returns the accessibility rules it breaks.
    pub async fn axe(&self) -> anyhow::Result<Vec<Violation>> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(AXE_JS);
        let source = std::fs::read_to_string(&path)
            .map_err(|e| missing(&format!("axe-core ({}: {e})", path.display())))?;
        // The page's own scripts are never trusted with the check: axe is defined anew in
        // each page it checks.
        self.execute(&source, vec![]).await?;
        let outcome = self
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ['violations'] }).then(
                    (r) => done({ violations: r.violations.map((v) => ({
                        id: v.id,
                        impact: v.impact,
                        help: v.help,
                        nodes: v.nodes.map((n) => n.target.join(' ') + ' ' + n.html.slice(0, 120)),
                    })) }),
                    (e) => done({ error: String(e) }),
                );"#,
                vec![],
            )
            .await?;
        if let Some(error) = outcome.get("error") {
            anyhow::bail!("axe-core failed: {error}");
        }
        Ok(serde_json::from_value(outcome["violations"].clone())?)
    }

    /// Fails, listing them, when axe-core finds a `serious` or `critical` violation on the
    /// current page.
    pub async fn assert_accessible(&self) -> anyhow::Result<()> {
        let serious: Vec<Violation> = self
            .axe()
            .await?
            .into_iter()
            .filter(Violation::is_serious)
            .collect();
        if serious.is_empty() {
            return Ok(());
        }
        let url = self.current_url().await?;
        let list: Vec<String> = serious.iter().map(|v| format!("  - {v}")).collect();
        anyhow::bail!(
            "{} serious or critical accessibility violation(s) on {url}:\n{}",
            serious.len(),
            list.join("\n")
        )
    }

    /// Fails when script that an attacker could have planted has run on the current page:
    /// `window.__enishi_pwned` is set (see [`SCRIPT_PAYLOADS`]), or `alert`, `confirm` or
    /// `prompt` was called. Those open no dialog here: every page gets, before its own
    /// scripts, stand-ins that record the call, because a dialog opened during a page load
    /// can hold chromedriver for ten minutes. A real dialog, should one open all the same,
    /// fails the check too (and is closed).
    pub async fn assert_no_script_ran(&self) -> anyhow::Result<()> {
        match tokio::time::timeout(COMMAND, self.client.get_alert_text()).await {
            Ok(Ok(text)) => {
                let _ = self.client.dismiss_alert().await;
                anyhow::bail!("attacker script ran: a dialog was open, saying {text:?}");
            }
            Ok(Err(e)) if e.is_no_such_alert() => {}
            Ok(other) => {
                self.cmd(|| "looking for a dialog".to_owned(), async { other })
                    .await?;
            }
            Err(_) => {
                anyhow::bail!("looking for a dialog: the browser did not answer within {COMMAND:?}")
            }
        }
        let dialogs = self.dialogs().await?;
        if !dialogs.is_empty() {
            let url = self.current_url().await?;
            anyhow::bail!("attacker script ran on {url}: it called {dialogs:?}");
        }
        let pwned = self
            .execute(
                &format!("return window.{PWNED} === undefined ? null : String(window.{PWNED});"),
                vec![],
            )
            .await?;
        if let Value::String(value) = pwned {
            let url = self.current_url().await?;
            anyhow::bail!("attacker script ran on {url}: window.{PWNED} = {value:?}");
        }
        Ok(())
    }

    /// Proves on the current page that its Content-Security-Policy stops injected script:
    /// an image with an inline `onerror` handler and an inline `<script>` element are put
    /// into the page (as markup that slipped past escaping would be), and neither may run,
    /// while the browser reports both as policy violations.
    pub async fn assert_csp_blocks_injected_script(&self) -> anyhow::Result<()> {
        let outcome = self
            .execute_async(
                &format!(
                    r#"const done = arguments[arguments.length - 1];
                    const violations = [];
                    document.addEventListener('securitypolicyviolation',
                        (e) => violations.push(e.violatedDirective));
                    const image = document.createElement('img');
                    image.setAttribute('onerror', 'window.{PWNED} = "img onerror"');
                    let errored = false;
                    image.addEventListener('error', () => {{ errored = true; }});
                    image.src = 'data:,not-an-image';
                    const script = document.createElement('script');
                    script.textContent = 'window.{PWNED} = "inline script"';
                    document.body.append(image, script);
                    const start = Date.now();
                    const blocked = (d) => violations.some((v) => v === d);
                    (function settle() {{
                        const settled = blocked('script-src-attr') && blocked('script-src-elem');
                        const ran = window.{PWNED} !== undefined;
                        if ((errored && (settled || ran)) || Date.now() - start > 5000) {{
                            image.remove();
                            script.remove();
                            const p = window.{PWNED};
                            done({{ pwned: p === undefined ? null : String(p), violations, settled }});
                        }} else {{
                            setTimeout(settle, 10);
                        }}
                    }})();"#
                ),
                vec![],
            )
            .await?;
        let injection: Injection = serde_json::from_value(outcome)?;
        let url = self.current_url().await?;
        if let Some(pwned) = injection.pwned {
            anyhow::bail!(
                "injected script ran on {url} (window.{PWNED} = {pwned:?}); violations reported: {:?}",
                injection.violations
            );
        }
        anyhow::ensure!(
            injection.settled,
            "on {url}, the browser did not report blocking both inline handler and inline \
             script as Content-Security-Policy violations (reported: {:?})",
            injection.violations
        );
        Ok(())
    }

    /// Ends the browser session (Chromium quits) and removes its profile.
    pub async fn close(self) -> anyhow::Result<()> {
        tokio::time::timeout(COMMAND, self.client.clone().close())
            .await
            .map_err(|_| anyhow::anyhow!("closing the browser: no answer within {COMMAND:?}"))?
            .map_err(|e| anyhow::anyhow!("closing the browser: {e}"))?;
        self.driver
            .process
            .profiles
            .lock()
            .expect("not poisoned")
            .retain(|p| p != &self.profile);
        let _ = std::fs::remove_dir_all(&self.profile);
        Ok(())
    }
}
