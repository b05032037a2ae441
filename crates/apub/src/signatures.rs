//! draft-cavage HTTP signatures as Mastodon sends and expects them, signed with aws-lc-rs
//! (RSA PKCS#1 v1.5 with SHA-256, constant time) and verified the same way.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use url::Url;

/// Media type of outgoing activities.
pub const ACTIVITY_CONTENT_TYPE: &str = "application/activity+json";

/// How far a `Date` may be from now (DESIGN §5: ±1 hour).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(3600);

/// Why signing or verifying failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The private or public key is not usable.
    #[error("unusable key: {0}")]
    Key(String),
    /// No `Signature` header.
    #[error("request not signed")]
    Unsigned,
    /// The `Signature` header or a signed header is malformed or missing.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The `Date` is missing, unparsable or outside the window.
    #[error("bad date: {0}")]
    Date(String),
    /// A POST whose digest is not signed, or does not match the body.
    #[error("digest: {0}")]
    Digest(String),
    /// The signature does not verify against the key.
    #[error("signature does not match")]
    Mismatch,
}

/// The `Digest` header value for a body.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", B64.encode(digest(&SHA256, body)))
}

fn pem_der(pem_text: &str) -> Result<(String, Vec<u8>), SignatureError> {
    let parsed = pem::parse(pem_text).map_err(|e| SignatureError::Key(e.to_string()))?;
    Ok((parsed.tag().to_owned(), parsed.into_contents()))
}

/// A local actor's signing key.
pub struct Signer {
    key: KeyPair,
    key_id: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// The headers of a signed request, in the order they should be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `(name, value)` pairs: Host, Date, Digest and Content-Type (POST only), Signature.
    pub headers: Vec<(&'static str, String)>,
}

fn request_target(method: &str, url: &Url) -> String {
    let mut target = url.path().to_owned();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    format!("{} {target}", method.to_ascii_lowercase())
}

/// `host[:port]` as the Host header carries it.
pub fn host_header(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    }
}

impl Signer {
    /// Loads a PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) PEM key; `key_id` is the
    /// actor's `…#main-key`.
    pub fn from_pem(private_pem: &str, key_id: impl Into<String>) -> Result<Self, SignatureError> {
        let (tag, der) = pem_der(private_pem)?;
        let key = match tag.as_str() {
            "PRIVATE KEY" => KeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => KeyPair::from_der(&der),
            other => return Err(SignatureError::Key(format!("unexpected PEM block {other}"))),
        }
        .map_err(|e| SignatureError::Key(e.to_string()))?;
        Ok(Signer {
            key,
            key_id: key_id.into(),
            rng: SystemRandom::new(),
        })
    }

    /// The key id signatures name.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    fn sign_string(&self, signing_string: &str) -> Result<String, SignatureError> {
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                signing_string.as_bytes(),
                &mut sig,
            )
            .map_err(|_| SignatureError::Key("signing failed".into()))?;
        Ok(B64.encode(sig))
    }

    fn sign(
        &self,
        method: &str,
        url: &Url,
        date: SystemTime,
        body: Option<&[u8]>,
    ) -> Result<SignedHeaders, SignatureError> {
        let host = host_header(url);
        let date = httpdate::fmt_http_date(date);
        let mut headers: Vec<(&'static str, String)> =
            vec![("Host", host.clone()), ("Date", date.clone())];
        let mut names = vec!["(request-target)", "host", "date"];
        let mut lines = vec![
            format!("(request-target): {}", request_target(method, url)),
            format!("host: {host}"),
            format!("date: {date}"),
        ];
        if let Some(body) = body {
            let digest = digest_header(body);
            lines.push(format!("digest: {digest}"));
            lines.push(format!("content-type: {ACTIVITY_CONTENT_TYPE}"));
            names.extend(["digest", "content-type"]);
            headers.push(("Digest", digest));
            headers.push(("Content-Type", ACTIVITY_CONTENT_TYPE.to_owned()));
        }
        let signature = self.sign_string(&lines.join("\n"))?;
        headers.push((
            "Signature",
            format!(
                "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{signature}\"",
                self.key_id,
                names.join(" ")
            ),
        ));
        Ok(SignedHeaders { headers })
    }

    /// Signs a POST of `body` to `url`: `(request-target) host date digest content-type`.
    pub fn sign_post(
        &self,
        url: &Url,
        body: &[u8],
        date: SystemTime,
    ) -> Result<SignedHeaders, SignatureError> {
        self.sign("POST", url, date, Some(body))
    }

    /// Signs a GET of `url` (authorised fetch): `(request-target) host date`.
    pub fn sign_get(&self, url: &Url, date: SystemTime) -> Result<SignedHeaders, SignatureError> {
        self.sign("GET", url, date, None)
    }

    /// Signs an arbitrary signing string (for tests against published vectors).
    pub fn sign_raw(&self, signing_string: &str) -> Result<String, SignatureError> {
        self.sign_string(signing_string)
    }
}

/// The parameters of a `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    /// `keyId`.
    pub key_id: String,
    /// `algorithm`, if given.
    pub algorithm: Option<String>,
    /// `headers` (defaults to `date`).
    pub headers: Vec<String>,
    /// The decoded signature.
    pub signature: Vec<u8>,
    /// `created`, for hs2019.
    pub created: Option<i64>,
    /// `expires`, for hs2019.
    pub expires: Option<i64>,
}

/// Parses a draft-cavage `Signature` header.
pub fn parse_signature_header(value: &str) -> Result<SignatureParams, SignatureError> {
    let mut map = BTreeMap::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once('=')
            .ok_or_else(|| SignatureError::Malformed("expected key=value".into()))?;
        let key = key.trim().trim_start_matches(',').trim().to_owned();
        let after = after.trim_start();
        let (val, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| SignatureError::Malformed("unterminated quote".into()))?;
            (quoted[..end].to_owned(), &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        map.insert(key, val);
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    let key_id = map
        .remove("keyId")
        .ok_or_else(|| SignatureError::Malformed("no keyId".into()))?;
    let signature = map
        .remove("signature")
        .ok_or_else(|| SignatureError::Malformed("no signature".into()))?;
    let signature = B64
        .decode(signature)
        .map_err(|_| SignatureError::Malformed("signature is not base64".into()))?;
    let headers = map
        .remove("headers")
        .map(|h| {
            h.split_whitespace()
                .map(|s| s.to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_else(|| vec!["date".to_owned()]);
    let num = |k: &str| map.get(k).and_then(|v| v.parse::<i64>().ok());
    Ok(SignatureParams {
        created: num("created"),
        expires: num("expires"),
        algorithm: map.remove("algorithm"),
        key_id,
        headers,
        signature,
    })
}

/// A request as the verifier needs to see it.
#[derive(Debug, Clone)]
pub struct RequestParts<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path and query, as received.
    pub path_and_query: &'a str,
    /// Headers (names case-insensitive).
    pub headers: &'a [(String, String)],
    /// The body, for POSTs.
    pub body: Option<&'a [u8]>,
}

impl RequestParts<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `keyId` of the request's signature, if it has one.
    pub fn key_id(&self) -> Result<String, SignatureError> {
        let value = self.header("signature").ok_or(SignatureError::Unsigned)?;
        Ok(parse_signature_header(value)?.key_id)
    }
}

fn check_date(parts: &RequestParts<'_>, now: SystemTime) -> Result<(), SignatureError> {
    let raw = parts
        .header("date")
        .ok_or_else(|| SignatureError::Date("no Date header".into()))?;
    let date = httpdate::parse_http_date(raw)
        .map_err(|_| SignatureError::Date(format!("not an HTTP date: {raw:?}")))?;
    let skew = now
        .duration_since(date)
        .or_else(|e| Ok::<_, SignatureError>(e.duration()))?;
    if skew > MAX_CLOCK_SKEW {
        return Err(SignatureError::Date(
            "outside the acceptable time window".into(),
        ));
    }
    Ok(())
}

/// Verifies a draft-cavage signature (`rsa-sha256`, or `hs2019` with an RSA key) against
/// `public_pem`: the signing string, the `Date` window and, for requests with a body, a signed
/// `Digest` that matches it.
pub fn verify_request(
    parts: &RequestParts<'_>,
    public_pem: &str,
    now: SystemTime,
) -> Result<SignatureParams, SignatureError> {
    let value = parts.header("signature").ok_or(SignatureError::Unsigned)?;
    let params = parse_signature_header(value)?;
    if let Some(alg) = &params.algorithm
        && !matches!(alg.to_ascii_lowercase().as_str(), "rsa-sha256" | "hs2019")
    {
        return Err(SignatureError::Malformed(format!(
            "unsupported algorithm {alg}"
        )));
    }
    let (_, der) = pem_der(public_pem)?;
    let key = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der);
    let verifies = |target: &str| {
        signing_string(parts, &params, target)
            .is_ok_and(|s| key.verify(s.as_bytes(), &params.signature).is_ok())
    };
    // Mastodon accepts a (request-target) signed without the query string; so do we.
    let without_query = parts.path_and_query.split_once('?').map(|(path, _)| path);
    signing_string(parts, &params, parts.path_and_query)?;
    if !(verifies(parts.path_and_query) || without_query.is_some_and(verifies)) {
        return Err(SignatureError::Mismatch);
    }
    if params.headers.iter().any(|h| h == "date") || params.created.is_none() {
        check_date(parts, now)?;
    }
    if let Some(created) = params.created {
        let now_secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        if (now_secs - created).unsigned_abs() > MAX_CLOCK_SKEW.as_secs() {
            return Err(SignatureError::Date(
                "created outside the acceptable time window".into(),
            ));
        }
    }
    if let Some(body) = parts
        .body
        .filter(|_| parts.method.eq_ignore_ascii_case("POST"))
    {
        if !params.headers.iter().any(|h| h == "digest") {
            return Err(SignatureError::Digest(
                "a POST must sign its Digest header".into(),
            ));
        }
        let given = parts.header("digest").unwrap_or_default();
        let computed = digest_header(body);
        let matches = given
            .split(',')
            .any(|d| d.trim().eq_ignore_ascii_case(&computed) || d.trim() == computed);
        if !matches {
            return Err(SignatureError::Digest(format!(
                "computed {computed}, given {given}"
            )));
        }
    }
    Ok(params)
}

/// The draft-cavage signing string of `parts` for `params`, with `target` as the path.
fn signing_string(
    parts: &RequestParts<'_>,
    params: &SignatureParams,
    target: &str,
) -> Result<String, SignatureError> {
    let mut lines = Vec::with_capacity(params.headers.len());
    for name in &params.headers {
        let line = match name.as_str() {
            "(request-target)" => format!(
                "(request-target): {} {}",
                parts.method.to_ascii_lowercase(),
                target
            ),
            "(created)" => format!(
                "(created): {}",
                params
                    .created
                    .ok_or_else(|| SignatureError::Malformed("(created) without created".into()))?
            ),
            "(expires)" => format!(
                "(expires): {}",
                params
                    .expires
                    .ok_or_else(|| SignatureError::Malformed("(expires) without expires".into()))?
            ),
            other => {
                let v = parts.header(other).ok_or_else(|| {
                    SignatureError::Malformed(format!("signed header {other} is missing"))
                })?;
                format!("{other}: {v}")
            }
        };
        lines.push(line);
    }
    Ok(lines.join("\n"))
}
