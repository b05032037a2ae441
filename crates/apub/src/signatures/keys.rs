//! Key material for RFC 9421 beyond our RSA actor keys: telling RSA from Ed25519 public keys,
//! an Ed25519 signer, and FEP-521a Multikey decoding.

use super::{SignatureError, pem_der};
use aws_lc_rs::signature::{
    ED25519, Ed25519KeyPair, KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

/// DER of an Ed25519 SubjectPublicKeyInfo up to the key (RFC 8410): SEQUENCE { SEQUENCE { OID
/// 1.3.101.112 }, BIT STRING (33 bytes, no unused bits) }. Every Ed25519 SPKI is these 12 bytes
/// and the 32-byte key, so no ASN.1 parser is needed to recognise one.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Multicodec `ed25519-pub` (0xed) as an unsigned varint.
const MULTICODEC_ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec `rsa-pub` (0x1205) as an unsigned varint; the key that follows is PKCS#1 DER.
const MULTICODEC_RSA_PUB: [u8; 2] = [0x85, 0x24];

/// The PEM encoding we publish: LF line endings, as Mastodon does.
fn encode_pem(tag: &str, der: Vec<u8>) -> String {
    let lf = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, der), lf)
}

/// A public key that can check an RFC 9421 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum VerifyingKey {
    /// RSA: SubjectPublicKeyInfo or PKCS#1 DER (aws-lc-rs takes either).
    Rsa(Vec<u8>),
    /// Ed25519: the raw 32-byte key.
    Ed25519(Vec<u8>),
}

impl VerifyingKey {
    /// Reads a `PUBLIC KEY` (RSA or Ed25519 SPKI) or `RSA PUBLIC KEY` (PKCS#1) PEM block.
    pub(super) fn from_pem(public_pem: &str) -> Result<Self, SignatureError> {
        let (tag, der) = pem_der(public_pem)?;
        match tag.as_str() {
            "PUBLIC KEY" => match der.strip_prefix(&ED25519_SPKI_PREFIX) {
                Some(raw) if raw.len() == 32 => Ok(Self::Ed25519(raw.to_vec())),
                Some(_) => Err(SignatureError::Key("truncated Ed25519 key".into())),
                None => Ok(Self::Rsa(der)),
            },
            "RSA PUBLIC KEY" => Ok(Self::Rsa(der)),
            other => Err(SignatureError::Key(format!("unexpected PEM block {other}"))),
        }
    }

    /// The RFC 9421 algorithm this key signs with.
    pub(super) fn algorithm(&self) -> &'static str {
        match self {
            Self::Rsa(_) => "rsa-v1_5-sha256",
            Self::Ed25519(_) => "ed25519",
        }
    }

    /// Checks `signature` over `message`: a key aws-lc-rs refuses is a `Key` error, a signature
    /// that does not verify a `Mismatch`.
    pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        let key = match self {
            Self::Rsa(der) => ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der),
            Self::Ed25519(raw) => ParsedPublicKey::new(&ED25519, raw),
        }
        .map_err(|e| SignatureError::Key(e.to_string()))?;
        key.verify_sig(message, signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// Decodes a FEP-521a `publicKeyMultibase` (base58btc, `z…`, with a multicodec prefix) into a
/// PEM that [`verify_request`](super::verify_request) accepts: an Ed25519 key (`0xed`) becomes a
/// `PUBLIC KEY` (SubjectPublicKeyInfo), an RSA key (`0x1205`, PKCS#1) an `RSA PUBLIC KEY`.
pub fn multikey_public_pem(public_key_multibase: &str) -> Result<String, SignatureError> {
    let encoded = public_key_multibase.strip_prefix('z').ok_or_else(|| {
        SignatureError::Key("a Multikey must be base58btc multibase (start with z)".into())
    })?;
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|e| SignatureError::Key(format!("Multikey is not base58btc: {e}")))?;
    if let Some(raw) = bytes.strip_prefix(&MULTICODEC_ED25519_PUB) {
        if raw.len() != 32 {
            return Err(SignatureError::Key(format!(
                "an Ed25519 Multikey holds 32 bytes, not {}",
                raw.len()
            )));
        }
        let spki = [ED25519_SPKI_PREFIX.as_slice(), raw].concat();
        return Ok(encode_pem("PUBLIC KEY", spki));
    }
    if let Some(pkcs1) = bytes.strip_prefix(&MULTICODEC_RSA_PUB) {
        // Parse it now, so a broken key fails here rather than as a signature mismatch later.
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, pkcs1)
            .map_err(|e| SignatureError::Key(format!("RSA Multikey: {e}")))?;
        return Ok(encode_pem("RSA PUBLIC KEY", pkcs1.to_vec()));
    }
    Err(SignatureError::Key(
        "unsupported Multikey type (only Ed25519 and RSA)".into(),
    ))
}

/// An Ed25519 signing key for RFC 9421 signatures (Ed25519 is deterministic, so equal inputs give
/// equal signatures).
pub struct Ed25519Signer {
    key: Ed25519KeyPair,
    key_id: String,
}

impl std::fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Ed25519Signer {
    /// Loads a PKCS#8 (`PRIVATE KEY`, v1 or v2) Ed25519 key; `key_id` is what signatures name.
    pub fn from_pem(private_pem: &str, key_id: impl Into<String>) -> Result<Self, SignatureError> {
        let (tag, der) = pem_der(private_pem)?;
        if tag != "PRIVATE KEY" {
            return Err(SignatureError::Key(format!("unexpected PEM block {tag}")));
        }
        let key =
            Ed25519KeyPair::from_pkcs8(&der).map_err(|e| SignatureError::Key(e.to_string()))?;
        Ok(Self {
            key,
            key_id: key_id.into(),
        })
    }

    /// The key id signatures name.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key as a SubjectPublicKeyInfo PEM (`PUBLIC KEY`).
    pub fn public_pem(&self) -> String {
        let raw = self.key.public_key().as_ref();
        encode_pem("PUBLIC KEY", [ED25519_SPKI_PREFIX.as_slice(), raw].concat())
    }

    /// The 64-byte Ed25519 signature of `message`.
    pub(super) fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).as_ref().to_vec()
    }

    /// Signs an arbitrary string, base64-encoded (for tests against published vectors).
    pub fn sign_raw(&self, message: &str) -> String {
        B64.encode(self.sign_bytes(message.as_bytes()))
    }
}
