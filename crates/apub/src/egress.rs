//! The outgoing-request policy (DESIGN §8): every HTTP request this server makes to another
//! server — signed fetches of actors, keys and objects, deliveries, WebFinger — goes through a
//! [`Client`] built by [`Policy::client`], and nothing else sends HTTP.
//!
//! The policy refuses destinations that are not on the public internet: loopback, private
//! (10/8, 172.16/12, 192.168/16), shared CGNAT space (100.64/10), link-local (169.254/16,
//! fe80::/10), unique-local (fc00::/7), multicast, unspecified, broadcast, and documentation
//! or otherwise reserved ranges, for IPv4 and IPv6 alike (an IPv4 address embedded in IPv6 —
//! mapped, compatible, NAT64, 6to4 — is judged as the IPv4 address). Without it, anyone could
//! make the server fetch `http://127.0.0.1:PORT/…` or `http://169.254.169.254/…` by naming it
//! as a signature's `keyId`.
//!
//! The check is made on the *resolved* addresses, at connect time, by the DNS resolver the
//! client connects with ([`FilteringResolver`]): what is checked is exactly what is connected
//! to, so a name that resolves to a public address once and to `127.0.0.1` the next time (DNS
//! rebinding) gains nothing. An answer that mixes public and refused addresses is refused
//! whole. A URL whose host is an IP literal never reaches a resolver, so [`Client::get`] and
//! [`Client::post`] check it before a request is even built ([`Policy::check_url`]). Clients
//! follow no redirects and use no proxy (a proxy would resolve the destination itself).
//!
//! [`Policy::new`]`(true)` — `ENISHI_ALLOW_PRIVATE_NETWORKS`, on by default only for an
//! instance named `localhost` — lets loopback and private networks through (tests, local
//! development, an instance federating inside a private network). Multicast, unspecified,
//! broadcast and reserved addresses stay refused even then.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use url::{Host, Url};

/// What kind of destination an IP address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressClass {
    /// On the public internet: always allowed.
    Public,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, fec0::/10 (deprecated site-local), 64:ff9b:1::/48
    /// (local-use NAT64).
    Private,
    /// 100.64.0.0/10, carrier-grade NAT.
    SharedCgnat,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// fc00::/7.
    UniqueLocal,
    /// 224/4, ff00::/8.
    Multicast,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// 255.255.255.255.
    Broadcast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// Everything else that is not public: 192.0.0/24, 198.18/15, 192.88.99/24, 240/4,
    /// IPv4-compatible IPv6 with a public address, 100::/64, 2001::/23, 5f00::/16, and IPv6
    /// outside 2000::/3.
    Reserved,
}

impl AddressClass {
    /// The class of `ip`.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => classify_v4(v4),
            IpAddr::V6(v6) => classify_v6(v6),
        }
    }

    /// Whether this is a network of the machine's own surroundings (loopback, private, CGNAT,
    /// link-local, unique-local): what `allow_private_networks` lets through.
    pub fn is_local_network(self) -> bool {
        matches!(
            self,
            AddressClass::Loopback
                | AddressClass::Private
                | AddressClass::SharedCgnat
                | AddressClass::LinkLocal
                | AddressClass::UniqueLocal
        )
    }

    /// A short name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressClass::Public => "public",
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::SharedCgnat => "shared (CGNAT)",
            AddressClass::LinkLocal => "link-local",
            AddressClass::UniqueLocal => "unique-local",
            AddressClass::Multicast => "multicast",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Documentation => "documentation",
            AddressClass::Reserved => "reserved",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    use AddressClass::*;
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (0, _, _) => Unspecified,
        (127, _, _) => Loopback,
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => Private,
        (100, 64..=127, _) => SharedCgnat,
        (169, 254, _) => LinkLocal,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Documentation,
        (192, 0, 0) | (192, 88, 99) | (198, 18..=19, _) => Reserved,
        (224..=239, _, _) => Multicast,
        (255, 255, 255) if ip.is_broadcast() => Broadcast,
        (240..=255, _, _) => Reserved,
        _ => Public,
    }
}

/// An embedded IPv4 address keeps its class unless public, in which case `otherwise`.
fn embedded(v4: Ipv4Addr, otherwise: AddressClass) -> AddressClass {
    match classify_v4(v4) {
        AddressClass::Public => otherwise,
        class => class,
    }
}

fn v4_of(hi: u16, lo: u16) -> Ipv4Addr {
    let [a, b] = hi.to_be_bytes();
    let [c, d] = lo.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    use AddressClass::*;
    if ip.is_unspecified() {
        return Unspecified;
    }
    if ip.is_loopback() {
        return Loopback;
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        // ::ffff:a.b.c.d: a socket connects to the IPv4 address itself.
        return classify_v4(v4);
    }
    match ip.segments() {
        // ::a.b.c.d, IPv4-compatible (deprecated; never a route to the public internet).
        [0, 0, 0, 0, 0, 0, hi, lo] => embedded(v4_of(hi, lo), Reserved),
        // 64:ff9b::/96, NAT64: reaches the embedded IPv4 address.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => embedded(v4_of(hi, lo), Public),
        [0x64, 0xff9b, 1, ..] => Private,
        [0x100, 0, 0, 0, ..] => Reserved,
        [0x2001, 0xdb8, ..] => Documentation,
        [0x2001, b, ..] if b < 0x200 => Reserved,
        // 2002::/16, 6to4: reaches the embedded IPv4 address.
        [0x2002, hi, lo, ..] => embedded(v4_of(hi, lo), Public),
        [0x3fff, b, ..] if b < 0x1000 => Documentation,
        [0x5f00, ..] => Reserved,
        [a, ..] if a & 0xfe00 == 0xfc00 => UniqueLocal,
        [a, ..] if a & 0xffc0 == 0xfe80 => LinkLocal,
        [a, ..] if a & 0xffc0 == 0xfec0 => Private,
        [a, ..] if a & 0xff00 == 0xff00 => Multicast,
        [a, ..] if a & 0xe000 == 0x2000 => Public,
        _ => Reserved,
    }
}

/// Why the policy refused a request. Logged; never shown to whoever caused the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not an `http`/`https` URL with a host.
    #[error("{0} is not an http(s) URL with a host")]
    Url(String),
    /// The host is, or resolves to, an address the policy refuses.
    #[error("{host} is {ip}, a {class} address: refused by the outgoing-request policy")]
    Address {
        /// The host as named.
        host: String,
        /// The (first) refused address.
        ip: IpAddr,
        /// Its class.
        class: AddressClass,
    },
    /// The name resolved to no address at all.
    #[error("{0} resolves to no address")]
    NoAddress(String),
}

/// The refusal anywhere in `error`'s chain of sources (a refused connection surfaces as a
/// `reqwest::Error` whose source's source… is the resolver's [`Refused`]).
pub fn refusal<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e Refused> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<Refused>() {
            return Some(r);
        }
        current = e.source();
    }
    None
}

/// A DNS resolver to use instead of the system's (tests answer names with chosen addresses).
/// The policy filters whatever it answers.
#[derive(Clone)]
pub struct CustomResolver(pub Arc<dyn Resolve>);

impl fmt::Debug for CustomResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CustomResolver")
    }
}

/// The system's resolver (`getaddrinfo`, on tokio's blocking pool).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The outgoing-request policy: which destinations may be connected to, and the resolver that
/// names are resolved with.
#[derive(Clone)]
pub struct Policy {
    allow_private_networks: bool,
    resolver: Arc<dyn Resolve>,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("allow_private_networks", &self.allow_private_networks)
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// The policy, with the system resolver; `allow_private_networks` lets loopback and
    /// private networks through (see [`AddressClass::is_local_network`]).
    pub fn new(allow_private_networks: bool) -> Self {
        Policy {
            allow_private_networks,
            resolver: Arc::new(SystemResolver),
        }
    }

    /// The same policy resolving names with `resolver` (whose answers are still filtered).
    pub fn with_resolver(mut self, resolver: CustomResolver) -> Self {
        self.resolver = resolver.0;
        self
    }

    /// Whether loopback and private networks are allowed.
    pub fn allows_private_networks(&self) -> bool {
        self.allow_private_networks
    }

    /// Whether `ip` may be connected to; `host` names it in the refusal.
    pub fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        let class = AddressClass::of(ip);
        if class == AddressClass::Public
            || (self.allow_private_networks && class.is_local_network())
        {
            Ok(())
        } else {
            Err(Refused::Address {
                host: host.to_owned(),
                ip,
                class,
            })
        }
    }

    /// Whether `url` may be requested as far as it can be told without resolving: an `http` or
    /// `https` URL with a host, and an IP-literal host must be allowed (names are checked
    /// when they are resolved, at connect time).
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused::Url(url.to_string()));
        }
        match url.host() {
            Some(Host::Ipv4(ip)) => self.check_ip(&ip.to_string(), IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.check_ip(&ip.to_string(), IpAddr::V6(ip)),
            Some(Host::Domain(name)) => match name.parse::<IpAddr>() {
                // The URL parser already turns IP literals into `Host::Ipv4`/`Ipv6`; this is
                // for any form it leaves as a name.
                Ok(ip) => self.check_ip(name, ip),
                Err(_) => Ok(()),
            },
            None => Err(Refused::Url(url.to_string())),
        }
    }

    /// Builds the client that every outgoing request must use, from `builder` (timeouts, user
    /// agent, trusted CAs…): it resolves through this policy's filter, follows no redirects
    /// and uses no proxy.
    pub fn client(&self, builder: reqwest::ClientBuilder) -> reqwest::Result<Client> {
        let inner = builder
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(FilteringResolver {
                policy: self.clone(),
            }))
            .build()?;
        Ok(Client {
            inner,
            policy: self.clone(),
        })
    }
}

/// The resolver every policy client connects with: resolves with the policy's resolver, then
/// refuses the whole answer if any address in it is refused (or if it is empty).
#[derive(Debug, Clone)]
pub struct FilteringResolver {
    policy: Policy,
}

impl FilteringResolver {
    /// A filter for `policy`.
    pub fn new(policy: Policy) -> Self {
        FilteringResolver { policy }
    }
}

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        let resolving = policy.resolver.resolve(name);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = resolving.await?.collect();
            if addrs.is_empty() {
                return Err(Box::new(Refused::NoAddress(host)) as _);
            }
            for addr in &addrs {
                if let Err(refused) = policy.check_ip(&host, addr.ip()) {
                    return Err(Box::new(refused) as _);
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client that obeys the [`Policy`]. It hands out request builders only for URLs the
/// policy accepts; its connections resolve through the policy's filter.
#[derive(Clone)]
pub struct Client {
    inner: reqwest::Client,
    policy: Policy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A GET of `url`, if the policy accepts it.
    pub fn get(&self, url: &Url) -> Result<reqwest::RequestBuilder, Refused> {
        self.policy.check_url(url)?;
        Ok(self.inner.get(url.clone()))
    }

    /// A POST to `url`, if the policy accepts it.
    pub fn post(&self, url: &Url) -> Result<reqwest::RequestBuilder, Refused> {
        self.policy.check_url(url)?;
        Ok(self.inner.post(url.clone()))
    }

    /// The policy this client obeys.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// This client for the federation crate (which takes a `reqwest_middleware` client): a
    /// middleware applies [`Policy::check_url`] to every request before it is sent.
    pub fn for_federation_crate(&self) -> reqwest_middleware::ClientWithMiddleware {
        reqwest_middleware::ClientBuilder::new(self.inner.clone())
            .with(UrlCheck(self.policy.clone()))
            .build()
    }
}

/// [`Policy::check_url`] as a `reqwest_middleware` middleware.
struct UrlCheck(Policy);

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for UrlCheck {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        self.0
            .check_url(req.url())
            .map_err(reqwest_middleware::Error::middleware)?;
        next.run(req, extensions).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AddressClass::*;

    fn class(s: &str) -> AddressClass {
        AddressClass::of(s.parse().unwrap())
    }

    #[test]
    fn classifies_ipv4() {
        for (ip, expected) in [
            ("8.8.8.8", Public),
            ("1.1.1.1", Public),
            ("127.0.0.1", Loopback),
            ("127.255.0.9", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("172.32.0.1", Public),
            ("192.168.1.1", Private),
            ("100.64.0.1", SharedCgnat),
            ("100.127.255.255", SharedCgnat),
            ("100.128.0.1", Public),
            ("169.254.169.254", LinkLocal),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("255.255.255.255", Broadcast),
            ("240.0.0.1", Reserved),
            ("192.0.2.1", Documentation),
            ("198.51.100.1", Documentation),
            ("203.0.113.1", Documentation),
            ("198.18.0.1", Reserved),
            ("192.0.0.8", Reserved),
        ] {
            assert_eq!(class(ip), expected, "{ip}");
        }
    }

    #[test]
    fn classifies_ipv6() {
        for (ip, expected) in [
            ("2606:4700::1111", Public),
            ("::1", Loopback),
            ("::", Unspecified),
            ("fe80::1", LinkLocal),
            ("fc00::1", UniqueLocal),
            ("fd12:3456::1", UniqueLocal),
            ("fec0::1", Private),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("3fff::1", Documentation),
            ("2001::1", Reserved),
            ("100::1", Reserved),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.0.0.1", Private),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:8.8.8.8", Public),
            ("::127.0.0.1", Loopback),
            ("::8.8.8.8", Reserved),
            ("64:ff9b::7f00:1", Loopback),
            ("64:ff9b::808:808", Public),
            ("2002:7f00:1::1", Loopback),
            ("2002:a00:1::1", Private),
            ("2002:808:808::1", Public),
            ("4000::1", Reserved),
        ] {
            assert_eq!(class(ip), expected, "{ip}");
        }
    }

    #[test]
    fn allow_private_networks_lets_only_local_networks_through() {
        let open = Policy::new(true);
        let closed = Policy::new(false);
        for ip in ["127.0.0.1", "10.1.2.3", "fe80::1", "fd00::1", "100.64.0.1"] {
            assert!(open.check_ip(ip, ip.parse().unwrap()).is_ok(), "{ip}");
            assert!(closed.check_ip(ip, ip.parse().unwrap()).is_err(), "{ip}");
        }
        for ip in ["0.0.0.0", "224.0.0.1", "255.255.255.255", "ff02::1", "::"] {
            assert!(open.check_ip(ip, ip.parse().unwrap()).is_err(), "{ip}");
        }
    }

    #[test]
    fn literal_urls_are_checked() {
        let p = Policy::new(false);
        for url in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]:8443/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1%25eth0]/",
            "ftp://example.com/",
            "file:///etc/passwd",
        ] {
            let parsed = match Url::parse(url) {
                Ok(u) => u,
                Err(_) => continue, // unparsable URLs cannot be requested at all
            };
            assert!(p.check_url(&parsed).is_err(), "{url}");
        }
        assert!(
            p.check_url(&Url::parse("https://example.com/").unwrap())
                .is_ok()
        );
        assert!(
            p.check_url(&Url::parse("https://8.8.8.8/").unwrap())
                .is_ok()
        );
    }
}
