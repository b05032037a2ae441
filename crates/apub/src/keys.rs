//! RSA key pairs for actors, generated with aws-lc-rs (constant time, and fast enough to make
//! one per new member even in debug builds, unlike the `rsa` crate).

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use enishi_db::ActorKeys;

/// Generates an RSA-2048 key pair: public key as SubjectPublicKeyInfo PEM, private key as
/// PKCS#8 PEM (the formats Mastodon publishes and the federation crate reads).
pub fn generate_actor_keys() -> ActorKeys {
    let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA-2048 key generation");
    let private: Pkcs8V1Der<'static> = pair.as_der().expect("PKCS#8 encoding of a fresh key");
    let public: PublicKeyX509Der<'static> = pair
        .public_key()
        .as_der()
        .expect("SPKI encoding of a fresh key");
    // LF line endings, as Mastodon publishes them; some verifiers choke on CRLF.
    let lf = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    ActorKeys {
        public_pem: pem::encode_config(&pem::Pem::new("PUBLIC KEY", public.as_ref().to_vec()), lf),
        private_pem: pem::encode_config(
            &pem::Pem::new("PRIVATE KEY", private.as_ref().to_vec()),
            lf,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_shapes_and_uniqueness() {
        let a = generate_actor_keys();
        assert!(a.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(a.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(!a.public_pem.contains('\r'));
        let der = pem::parse(&a.public_pem).unwrap();
        // 2048-bit SPKI is 294 bytes.
        assert_eq!(der.contents().len(), 294);
        assert_ne!(a.public_pem, generate_actor_keys().public_pem);
    }
}
