//! HTTP signatures, signed and verified with aws-lc-rs. Two schemes are verified:
//!
//! - draft-cavage (a lone `Signature` header), which Mastodon and nearly every fediverse server
//!   sends and expects. Everything we send is signed this way ([`Signer`]).
//! - RFC 9421 HTTP Message Signatures (`Signature-Input` + `Signature`), which newer servers
//!   may send. [`verify_request`] switches to it whenever `Signature-Input` is present.
//!   [`sign_rfc9421`] exists so the test suite can act as an RFC 9421 sender.
//!
//! Keys are RSA (what Mastodon publishes) or, for RFC 9421, Ed25519; FEP-521a Multikeys decode
//! to the same PEM forms with [`multikey_public_pem`].

mod cavage;
mod keys;
mod rfc9421;
mod rfc9421_signer;

pub use cavage::{Signer, digest_header, parse_signature_header};
pub use keys::{Ed25519Signer, multikey_public_pem};
pub use rfc9421::{content_digest_header, rfc9421_signature_base};
pub use rfc9421_signer::{SigningKey, sign_rfc9421};

use std::time::{Duration, SystemTime};
use url::Url;

/// Media type of outgoing activities.
pub const ACTIVITY_CONTENT_TYPE: &str = "application/activity+json";

/// How far a `Date` (or a `created` parameter) may be from now (DESIGN §5: ±1 hour).
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
    /// The signature headers or a signed header are malformed or missing, or the signature
    /// uses an algorithm or component we do not support.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The `Date` or `created` is missing, unparsable or outside the window, or the signature
    /// has expired.
    #[error("bad date: {0}")]
    Date(String),
    /// A POST whose digest is not signed, or does not match the body.
    #[error("digest: {0}")]
    Digest(String),
    /// The signature does not verify against the key.
    #[error("signature does not match")]
    Mismatch,
}

/// Which signature scheme a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// draft-cavage-http-signatures: a `Signature` header with `keyId`, `headers`, `signature`.
    Cavage,
    /// RFC 9421 HTTP Message Signatures: `Signature-Input` and `Signature` dictionaries.
    Rfc9421,
}

/// The headers of a signed request, in the order they should be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `(name, value)` pairs. draft-cavage: Host, Date, Digest and Content-Type (with a body),
    /// Signature. RFC 9421: Host, Date, Content-Digest and Content-Type (with a body),
    /// Signature-Input, Signature.
    pub headers: Vec<(&'static str, String)>,
}

/// `host[:port]` as the Host header carries it.
pub fn host_header(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    }
}

/// What a verified signature said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    /// Which scheme the signature used.
    pub scheme: SignatureScheme,
    /// `keyId` (draft-cavage) or `keyid` (RFC 9421).
    pub key_id: String,
    /// draft-cavage: `algorithm`, if given. RFC 9421: the algorithm the signature was checked
    /// with (`rsa-v1_5-sha256` or `ed25519`), whether `alg` named it or the key implied it.
    pub algorithm: Option<String>,
    /// draft-cavage: `headers` (defaults to `date`). RFC 9421: the covered component names.
    pub headers: Vec<String>,
    /// The decoded signature.
    pub signature: Vec<u8>,
    /// `created`: hs2019 (optional) or RFC 9421 (required).
    pub created: Option<i64>,
    /// `expires`, if given.
    pub expires: Option<i64>,
}

/// A request as the verifier needs to see it.
#[derive(Debug, Clone)]
pub struct RequestParts<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// `http` or `https`: the scheme under which this instance is reachable, which RFC 9421's
    /// `@target-uri` and `@scheme` cover (behind a TLS-terminating proxy the request itself
    /// arrives as plain HTTP, so it cannot be read off the connection).
    pub scheme: &'a str,
    /// Path and query, as received.
    pub path_and_query: &'a str,
    /// Headers (names case-insensitive; a name may repeat).
    pub headers: &'a [(String, String)],
    /// The body, for POSTs.
    pub body: Option<&'a [u8]>,
}

impl RequestParts<'_> {
    /// The first value of header `name`.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, in order.
    fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Which signature scheme the request uses, if it is signed at all: RFC 9421 when it has a
    /// `Signature-Input`, draft-cavage when it has only a `Signature`.
    pub fn signature_scheme(&self) -> Option<SignatureScheme> {
        if self.header("signature-input").is_some() {
            Some(SignatureScheme::Rfc9421)
        } else if self.header("signature").is_some() {
            Some(SignatureScheme::Cavage)
        } else {
            None
        }
    }

    /// The key id of the request's signature (draft-cavage `keyId` or RFC 9421 `keyid`), so the
    /// caller can fetch the key before verifying.
    pub fn key_id(&self) -> Result<String, SignatureError> {
        match self.signature_scheme() {
            Some(SignatureScheme::Rfc9421) => rfc9421::key_id(self),
            Some(SignatureScheme::Cavage) => {
                let value = self.header("signature").ok_or(SignatureError::Unsigned)?;
                Ok(parse_signature_header(value)?.key_id)
            }
            None => Err(SignatureError::Unsigned),
        }
    }
}

/// Verifies the request's signature against `public_pem` (an RSA SubjectPublicKeyInfo or
/// PKCS#1 key, or, for RFC 9421, an Ed25519 SubjectPublicKeyInfo).
///
/// With a `Signature-Input` header this is RFC 9421: the first signature whose algorithm we
/// support must cover `@method` and the target, carry a `created` within [`MAX_CLOCK_SKEW`], be
/// unexpired, and, for a POST with a body, cover a `Content-Digest` that matches the body.
/// Otherwise it is draft-cavage (`rsa-sha256`, or `hs2019` with an RSA key): the signing string,
/// the `Date` window and, for a POST with a body, a signed `Digest` that matches it.
pub fn verify_request(
    parts: &RequestParts<'_>,
    public_pem: &str,
    now: SystemTime,
) -> Result<SignatureParams, SignatureError> {
    match parts.signature_scheme() {
        Some(SignatureScheme::Rfc9421) => rfc9421::verify(parts, public_pem, now),
        Some(SignatureScheme::Cavage) => cavage::verify(parts, public_pem, now),
        None => Err(SignatureError::Unsigned),
    }
}

/// Every check of [`verify_request`] that needs no key: the signature headers parse, the
/// algorithm is supported, the signed headers are present, the date window holds and a body
/// matches its signed digest. Run before the key is looked up, so that a request failing any
/// of them costs neither a fetch nor a public-key operation.
pub fn precheck_request(parts: &RequestParts<'_>, now: SystemTime) -> Result<(), SignatureError> {
    match parts.signature_scheme() {
        Some(SignatureScheme::Rfc9421) => rfc9421::precheck(parts, now).map(drop),
        Some(SignatureScheme::Cavage) => cavage::precheck(parts, now).map(drop),
        None => Err(SignatureError::Unsigned),
    }
}

/// The tag and DER contents of a PEM block.
fn pem_der(pem_text: &str) -> Result<(String, Vec<u8>), SignatureError> {
    let parsed = pem::parse(pem_text).map_err(|e| SignatureError::Key(e.to_string()))?;
    Ok((parsed.tag().to_owned(), parsed.into_contents()))
}

/// Seconds since the epoch (0 for a clock before 1970, which then fails every window check).
fn unix_secs(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A signature's `created` must be within [`MAX_CLOCK_SKEW`] of now, either way.
fn check_created(created: i64, now: SystemTime) -> Result<(), SignatureError> {
    if (unix_secs(now) - created).unsigned_abs() > MAX_CLOCK_SKEW.as_secs() {
        return Err(SignatureError::Date(
            "created outside the acceptable time window".into(),
        ));
    }
    Ok(())
}
