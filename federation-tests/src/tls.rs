//! A certificate authority made up for one test, and certificates it issues, so that
//! instances and peers can serve https on loopback and trust each other only through the CA
//! (never by turning verification off).

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::path::{Path, PathBuf};

/// A test CA whose files live in a directory of their own, removed on drop.
pub struct TestCa {
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    issued: std::sync::atomic::AtomicU32,
}

/// A certificate and its key, as PEM files.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PKCS#8 PEM).
    pub key: PathBuf,
}

impl Issued {
    /// As Enishi's TLS setting.
    pub fn config(&self) -> enishi_server::config::TlsFiles {
        enishi_server::config::TlsFiles {
            cert: self.cert.clone(),
            key: self.key.clone(),
        }
    }
}

impl TestCa {
    /// A fresh CA.
    pub fn new() -> anyhow::Result<TestCa> {
        let dir = std::env::temp_dir().join(format!(
            "enishi-test-ca-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir)?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "Enishi test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        std::fs::write(dir.join("ca.pem"), cert.pem())?;
        Ok(TestCa {
            dir,
            issuer: Issuer::new(params, key),
            issued: std::sync::atomic::AtomicU32::new(0),
        })
    }

    /// The CA certificate (PEM file) to trust.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// Issues a server certificate for `host`.
    pub fn issue(&self, host: &str) -> anyhow::Result<Issued> {
        let n = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let mut params = CertificateParams::new(vec![host.to_owned()])?;
        params.distinguished_name.push(DnType::CommonName, host);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        let issued = Issued {
            cert: self.dir.join(format!("server-{n}.pem")),
            key: self.dir.join(format!("server-{n}.key")),
        };
        std::fs::write(&issued.cert, cert.pem())?;
        std::fs::write(&issued.key, key.serialize_pem())?;
        Ok(issued)
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
