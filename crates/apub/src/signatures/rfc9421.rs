//! RFC 9421 HTTP Message Signatures: verifying what other servers send. (The signer the test
//! suite uses to act as such a server is in `rfc9421_signer.rs`.)
//!
//! `Signature-Input`, `Signature` and `Content-Digest` are RFC 8941 structured fields, parsed
//! with `sfv`. Supported: `rsa-v1_5-sha256` and `ed25519`; the derived components `@method`,
//! `@target-uri`, `@authority`, `@scheme`, `@request-target`, `@path` and `@query`; header
//! fields without component parameters.

use super::keys::VerifyingKey;
use super::{
    RequestParts, SignatureError, SignatureParams, SignatureScheme, check_created, unix_secs,
};
use aws_lc_rs::digest::{self, SHA256, SHA512};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sfv::{BareItem, Dictionary, FieldType as _, InnerList, Item, ListEntry, Parser};
use std::time::SystemTime;

/// Algorithms we verify; others (`rsa-pss-sha512`, ECDSA, HMAC) are refused.
const SUPPORTED_ALGORITHMS: [&str; 2] = ["rsa-v1_5-sha256", "ed25519"];

/// Derived components we can compute for a request.
const DERIVED: [&str; 7] = [
    "@method",
    "@target-uri",
    "@authority",
    "@scheme",
    "@request-target",
    "@path",
    "@query",
];

fn malformed(message: impl Into<String>) -> SignatureError {
    SignatureError::Malformed(message.into())
}

/// A dictionary-valued header (every instance, combined as RFC 8941 §4.2 says), or `None` when
/// the request does not have it.
fn dictionary(parts: &RequestParts<'_>, name: &str) -> Result<Option<Dictionary>, SignatureError> {
    let values: Vec<&str> = parts.header_values(name).map(str::trim).collect();
    if values.is_empty() {
        return Ok(None);
    }
    Parser::new(&values.join(", "))
        .with_version(sfv::Version::Rfc8941)
        .parse::<Dictionary>()
        .map(Some)
        .map_err(|e| malformed(format!("{name} is not a valid RFC 8941 dictionary: {e}")))
}

/// The signature chosen from `Signature-Input`.
struct Selected {
    label: String,
    /// The member as received, serialised again for `@signature-params`.
    input: InnerList,
    components: Vec<String>,
    key_id: String,
    alg: Option<String>,
    created: Option<i64>,
    expires: Option<i64>,
}

fn string_param(list: &InnerList, name: &str) -> Result<Option<String>, SignatureError> {
    match list.params.get(name) {
        None => Ok(None),
        Some(BareItem::String(s)) => Ok(Some(s.as_str().to_owned())),
        Some(_) => Err(malformed(format!("{name} must be a string"))),
    }
}

fn integer_param(list: &InnerList, name: &str) -> Result<Option<i64>, SignatureError> {
    match list.params.get(name) {
        None => Ok(None),
        Some(BareItem::Integer(i)) => Ok(Some(i64::from(*i))),
        Some(_) => Err(malformed(format!("{name} must be an integer"))),
    }
}

/// A field name as RFC 9110 allows it (tchar), lower-case as RFC 9421 §2.1 requires.
fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
        })
}

impl Selected {
    fn new(label: &str, list: &InnerList, alg: Option<String>) -> Result<Self, SignatureError> {
        let mut components: Vec<String> = Vec::with_capacity(list.items.len());
        for item in &list.items {
            let BareItem::String(name) = &item.bare_item else {
                return Err(malformed("a component identifier must be a string"));
            };
            let name = name.as_str();
            // `;sf`, `;key`, `;bs`, `;req`, `;tr` change the value; refuse what we cannot compute.
            if !item.params.is_empty() {
                return Err(malformed(format!(
                    "component parameters are not supported ({name})"
                )));
            }
            if !(DERIVED.contains(&name) || is_field_name(name)) {
                return Err(malformed(format!("unsupported component {name}")));
            }
            if components.iter().any(|c| c == name) {
                return Err(malformed(format!("component {name} is covered twice")));
            }
            components.push(name.to_owned());
        }
        Ok(Selected {
            label: label.to_owned(),
            input: list.clone(),
            key_id: string_param(list, "keyid")?.ok_or_else(|| malformed("no keyid"))?,
            created: integer_param(list, "created")?,
            expires: integer_param(list, "expires")?,
            components,
            alg,
        })
    }

    /// The `@signature-params` value. RFC 9421 §2.3 defines it as the serialisation of the
    /// inner list, so a conforming signer's bytes are exactly what `sfv` writes back.
    fn params_text(&self) -> Result<String, SignatureError> {
        serialize_inner_list(&self.input)
    }

    fn covers(&self, name: &str) -> bool {
        self.components.iter().any(|c| c == name)
    }
}

pub(super) fn serialize_inner_list(list: &InnerList) -> Result<String, SignatureError> {
    vec![ListEntry::InnerList(list.clone())]
        .serialize()
        .ok_or_else(|| malformed("empty signature parameters"))
}

/// The first signature in `Signature-Input` whose algorithm we support (or that names none).
fn select(parts: &RequestParts<'_>) -> Result<Selected, SignatureError> {
    let inputs = dictionary(parts, "Signature-Input")?.ok_or(SignatureError::Unsigned)?;
    let mut unsupported = None;
    for (label, entry) in &inputs {
        let ListEntry::InnerList(list) = entry else {
            return Err(malformed(format!(
                "Signature-Input {label} is not an inner list"
            )));
        };
        let alg = string_param(list, "alg")?;
        if let Some(alg) = &alg
            && !SUPPORTED_ALGORITHMS.contains(&alg.as_str())
        {
            unsupported.get_or_insert_with(|| alg.clone());
            continue;
        }
        return Selected::new(label.as_str(), list, alg);
    }
    Err(malformed(match unsupported {
        Some(alg) => format!("unsupported algorithm {alg}"),
        None => "Signature-Input names no signature".to_owned(),
    }))
}

/// The `keyid` of the signature [`verify`] would check.
pub(super) fn key_id(parts: &RequestParts<'_>) -> Result<String, SignatureError> {
    Ok(select(parts)?.key_id)
}

/// `Host`, lower-cased and without the scheme's default port (RFC 9110 §4.2.3 normalisation).
fn authority(parts: &RequestParts<'_>) -> Result<String, SignatureError> {
    let host = parts
        .header("host")
        .ok_or_else(|| malformed("no Host header"))?
        .trim()
        .to_ascii_lowercase();
    let default_port = match parts.scheme {
        "https" => ":443",
        _ => ":80",
    };
    Ok(host
        .strip_suffix(default_port)
        .map(str::to_owned)
        .unwrap_or(host))
}

/// The value of one covered component (RFC 9421 §2.1 and §2.2).
fn component_value(parts: &RequestParts<'_>, name: &str) -> Result<String, SignatureError> {
    let (path, query) = match parts.path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (parts.path_and_query, None),
    };
    Ok(match name {
        "@method" => parts.method.to_owned(),
        "@target-uri" => format!(
            "{}://{}{}",
            parts.scheme,
            authority(parts)?,
            parts.path_and_query
        ),
        "@authority" => authority(parts)?,
        "@scheme" => parts.scheme.to_owned(),
        "@request-target" => parts.path_and_query.to_owned(),
        "@path" if path.is_empty() => "/".to_owned(),
        "@path" => path.to_owned(),
        "@query" => format!("?{}", query.unwrap_or_default()),
        header => {
            let values: Vec<&str> = parts.header_values(header).map(str::trim).collect();
            if values.is_empty() {
                return Err(malformed(format!("covered header {header} is missing")));
            }
            values.join(", ")
        }
    })
}

/// Lines `"name": value`, then `"@signature-params": …` (RFC 9421 §2.5).
pub(super) fn base_text<'a>(
    lines: impl IntoIterator<Item = (&'a str, String)>,
    params: &str,
) -> String {
    let mut base = String::new();
    for (name, value) in lines {
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {params}"));
    base
}

fn signature_base(parts: &RequestParts<'_>, sel: &Selected) -> Result<String, SignatureError> {
    let mut lines = Vec::with_capacity(sel.components.len());
    for name in &sel.components {
        lines.push((name.as_str(), component_value(parts, name)?));
    }
    Ok(base_text(lines, &sel.params_text()?))
}

/// The RFC 9421 signature base of the request's chosen signature: what the signer signed, if the
/// request arrived as sent.
pub fn rfc9421_signature_base(parts: &RequestParts<'_>) -> Result<String, SignatureError> {
    signature_base(parts, &select(parts)?)
}

/// The `Content-Digest` header value (RFC 9530) for a body: `sha-256=:…:`.
pub fn content_digest_header(body: &[u8]) -> String {
    format!("sha-256=:{}:", B64.encode(digest::digest(&SHA256, body)))
}

/// The body must match every sha-256 and sha-512 entry of `Content-Digest`, and there must be
/// at least one.
fn check_content_digest(parts: &RequestParts<'_>, body: &[u8]) -> Result<(), SignatureError> {
    let given = dictionary(parts, "Content-Digest")?
        .ok_or_else(|| SignatureError::Digest("no Content-Digest header".into()))?;
    let mut checked = false;
    for (alg, entry) in &given {
        let algorithm = match alg.as_str() {
            "sha-256" => &SHA256,
            "sha-512" => &SHA512,
            _ => continue,
        };
        let ListEntry::Item(Item {
            bare_item: BareItem::ByteSequence(value),
            ..
        }) = entry
        else {
            return Err(malformed(format!(
                "Content-Digest {alg} is not a byte sequence"
            )));
        };
        let computed = digest::digest(algorithm, body);
        if computed.as_ref() != value.as_slice() {
            return Err(SignatureError::Digest(format!(
                "Content-Digest does not match the body: computed {alg} {}, given {}",
                B64.encode(computed),
                B64.encode(value)
            )));
        }
        checked = true;
    }
    if !checked {
        return Err(SignatureError::Digest(
            "Content-Digest has no sha-256 or sha-512 entry".into(),
        ));
    }
    Ok(())
}

/// An RFC 9421 signature that passed [`precheck`].
pub(super) struct Prechecked {
    sel: Selected,
    signature: Vec<u8>,
    created: i64,
}

/// The checks of an RFC 9421 signature that need no key: its shape, the covered components,
/// `created` and `expires`, and the `Content-Digest` of a body.
pub(super) fn precheck(
    parts: &RequestParts<'_>,
    now: SystemTime,
) -> Result<Prechecked, SignatureError> {
    let sel = select(parts)?;
    let signatures = dictionary(parts, "Signature")?
        .ok_or_else(|| malformed("Signature-Input without Signature"))?;
    let signature = match signatures.get(sel.label.as_str()) {
        Some(ListEntry::Item(Item {
            bare_item: BareItem::ByteSequence(bytes),
            ..
        })) => bytes.clone(),
        Some(_) => return Err(malformed(format!("Signature {} is not bytes", sel.label))),
        None => return Err(malformed(format!("no Signature labelled {}", sel.label))),
    };
    let covers_target = sel.covers("@target-uri")
        || (sel.covers("@authority") && (sel.covers("@path") || sel.covers("@request-target")));
    if !sel.covers("@method") || !covers_target {
        return Err(malformed(
            "the signature must cover @method and @target-uri (or @authority and @path)",
        ));
    }
    let created = sel
        .created
        .ok_or_else(|| SignatureError::Date("no created parameter".into()))?;
    check_created(created, now)?;
    if let Some(expires) = sel.expires
        && expires < unix_secs(now)
    {
        return Err(SignatureError::Date("the signature has expired".into()));
    }
    if let Some(body) = parts.body {
        if sel.covers("content-digest") {
            check_content_digest(parts, body)?;
        } else if parts.method.eq_ignore_ascii_case("POST") {
            return Err(SignatureError::Digest(
                "a POST must sign its Content-Digest header".into(),
            ));
        }
    }
    signature_base(parts, &sel)?;
    Ok(Prechecked {
        sel,
        signature,
        created,
    })
}

/// Verifies the request's RFC 9421 signature; see [`verify_request`](super::verify_request).
/// Cheap checks come first ([`precheck`]), so a request that fails them costs no public-key
/// operation.
pub(super) fn verify(
    parts: &RequestParts<'_>,
    public_pem: &str,
    now: SystemTime,
) -> Result<SignatureParams, SignatureError> {
    let Prechecked {
        sel,
        signature,
        created,
    } = precheck(parts, now)?;
    let base = signature_base(parts, &sel)?;
    let key = VerifyingKey::from_pem(public_pem)?;
    if let Some(alg) = &sel.alg
        && alg != key.algorithm()
    {
        return Err(malformed(format!(
            "algorithm {alg} does not match the key (a {} key)",
            key.algorithm()
        )));
    }
    key.verify(base.as_bytes(), &signature)?;
    Ok(SignatureParams {
        scheme: SignatureScheme::Rfc9421,
        key_id: sel.key_id,
        algorithm: Some(key.algorithm().to_owned()),
        headers: sel.components,
        signature,
        created: Some(created),
        expires: sel.expires,
    })
}
