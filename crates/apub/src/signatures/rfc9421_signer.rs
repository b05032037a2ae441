//! An RFC 9421 signer, so the test suite can act as a server that sends HTTP Message
//! Signatures. Our own outgoing requests stay draft-cavage ([`Signer::sign_post`]) because that
//! is what Mastodon and most of the fediverse verify.

use super::rfc9421::{base_text, content_digest_header, serialize_inner_list};
use super::{
    ACTIVITY_CONTENT_TYPE, Ed25519Signer, SignatureError, SignedHeaders, Signer, host_header,
    unix_secs,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sfv::{InnerList, Integer, Item};
use std::time::SystemTime;
use url::Url;

/// The label [`sign_rfc9421`] gives its signature.
const LABEL: &str = "sig1";

/// A private key that can make RFC 9421 signatures.
#[derive(Debug, Clone, Copy)]
pub enum SigningKey<'a> {
    /// An RSA actor key: `rsa-v1_5-sha256`.
    Rsa(&'a Signer),
    /// An Ed25519 key: `ed25519`.
    Ed25519(&'a Ed25519Signer),
}

impl<'a> From<&'a Signer> for SigningKey<'a> {
    fn from(signer: &'a Signer) -> Self {
        SigningKey::Rsa(signer)
    }
}

impl<'a> From<&'a Ed25519Signer> for SigningKey<'a> {
    fn from(signer: &'a Ed25519Signer) -> Self {
        SigningKey::Ed25519(signer)
    }
}

impl SigningKey<'_> {
    fn key_id(&self) -> &str {
        match self {
            SigningKey::Rsa(s) => s.key_id(),
            SigningKey::Ed25519(s) => s.key_id(),
        }
    }

    fn algorithm(&self) -> &'static str {
        match self {
            SigningKey::Rsa(_) => "rsa-v1_5-sha256",
            SigningKey::Ed25519(_) => "ed25519",
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        match self {
            SigningKey::Rsa(s) => s.sign_bytes(message),
            SigningKey::Ed25519(s) => Ok(s.sign_bytes(message)),
        }
    }
}

/// Signs a request the RFC 9421 way, as label `sig1` covering `@method`, `@target-uri`,
/// `@authority` and, when there is a body, `content-digest`, with `created`, `keyid` and `alg`.
///
/// Not used for our own deliveries: those stay draft-cavage ([`Signer::sign_post`]), which is
/// what Mastodon expects. This exists so the test suite can act as an RFC 9421 sender.
/// `method` is sent as given; `created` is also sent as `Date`.
pub fn sign_rfc9421<'k>(
    key: impl Into<SigningKey<'k>>,
    method: &str,
    url: &Url,
    body: Option<&[u8]>,
    created: SystemTime,
) -> Result<SignedHeaders, SignatureError> {
    let key = key.into();
    let host = host_header(url);
    let target_uri = match url.query() {
        Some(q) => format!("{}://{host}{}?{q}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    };
    let mut headers = vec![
        ("Host", host.clone()),
        ("Date", httpdate::fmt_http_date(created)),
    ];
    let mut components = vec![
        ("@method", method.to_owned()),
        ("@target-uri", target_uri),
        ("@authority", host),
    ];
    if let Some(body) = body {
        let digest = content_digest_header(body);
        headers.push(("Content-Digest", digest.clone()));
        headers.push(("Content-Type", ACTIVITY_CONTENT_TYPE.to_owned()));
        components.push(("content-digest", digest));
    }
    let sf_string = |s: &str| {
        sfv::String::from_string(s.to_owned())
            .map_err(|(e, _)| SignatureError::Key(format!("{s:?} is not an RFC 8941 string: {e}")))
    };
    let mut items = Vec::with_capacity(components.len());
    for (name, _) in &components {
        items.push(Item::new(sf_string(name)?));
    }
    let mut input = InnerList::new(items);
    let created = Integer::try_from(unix_secs(created))
        .map_err(|e| SignatureError::Key(format!("created: {e}")))?;
    input
        .params
        .insert(sfv::key_ref("created").to_owned(), created.into());
    input.params.insert(
        sfv::key_ref("keyid").to_owned(),
        sf_string(key.key_id())?.into(),
    );
    input.params.insert(
        sfv::key_ref("alg").to_owned(),
        sf_string(key.algorithm())?.into(),
    );
    let params = serialize_inner_list(&input)?;
    let signature = key.sign(base_text(components, &params).as_bytes())?;
    headers.push(("Signature-Input", format!("{LABEL}={params}")));
    headers.push(("Signature", format!("{LABEL}=:{}:", B64.encode(signature))));
    Ok(SignedHeaders { headers })
}
