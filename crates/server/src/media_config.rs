//! The photo settings: upload limits and which store keeps the files. Part of
//! [`crate::config::Config`], parsed with it (the TOML file's `[media]` table, or `ENISHI_MEDIA_*`,
//! which win).

use crate::config::ConfigError;
use enishi_media::{ProcessLimits, StoreConfig};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Photo settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// Upload limits.
    pub limits: ProcessLimits,
    /// Where the files are kept.
    pub store: StoreConfig,
    /// Most bytes the cache of other servers' attachments and avatars may hold.
    pub cache_max: u64,
    /// How long fetching one of those files may take, start to end.
    pub fetch_timeout: std::time::Duration,
}

/// The default size of the cache of other servers' files: 1 GiB.
pub const DEFAULT_CACHE_MAX: u64 = 1 << 30;

/// The default time one fetch of another server's file may take.
pub const DEFAULT_FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

impl MediaConfig {
    /// The defaults: 10 MiB, 40 megapixels, files under `{data_dir}/media`.
    pub fn local(data_dir: &Path) -> Self {
        MediaConfig {
            limits: ProcessLimits::default(),
            store: StoreConfig::Local {
                root: data_dir.join("media"),
            },
            cache_max: DEFAULT_CACHE_MAX,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
        }
    }
}

/// The TOML `[media]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MediaFile {
    max_bytes: Option<usize>,
    max_pixels: Option<u64>,
    cache_max: Option<u64>,
    fetch_timeout: Option<u64>,
    dir: Option<PathBuf>,
    s3_endpoint: Option<String>,
    s3_bucket: Option<String>,
    s3_region: Option<String>,
    s3_access_key: Option<String>,
    s3_secret_key: Option<String>,
    s3_path_style: Option<bool>,
}

/// The environment variables of [`MediaConfig`], with what they set.
pub(crate) const MEDIA_VARS: &[(&str, &str)] = &[
    (
        "ENISHI_MEDIA_MAX_BYTES",
        "largest photo upload in bytes (default 10485760, 10 MiB)",
    ),
    (
        "ENISHI_MEDIA_MAX_PIXELS",
        "largest decoded photo in pixels (default 40000000)",
    ),
    (
        "ENISHI_MEDIA_CACHE_MAX",
        "most bytes kept of other servers' photos and avatars (default 1073741824, 1 GiB)",
    ),
    (
        "ENISHI_MEDIA_FETCH_TIMEOUT",
        "seconds one fetch of another server's photo may take (default 20)",
    ),
    (
        "ENISHI_MEDIA_DIR",
        "directory of the photo files when no S3 bucket is set (default DATA_DIR/media)",
    ),
    (
        "ENISHI_MEDIA_S3_BUCKET",
        "keep photo files in this S3 bucket instead of the local directory",
    ),
    (
        "ENISHI_MEDIA_S3_ENDPOINT",
        "URL of the S3-compatible service (default AWS)",
    ),
    (
        "ENISHI_MEDIA_S3_REGION",
        "region of the bucket (default us-east-1)",
    ),
    ("ENISHI_MEDIA_S3_ACCESS_KEY", "access key id for the bucket"),
    (
        "ENISHI_MEDIA_S3_SECRET_KEY",
        "secret access key for the bucket",
    ),
    (
        "ENISHI_MEDIA_S3_PATH_STYLE",
        "true: address the bucket as ENDPOINT/BUCKET (most self-hosted services); default false",
    ),
];

fn bad(setting: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: setting.to_owned(),
        message: message.into(),
    }
}

impl MediaConfig {
    /// Reads the settings from the environment (which wins) and the file.
    pub(crate) fn parse(
        env: &BTreeMap<String, String>,
        file: MediaFile,
        data_dir: &Path,
    ) -> Result<MediaConfig, ConfigError> {
        let text = |key: &str, from_file: Option<String>| -> Option<String> {
            env.get(key)
                .cloned()
                .or(from_file)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let positive = |key: &str, from_file: Option<u64>| -> Result<Option<u64>, ConfigError> {
            match env.get(key) {
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(Some)
                    .ok_or_else(|| bad(key, format!("{v:?} is not a positive whole number"))),
                None => Ok(from_file.filter(|n| *n > 0)),
            }
        };
        let defaults = ProcessLimits::default();
        let max_bytes = positive("ENISHI_MEDIA_MAX_BYTES", file.max_bytes.map(|n| n as u64))?
            .map_or(defaults.max_bytes, |n| n as usize);
        if max_bytes > 200 * 1024 * 1024 {
            return Err(bad("ENISHI_MEDIA_MAX_BYTES", "must be at most 200 MiB"));
        }
        let max_pixels =
            positive("ENISHI_MEDIA_MAX_PIXELS", file.max_pixels)?.unwrap_or(defaults.max_pixels);
        if max_pixels > 200_000_000 {
            return Err(bad(
                "ENISHI_MEDIA_MAX_PIXELS",
                "must be at most 200000000 (a larger canvas needs gigabytes to decode)",
            ));
        }
        let limits = ProcessLimits {
            max_bytes,
            max_pixels,
        };
        let cache_max =
            positive("ENISHI_MEDIA_CACHE_MAX", file.cache_max)?.unwrap_or(DEFAULT_CACHE_MAX);
        let fetch_timeout = positive("ENISHI_MEDIA_FETCH_TIMEOUT", file.fetch_timeout)?
            .map_or(DEFAULT_FETCH_TIMEOUT, std::time::Duration::from_secs);
        if fetch_timeout > std::time::Duration::from_secs(300) {
            return Err(bad(
                "ENISHI_MEDIA_FETCH_TIMEOUT",
                "must be at most 300 seconds",
            ));
        }
        let store = match text("ENISHI_MEDIA_S3_BUCKET", file.s3_bucket) {
            Some(bucket) => {
                let key = |name: &str, from_file: Option<String>| {
                    text(name, from_file).ok_or_else(|| {
                        bad(name, "must be set with ENISHI_MEDIA_S3_BUCKET".to_owned())
                    })
                };
                let endpoint = text("ENISHI_MEDIA_S3_ENDPOINT", file.s3_endpoint);
                if let Some(e) = &endpoint
                    && url::Url::parse(e)
                        .ok()
                        .is_none_or(|u| !matches!(u.scheme(), "http" | "https"))
                {
                    return Err(bad(
                        "ENISHI_MEDIA_S3_ENDPOINT",
                        format!("{e:?} is not an http(s) URL"),
                    ));
                }
                let path_style = match env.get("ENISHI_MEDIA_S3_PATH_STYLE") {
                    Some(v) => match v.trim() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        other => {
                            return Err(bad(
                                "ENISHI_MEDIA_S3_PATH_STYLE",
                                format!("{other:?} is not true or false"),
                            ));
                        }
                    },
                    None => file.s3_path_style.unwrap_or(false),
                };
                StoreConfig::S3 {
                    endpoint,
                    bucket,
                    region: text("ENISHI_MEDIA_S3_REGION", file.s3_region)
                        .unwrap_or_else(|| "us-east-1".into()),
                    access_key: key("ENISHI_MEDIA_S3_ACCESS_KEY", file.s3_access_key)?,
                    secret_key: key("ENISHI_MEDIA_S3_SECRET_KEY", file.s3_secret_key)?,
                    path_style,
                }
            }
            None => StoreConfig::Local {
                root: env
                    .get("ENISHI_MEDIA_DIR")
                    .map(PathBuf::from)
                    .or(file.dir)
                    .unwrap_or_else(|| data_dir.join("media")),
            },
        };
        Ok(MediaConfig {
            limits,
            store,
            cache_max,
            fetch_timeout,
        })
    }
}

impl MediaConfig {
    /// Appends the `[media]` table as `enishi config check` shows it; the S3 keys are never
    /// printed.
    pub(crate) fn describe(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = writeln!(out, "\n[media]");
        let _ = writeln!(out, "max_bytes = {}", self.limits.max_bytes);
        let _ = writeln!(out, "max_pixels = {}", self.limits.max_pixels);
        let _ = writeln!(out, "cache_max = {}", self.cache_max);
        let _ = writeln!(out, "fetch_timeout = {}", self.fetch_timeout.as_secs());
        match &self.store {
            StoreConfig::Local { root } => {
                let _ = writeln!(out, "dir = {:?}", root.display().to_string());
            }
            StoreConfig::S3 {
                endpoint,
                bucket,
                region,
                path_style,
                ..
            } => {
                let _ = writeln!(out, "s3_bucket = {bucket:?}");
                if let Some(e) = endpoint {
                    let _ = writeln!(out, "s3_endpoint = {e:?}");
                }
                let _ = writeln!(out, "s3_region = {region:?}");
                let _ = writeln!(out, "s3_path_style = {path_style}");
                let _ = writeln!(out, "# s3_access_key and s3_secret_key are set (not shown)");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_s3() {
        let d = Path::new("/var/lib/enishi");
        let c = MediaConfig::parse(&env(&[]), MediaFile::default(), d).unwrap();
        assert_eq!(c, MediaConfig::local(d));
        let c = MediaConfig::parse(
            &env(&[
                ("ENISHI_MEDIA_S3_BUCKET", "photos"),
                ("ENISHI_MEDIA_S3_ENDPOINT", "http://127.0.0.1:9000"),
                ("ENISHI_MEDIA_S3_ACCESS_KEY", "ak"),
                ("ENISHI_MEDIA_S3_SECRET_KEY", "sk"),
                ("ENISHI_MEDIA_S3_PATH_STYLE", "true"),
                ("ENISHI_MEDIA_MAX_BYTES", "1000"),
            ]),
            MediaFile::default(),
            d,
        )
        .unwrap();
        assert_eq!(c.limits.max_bytes, 1000);
        assert!(matches!(
            c.store,
            StoreConfig::S3 { path_style: true, ref region, .. } if region == "us-east-1"
        ));
        let mut shown = String::new();
        c.describe(&mut shown);
        assert!(shown.contains("s3_bucket = \"photos\""), "{shown}");
        assert!(
            !shown.contains("\"ak\"") && !shown.contains("\"sk\""),
            "{shown}"
        );
    }

    #[test]
    fn mistakes_name_the_setting() {
        let d = Path::new("/d");
        let e = MediaConfig::parse(
            &env(&[("ENISHI_MEDIA_S3_BUCKET", "photos")]),
            MediaFile::default(),
            d,
        )
        .unwrap_err();
        assert_eq!(e.setting, "ENISHI_MEDIA_S3_ACCESS_KEY");
        let e = MediaConfig::parse(
            &env(&[("ENISHI_MEDIA_MAX_PIXELS", "0")]),
            MediaFile::default(),
            d,
        )
        .unwrap_err();
        assert_eq!(e.setting, "ENISHI_MEDIA_MAX_PIXELS");
        let e = MediaConfig::parse(
            &env(&[
                ("ENISHI_MEDIA_S3_BUCKET", "photos"),
                ("ENISHI_MEDIA_S3_ENDPOINT", "ftp://x"),
            ]),
            MediaFile::default(),
            d,
        )
        .unwrap_err();
        assert_eq!(e.setting, "ENISHI_MEDIA_S3_ENDPOINT");
    }
}
