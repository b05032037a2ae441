//! The outgoing-request policy against real sockets: a resolver of the test's own answers a
//! name with each refused kind of address, and a listener on 127.0.0.1 records whether anything
//! connected. Nothing here connects anywhere but 127.0.0.1.

use enishi_apub::egress::{AddressClass, CustomResolver, FilteringResolver, Policy, Refused};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// Answers every name with `answers[n]` on the n-th lookup (the last one ever after).
struct Scripted {
    answers: Vec<Vec<IpAddr>>,
    lookups: AtomicUsize,
}

impl Scripted {
    fn new(answers: &[&[&str]]) -> Arc<Self> {
        Arc::new(Scripted {
            answers: answers
                .iter()
                .map(|a| a.iter().map(|ip| ip.parse().unwrap()).collect())
                .collect(),
            lookups: AtomicUsize::new(0),
        })
    }

    fn always(ip: &str) -> Arc<Self> {
        Scripted::new(&[&[ip]])
    }
}

impl Resolve for Scripted {
    fn resolve(&self, _name: Name) -> Resolving {
        let n = self.lookups.fetch_add(1, Ordering::SeqCst);
        let answer = self.answers[n.min(self.answers.len() - 1)].clone();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = answer.into_iter().map(|ip| (ip, 0).into()).collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// A listener on 127.0.0.1 that counts connections and answers each with a tiny 200.
struct Recorder {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Recorder {
    async fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let _ = socket
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                });
            }
        });
        Recorder { port, connections }
    }

    fn count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn policy_client(allow_private: bool, resolver: Arc<Scripted>) -> enishi_apub::egress::Client {
    Policy::new(allow_private)
        .with_resolver(CustomResolver(resolver))
        .client(reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)))
        .unwrap()
}

/// The request's failure, which must be the policy's refusal.
async fn refused(client: &enishi_apub::egress::Client, url: &str) -> Refused {
    let url = Url::parse(url).unwrap();
    let request = match client.get(&url) {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let error = request
        .send()
        .await
        .expect_err("the policy should have refused");
    enishi_apub::egress::refusal(&error)
        .cloned()
        .unwrap_or_else(|| panic!("{url}: not refused by the policy: {error:?}"))
}

const REFUSED: &[(&str, AddressClass)] = &[
    ("127.0.0.1", AddressClass::Loopback),
    ("127.1.2.3", AddressClass::Loopback),
    ("10.0.0.1", AddressClass::Private),
    ("172.16.0.1", AddressClass::Private),
    ("192.168.1.1", AddressClass::Private),
    ("169.254.169.254", AddressClass::LinkLocal),
    ("100.64.0.1", AddressClass::SharedCgnat),
    ("0.0.0.0", AddressClass::Unspecified),
    ("255.255.255.255", AddressClass::Broadcast),
    ("224.0.0.1", AddressClass::Multicast),
    ("192.0.2.10", AddressClass::Documentation),
    ("198.18.0.1", AddressClass::Reserved),
    ("240.0.0.1", AddressClass::Reserved),
    ("::1", AddressClass::Loopback),
    ("::", AddressClass::Unspecified),
    ("fe80::1", AddressClass::LinkLocal),
    ("fc00::1", AddressClass::UniqueLocal),
    ("fd00:ec2::254", AddressClass::UniqueLocal),
    ("ff02::1", AddressClass::Multicast),
    ("2001:db8::1", AddressClass::Documentation),
    ("::ffff:127.0.0.1", AddressClass::Loopback),
    ("::ffff:10.0.0.1", AddressClass::Private),
    ("::ffff:169.254.169.254", AddressClass::LinkLocal),
    ("::127.0.0.1", AddressClass::Loopback),
    ("64:ff9b::a9fe:a9fe", AddressClass::LinkLocal),
    ("2002:7f00:1::1", AddressClass::Loopback),
];

#[tokio::test]
async fn each_address_class_is_refused_before_connecting() {
    let recorder = Recorder::start().await;
    for (ip, class) in REFUSED {
        let client = policy_client(false, Scripted::always(ip));
        let url = format!("http://victim.test:{}/key", recorder.port);
        match refused(&client, &url).await {
            Refused::Address {
                host,
                ip: got,
                class: got_class,
            } => {
                assert_eq!(host, "victim.test");
                assert_eq!(got, IpAddr::from_str(ip).unwrap(), "{ip}");
                assert_eq!(got_class, *class, "{ip}");
            }
            other => panic!("{ip}: {other:?}"),
        }
        // https too: the refusal comes before any TLS.
        let url = format!("https://victim.test:{}/key", recorder.port);
        assert!(matches!(
            refused(&client, &url).await,
            Refused::Address { .. }
        ));
    }
    assert_eq!(recorder.count(), 0, "nothing may have connected");
}

#[tokio::test]
async fn literal_ip_urls_are_refused_before_sending() {
    let recorder = Recorder::start().await;
    let resolver = Scripted::always("127.0.0.1");
    let client = policy_client(false, resolver.clone());
    let p = recorder.port;
    for url in [
        format!("http://127.0.0.1:{p}/actor"),
        format!("http://127.1:{p}/actor"),
        format!("http://2130706433:{p}/actor"),
        format!("http://[::1]:{p}/actor"),
        format!("http://[::ffff:127.0.0.1]:{p}/actor"),
        format!("https://[::ffff:7f00:1]:{p}/actor"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://[fe80::1]/".to_owned(),
    ] {
        assert!(
            matches!(refused(&client, &url).await, Refused::Address { .. }),
            "{url}"
        );
    }
    assert!(matches!(
        refused(&client, "ftp://victim.test/").await,
        Refused::Url(_)
    ));
    // The client handed to the federation crate checks literals too.
    let federation = client.for_federation_crate();
    let error = federation
        .get(format!("http://127.0.0.1:{p}/actor"))
        .send()
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("refused"), "{error}");
    assert_eq!(recorder.count(), 0);
    assert_eq!(
        resolver.lookups.load(Ordering::SeqCst),
        0,
        "literals never resolve"
    );
}

#[tokio::test]
async fn private_networks_are_reachable_when_allowed() {
    let recorder = Recorder::start().await;
    let client = policy_client(true, Scripted::always("127.0.0.1"));
    let p = recorder.port;
    for url in [
        format!("http://victim.test:{p}/ok"),
        format!("http://127.0.0.1:{p}/ok"),
    ] {
        let resp = client
            .get(&Url::parse(&url).unwrap())
            .unwrap()
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{url}");
        assert_eq!(resp.text().await.unwrap(), "ok");
    }
    assert_eq!(recorder.count(), 2);
    // Even then, what is never a real destination stays refused.
    for ip in ["0.0.0.0", "224.0.0.1", "::"] {
        let client = client_allowing(ip);
        let url = format!("http://victim.test:{p}/ok");
        assert!(matches!(
            refused(&client, &url).await,
            Refused::Address { .. }
        ));
    }
    assert_eq!(recorder.count(), 2);
}

fn client_allowing(ip: &str) -> enishi_apub::egress::Client {
    policy_client(true, Scripted::always(ip))
}

#[tokio::test]
async fn a_rebinding_resolver_is_refused_at_connect_time() {
    let recorder = Recorder::start().await;
    // A public answer first (what a check made ahead of the request would see), loopback
    // afterwards (what the connection would use).
    let resolver = Scripted::new(&[&["93.184.215.14"], &["127.0.0.1"]]);
    let policy = Policy::new(false).with_resolver(CustomResolver(resolver.clone()));
    let first: Vec<SocketAddr> = FilteringResolver::new(policy.clone())
        .resolve(Name::from_str("rebind.test").unwrap())
        .await
        .expect("the first, public answer passes")
        .collect();
    assert_eq!(first.len(), 1);
    let client = policy.client(reqwest::Client::builder()).expect("a client");
    let url = format!("http://rebind.test:{}/key", recorder.port);
    assert!(matches!(
        refused(&client, &url).await,
        Refused::Address {
            class: AddressClass::Loopback,
            ..
        }
    ));
    assert_eq!(resolver.lookups.load(Ordering::SeqCst), 2, "resolved again");

    // An answer mixing loopback with a public address is refused whole, whatever the order.
    for answer in [
        &["127.0.0.1", "93.184.215.14"][..],
        &["93.184.215.14", "::ffff:127.0.0.1"][..],
    ] {
        let resolver = Scripted::new(&[answer]);
        let filter =
            FilteringResolver::new(Policy::new(false).with_resolver(CustomResolver(resolver)));
        assert!(
            filter
                .resolve(Name::from_str("mixed.test").unwrap())
                .await
                .is_err(),
            "{answer:?}"
        );
    }
    // Through a client (loopback first, so that a faulty filter would show up on the
    // recorder and nothing else).
    let client = policy_client(false, Scripted::new(&[&["127.0.0.1", "93.184.215.14"]]));
    let url = format!("http://mixed.test:{}/key", recorder.port);
    assert!(matches!(
        refused(&client, &url).await,
        Refused::Address { .. }
    ));
    // An empty answer is refused as such.
    let client = policy_client(false, Scripted::new(&[&[]]));
    assert!(matches!(
        refused(&client, &url).await,
        Refused::NoAddress(_)
    ));
    assert_eq!(recorder.count(), 0);
}
