//! No server-side request forgery through the inbox (issue 12): a signature's `keyId` naming
//! loopback, private or link-local addresses, directly or through a name, makes the server
//! fetch nothing, every refusal answers the same 401 body, and a flood of requests naming a
//! key that hangs costs a bounded number of outgoing connections while the server goes on
//! answering.
//!
//! The instance under test runs on 127.0.0.1 but is named `enishi.test`, so private networks
//! are not allowed; a resolver of the test's own answers `*.test` names with the addresses
//! under test (nothing resolves or connects anywhere but 127.0.0.1).

use enishi_apub::egress::CustomResolver;
use enishi_apub::fetch::KEY_FETCHES_PER_HOST;
use enishi_apub::keys::generate_actor_keys;
use enishi_apub::signatures::Signer;
use enishi_federation_tests::cluster::Node;
use enishi_server::{Running, default_config};
use enishi_testkit::TestDb;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::TcpListener;
use url::Url;

enishi_testkit::main!(db: [
    key_ids_naming_private_addresses_are_never_fetched,
    a_flood_naming_a_hanging_key_costs_a_few_connections,
]);

/// The body of every refused signature.
fn generic_refusal() -> Value {
    json!({ "error": "bad_signature", "message": "signature could not be verified" })
}

/// Answers the names it knows, records every lookup.
#[derive(Default)]
struct TestResolver {
    names: HashMap<String, Vec<IpAddr>>,
    lookups: Mutex<Vec<String>>,
}

impl Resolve for TestResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        self.lookups.lock().unwrap().push(host.clone());
        let answer = self.names.get(&host).cloned();
        Box::pin(async move {
            let ips = answer.ok_or_else(|| format!("{host}: no such name in the test"))?;
            let addrs: Vec<SocketAddr> = ips.into_iter().map(|ip| (ip, 0).into()).collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// A listener on 127.0.0.1 that counts connections (in all, and the most open at once) and
/// never answers.
struct Silent {
    port: u16,
    connections: Arc<AtomicUsize>,
    most_open: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Silent {
    async fn start() -> anyhow::Result<Silent> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let connections = Arc::new(AtomicUsize::new(0));
        let most_open = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let (count, most) = (connections.clone(), most_open.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let now_open = open.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now_open, Ordering::SeqCst);
                let open = open.clone();
                // Read (and never answer) until the client gives up and closes.
                tokio::spawn(async move {
                    use tokio::io::AsyncReadExt;
                    let mut buf = [0u8; 4096];
                    while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Ok(Silent {
            port,
            connections,
            most_open,
            task,
        })
    }

    fn count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A request to `url` signed by `signer`: a POST of `body`, or a GET without one.
async fn signed(
    http: &reqwest::Client,
    signer: &Signer,
    url: &str,
    body: Option<&Value>,
) -> anyhow::Result<(u16, Value)> {
    let url = Url::parse(url)?;
    let now = SystemTime::now();
    let request = match body {
        Some(body) => {
            let bytes = body.to_string().into_bytes();
            let mut req = http.post(url.clone());
            for (k, v) in &signer.sign_post(&url, &bytes, now)?.headers {
                req = req.header(*k, v);
            }
            req.body(bytes)
        }
        None => {
            let mut req = http
                .get(url.clone())
                .header("accept", "application/activity+json");
            for (k, v) in &signer.sign_get(&url, now)?.headers {
                req = req.header(*k, v);
            }
            req
        }
    };
    let resp = request.send().await?;
    let status = resp.status().as_u16();
    Ok((status, resp.json().await.unwrap_or(Value::Null)))
}

fn follow(actor: &str, n: usize) -> Value {
    let origin = Url::parse(actor).expect("actor URL");
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}activities/{n}", origin.join("/").expect("origin")),
        "type": "Follow",
        "actor": actor,
        "object": "http://enishi.test/users/alice",
    })
}

/// Starts an instance named `enishi.test` (plain http, so that only the outgoing-request
/// policy stands between a `keyId` and a fetch) on 127.0.0.1, resolving with `resolver`.
async fn start_named(t: &TestDb, resolver: Arc<TestResolver>) -> anyhow::Result<Running> {
    let mut config = default_config(&t.url, &t.dir);
    config.instance.domain = "enishi.test".into();
    config.instance.scheme = enishi_core::Scheme::Http;
    config.delivery.timeout_secs = 5;
    config.resolver = Some(CustomResolver(resolver));
    anyhow::ensure!(!config.allows_private_networks(), "not for enishi.test");
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    config.bind = listener.local_addr()?;
    enishi_server::start(config, listener, std::future::pending()).await
}

async fn key_ids_naming_private_addresses_are_never_fetched(t: TestDb) -> anyhow::Result<()> {
    let silent = Silent::start().await?;
    let p = silent.port;
    let mut resolver = TestResolver::default();
    for (name, ip) in [
        ("loopback.test", "127.0.0.1"),
        ("metadata.test", "169.254.169.254"),
        ("ten.test", "10.0.0.1"),
        ("home.test", "192.168.1.1"),
        ("corp.test", "172.16.0.1"),
        ("cgnat.test", "100.64.0.1"),
        ("zero.test", "0.0.0.0"),
        ("v6.test", "::1"),
        ("linklocal6.test", "fe80::1"),
        ("ula.test", "fc00::1"),
        ("mapped.test", "::ffff:127.0.0.1"),
        ("mapped-private.test", "::ffff:10.0.0.1"),
        ("multicast.test", "224.0.0.1"),
    ] {
        resolver.names.insert(name.into(), vec![ip.parse()?]);
    }
    let names: Vec<String> = resolver.names.keys().cloned().collect();
    let resolver = Arc::new(resolver);
    let run = start_named(&t, resolver.clone()).await?;
    let base = format!("http://{}", run.config.bind);
    let http = reqwest::Client::new();
    let pem = generate_actor_keys().private_pem;

    // The actor and the key on the same server: only the policy refuses the fetch.
    let mut cases: Vec<(String, String)> = Vec::new();
    for name in &names {
        for scheme in ["http", "https"] {
            let actor = format!("{scheme}://{name}:{p}/users/mallory");
            cases.push((actor.clone(), format!("{actor}#main-key")));
        }
        // GoToSocial-style key documents.
        let actor = format!("http://{name}:{p}/users/mallory");
        cases.push((actor.clone(), format!("{actor}/main-key")));
    }
    for host in [
        format!("127.0.0.1:{p}"),
        format!("[::1]:{p}"),
        format!("[::ffff:127.0.0.1]:{p}"),
        "169.254.169.254".to_owned(),
        "10.0.0.1".to_owned(),
        format!("2130706433:{p}"),
    ] {
        let actor = format!("http://{host}/users/mallory");
        cases.push((actor.clone(), format!("{actor}#main-key")));
    }
    let mut n = 0;
    for (actor, key_id) in &cases {
        n += 1;
        let signer = Signer::from_pem(&pem, key_id)?;
        let activity = follow(actor, n);
        let (s, body) = signed(&http, &signer, &format!("{base}/inbox"), Some(&activity)).await?;
        anyhow::ensure!(
            s == 401 && body == generic_refusal(),
            "{key_id}: {s} {body}"
        );
        // Signed fetches (authorised fetch) verify the same way.
        let (s, body) = signed(&http, &signer, &format!("{base}/diaries/1"), None).await?;
        anyhow::ensure!(
            s == 401 && body == generic_refusal(),
            "GET with {key_id}: {s} {body}"
        );
    }

    // A key on another server than the activity's actor is refused before anything is
    // looked up: its name is never even resolved.
    let lookups_before = resolver.lookups.lock().unwrap().len();
    for (actor, key_id) in [
        (
            "http://public.test/users/mallory",
            format!("http://loopback.test:{p}/users/mallory#main-key"),
        ),
        (
            "http://loopback.test/users/mallory",
            format!("http://loopback.test:{p}/users/mallory#main-key"),
        ),
        (
            "https://loopback.test:{p}/users/mallory",
            format!("http://loopback.test:{p}/users/mallory#main-key"),
        ),
    ] {
        n += 1;
        let actor = actor.replace("{p}", &p.to_string());
        let signer = Signer::from_pem(&pem, &key_id)?;
        let (s, body) = signed(
            &http,
            &signer,
            &format!("{base}/inbox"),
            Some(&follow(&actor, n)),
        )
        .await?;
        anyhow::ensure!(
            s == 401 && body == generic_refusal(),
            "{actor} with {key_id}: {s} {body}"
        );
    }
    // Neither is a body that is not an activity with an actor: 400, no lookup.
    let signer = Signer::from_pem(&pem, format!("http://loopback.test:{p}/k#main-key"))?;
    for body in [
        json!([1, 2]),
        json!({ "type": "Follow", "id": "http://loopback.test/x" }),
    ] {
        let (s, answer) = signed(&http, &signer, &format!("{base}/inbox"), Some(&body)).await?;
        anyhow::ensure!(s == 400, "{body}: {s} {answer}");
    }
    let lookups = resolver.lookups.lock().unwrap().clone();
    anyhow::ensure!(
        lookups.len() == lookups_before,
        "names looked up for keys that cannot be the actor's: {:?}",
        &lookups[lookups_before..]
    );

    anyhow::ensure!(
        silent.count() == 0,
        "the server connected {} times to the listener",
        silent.count()
    );
    run.stop().await
}

async fn a_flood_naming_a_hanging_key_costs_a_few_connections(t: TestDb) -> anyhow::Result<()> {
    // On a localhost instance, where private networks are allowed: the key's server is a
    // listener on 127.0.0.1 that accepts and never answers.
    let node = Node::start(t.kind).await?;
    let silent = Silent::start().await?;
    let actor = format!("http://127.0.0.1:{}/users/slow", silent.port);
    let signer = Arc::new(Signer::from_pem(
        &generate_actor_keys().private_pem,
        format!("{actor}#main-key"),
    )?);
    let inbox = format!("{}/inbox", node.run.base_url);
    let http = reqwest::Client::new();

    let started = Instant::now();
    let flood: Vec<_> = (0..200)
        .map(|n| {
            let (http, signer, inbox, actor) =
                (http.clone(), signer.clone(), inbox.clone(), actor.clone());
            tokio::spawn(
                async move { signed(&http, &signer, &inbox, Some(&follow(&actor, n))).await },
            )
        })
        .collect();
    // The server answers others meanwhile, while the flood's requests still wait on the key.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = Instant::now();
    let nodeinfo = http
        .get(format!("{}/.well-known/nodeinfo", node.run.base_url))
        .timeout(Duration::from_secs(5))
        .send()
        .await?;
    let waited = asked.elapsed();
    let pending = flood.iter().filter(|r| !r.is_finished()).count();
    anyhow::ensure!(
        nodeinfo.status() == 200 && waited < Duration::from_secs(4) && pending > 0,
        "the server should answer during the flood: {} after {waited:?}, {pending} pending",
        nodeinfo.status(),
    );
    for request in flood {
        let (s, body) = request.await??;
        anyhow::ensure!(s == 401 && body == generic_refusal(), "{s} {body}");
    }
    let took = started.elapsed();
    let connections = silent.count();
    let most_open = silent.most_open.load(Ordering::SeqCst);
    anyhow::ensure!(
        (1..=KEY_FETCHES_PER_HOST).contains(&most_open),
        "200 requests naming one hanging key had {most_open} connections open at once"
    );
    // In all: the first slots, and at most one more taken when the first failure freed a slot
    // before the second failure made the key rest.
    anyhow::ensure!(
        (1..=KEY_FETCHES_PER_HOST + 1).contains(&connections),
        "200 requests naming one hanging key made {connections} connections"
    );
    anyhow::ensure!(
        took < Duration::from_secs(30),
        "the flood took {took:?}: requests waited on the hanging key"
    );

    // The key that failed is not fetched again for a while: refused at once.
    let again = Instant::now();
    let (s, body) = signed(&http, &signer, &inbox, Some(&follow(&actor, 1000))).await?;
    anyhow::ensure!(s == 401 && body == generic_refusal(), "{s} {body}");
    anyhow::ensure!(
        again.elapsed() < Duration::from_secs(2) && silent.count() == connections,
        "a key that just failed was fetched again ({:?}, {} connections)",
        again.elapsed(),
        silent.count()
    );
    node.stop().await
}
