//! draft-cavage HTTP signatures as Mastodon sends and expects them, signed with aws-lc-rs
//! (RSA PKCS#1 v1.5 with SHA-256, constant time) and verified the same way.

use super::{
    ACTIVITY_CONTENT_TYPE, MAX_CLOCK_SKEW, RequestParts, SignatureError, SignatureParams,
    SignatureScheme, SignedHeaders, check_created, host_header, pem_der,
};
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use std::collections::BTreeMap;
use std::time::SystemTime;
use url::Url;

/// The `Digest` header value for a body.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", B64.encode(digest(&SHA256, body)))
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

fn request_target(method: &str, url: &Url) -> String {
    let mut target = url.path().to_owned();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    format!("{} {target}", method.to_ascii_lowercase())
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

    /// An RSA PKCS#1 v1.5 SHA-256 signature of `message` (draft-cavage `rsa-sha256`, RFC 9421
    /// `rsa-v1_5-sha256`).
    pub(super) fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
            .map_err(|_| SignatureError::Key("signing failed".into()))?;
        Ok(sig)
    }

    fn sign_string(&self, signing_string: &str) -> Result<String, SignatureError> {
        Ok(B64.encode(self.sign_bytes(signing_string.as_bytes())?))
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
        scheme: SignatureScheme::Cavage,
        created: num("created"),
        expires: num("expires"),
        algorithm: map.remove("algorithm"),
        key_id,
        headers,
        signature,
    })
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

/// The checks of a draft-cavage signature that need no key: a supported algorithm, every
/// signed header present, the `Date` window (or `created`), and, for requests with a body, a
/// signed `Digest` that matches it. Returns the parsed signature.
pub(super) fn precheck(
    parts: &RequestParts<'_>,
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
    signing_string(parts, &params, parts.path_and_query)?;
    if params.headers.iter().any(|h| h == "date") || params.created.is_none() {
        check_date(parts, now)?;
    }
    if let Some(created) = params.created {
        check_created(created, now)?;
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

/// Verifies a draft-cavage signature (`rsa-sha256`, or `hs2019` with an RSA key) against
/// `public_pem`: [`precheck`], then the signing string.
pub(super) fn verify(
    parts: &RequestParts<'_>,
    public_pem: &str,
    now: SystemTime,
) -> Result<SignatureParams, SignatureError> {
    let params = precheck(parts, now)?;
    let (_, der) = pem_der(public_pem)?;
    let key = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der);
    let verifies = |target: &str| {
        signing_string(parts, &params, target)
            .is_ok_and(|s| key.verify(s.as_bytes(), &params.signature).is_ok())
    };
    // Mastodon accepts a (request-target) signed without the query string; so do we.
    let without_query = parts.path_and_query.split_once('?').map(|(path, _)| path);
    if !(verifies(parts.path_and_query) || without_query.is_some_and(verifies)) {
        return Err(SignatureError::Mismatch);
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
