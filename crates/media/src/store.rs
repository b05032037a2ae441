//! Where photo files live: a directory under the data dir, or a bucket of S3-compatible storage,
//! both through `object_store`. Files are named `{stored_key}/{file}`; nothing here knows about
//! audiences: the database decides which key is alive, and the web layer serves only those.

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::sync::Arc;

/// Which back end keeps the files.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// A directory on the local disk (default: `{data_dir}/media`).
    Local {
        /// The directory; created when missing.
        root: std::path::PathBuf,
    },
    /// S3-compatible object storage.
    S3 {
        /// The service's URL (`https://s3.example.com`); `None`: AWS itself.
        endpoint: Option<String>,
        /// The bucket.
        bucket: String,
        /// The region (`us-east-1` for most non-AWS services).
        region: String,
        /// Access key id.
        access_key: String,
        /// Secret access key.
        secret_key: String,
        /// Path-style addressing (`endpoint/bucket/key`), which most self-hosted services need.
        path_style: bool,
    },
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreConfig::Local { root } => f.debug_struct("Local").field("root", root).finish(),
            StoreConfig::S3 {
                endpoint,
                bucket,
                region,
                path_style,
                ..
            } => f
                .debug_struct("S3")
                .field("endpoint", endpoint)
                .field("bucket", bucket)
                .field("region", region)
                .field("path_style", path_style)
                .field("keys", &"<redacted>")
                .finish(),
        }
    }
}

/// The store failed (a disk error, or the S3 service refused or could not be reached).
#[derive(Debug, thiserror::Error)]
#[error("media store: {0}")]
pub struct StoreError(String);

impl From<object_store::Error> for StoreError {
    fn from(e: object_store::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// The photo store.
#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    label: String,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

/// One file in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The key it is under.
    pub key: String,
    /// Its name (`original.jpg`).
    pub file: String,
    /// Bytes.
    pub size: u64,
    /// When it was written.
    pub last_modified: chrono::DateTime<chrono::Utc>,
}

/// What the store holds, for `enishi media usage`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Files.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

impl MediaStore {
    /// Opens the store `config` names. A local directory is created; an S3 bucket must exist.
    pub fn open(config: &StoreConfig) -> Result<Self, StoreError> {
        match config {
            StoreConfig::Local { root } => {
                std::fs::create_dir_all(root)
                    .map_err(|e| StoreError(format!("{}: {e}", root.display())))?;
                let fs = LocalFileSystem::new_with_prefix(root)?;
                Ok(MediaStore {
                    inner: Arc::new(fs),
                    label: format!("local directory {}", root.display()),
                })
            }
            StoreConfig::S3 {
                endpoint,
                bucket,
                region,
                access_key,
                secret_key,
                path_style,
            } => {
                let mut b = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key)
                    .with_secret_access_key(secret_key)
                    .with_virtual_hosted_style_request(!path_style);
                if let Some(e) = endpoint {
                    // The operator's own endpoint; plain http is theirs to choose (a bucket
                    // service on the same host or private network).
                    b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
                }
                let s3 = b.build()?;
                Ok(MediaStore {
                    inner: Arc::new(s3),
                    label: format!(
                        "S3 bucket {bucket} at {}",
                        endpoint.as_deref().unwrap_or("AWS")
                    ),
                })
            }
        }
    }

    fn path(stored_key: &str, file: &str) -> Path {
        Path::from(format!("{stored_key}/{file}"))
    }

    /// Stores one file.
    pub async fn put(
        &self,
        stored_key: &str,
        file: &str,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.inner
            .put(&Self::path(stored_key, file), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// Reads one file; `None` when it is not there.
    pub async fn get(&self, stored_key: &str, file: &str) -> Result<Option<Bytes>, StoreError> {
        match self.inner.get(&Self::path(stored_key, file)).await {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Copies one file to another key (the first half of a move).
    pub async fn copy(&self, from_key: &str, to_key: &str, file: &str) -> Result<(), StoreError> {
        self.inner
            .copy(&Self::path(from_key, file), &Self::path(to_key, file))
            .await?;
        Ok(())
    }

    /// Removes one file; one that is already gone is not an error.
    pub async fn delete(&self, stored_key: &str, file: &str) -> Result<(), StoreError> {
        match self.inner.delete(&Self::path(stored_key, file)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored file, for the operators' commands and the prune (never served).
    pub async fn inventory(&self) -> Result<Vec<StoredFile>, StoreError> {
        use futures::StreamExt;
        let mut listing = self.inner.list(None);
        let mut out = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            let mut parts = meta.location.parts();
            let (Some(key), Some(file)) = (parts.next(), parts.next()) else {
                continue;
            };
            out.push(StoredFile {
                key: key.as_ref().to_owned(),
                file: file.as_ref().to_owned(),
                size: meta.size,
                last_modified: meta.last_modified,
            });
        }
        Ok(out)
    }

    /// How many files and bytes the store holds.
    pub async fn usage(&self) -> Result<Usage, StoreError> {
        let all = self.inventory().await?;
        Ok(Usage {
            files: all.len() as u64,
            bytes: all.iter().map(|f| f.size).sum(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(&StoreConfig::Local {
            root: dir.path().join("media"),
        })
        .unwrap();
        store
            .put("k1", "original.jpg", vec![1, 2, 3])
            .await
            .unwrap();
        assert_eq!(
            store.get("k1", "original.jpg").await.unwrap().as_deref(),
            Some(&[1u8, 2, 3][..])
        );
        assert_eq!(store.get("k1", "small.jpg").await.unwrap(), None);
        store.copy("k1", "k2", "original.jpg").await.unwrap();
        store.delete("k1", "original.jpg").await.unwrap();
        store.delete("k1", "original.jpg").await.unwrap();
        assert_eq!(store.get("k1", "original.jpg").await.unwrap(), None);
        assert!(store.get("k2", "original.jpg").await.unwrap().is_some());
        assert_eq!(store.usage().await.unwrap(), Usage { files: 1, bytes: 3 });
    }
}
