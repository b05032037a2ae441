//! A real S3-speaking server for tests: `s3s-fs` (an S3 implementation over a directory) on a
//! free loopback port, with signature checking on, so the media store is exercised over the
//! same protocol and authentication as against a hosted bucket.

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use std::path::Path;

/// A running S3 server; stops when dropped.
pub struct S3Server {
    /// `http://127.0.0.1:{port}`.
    pub endpoint: String,
    /// The bucket made for the test.
    pub bucket: String,
    /// Credentials the server accepts.
    pub access_key: String,
    /// Credentials the server accepts.
    pub secret_key: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl S3Server {
    /// Starts a server keeping its data under `root`, with one empty bucket.
    pub async fn start(root: &Path) -> anyhow::Result<S3Server> {
        let bucket = "enishi-media".to_owned();
        std::fs::create_dir_all(root.join(&bucket))?;
        let access_key = "enishi-test-access".to_owned();
        let secret_key = "enishi-test-secret-key-0123456789".to_owned();
        let fs = s3s_fs::FileSystem::new(root).map_err(|e| anyhow::anyhow!("s3s-fs: {e:?}"))?;
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(
            access_key.clone(),
            secret_key.clone(),
        ));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let http = Builder::new(TokioExecutor::new());
            while let Ok((socket, _)) = listener.accept().await {
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Ok(S3Server {
            endpoint,
            bucket,
            access_key,
            secret_key,
            task,
        })
    }
}
