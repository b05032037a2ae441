//! Photo helpers shared by the media tests: uploads through the API, anonymous fetches of media
//! URLs, and a look at the files the store holds.

use super::Member;
use enishi_server::Running;
use serde_json::Value;

/// Uploads `bytes` as `name` (claimed type `mime`) with an optional alt text.
pub async fn upload(
    m: &Member,
    bytes: Vec<u8>,
    name: &str,
    mime: &str,
    description: Option<&str>,
) -> anyhow::Result<(u16, Value)> {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)?,
    );
    if let Some(d) = description {
        form = form.text("description", d.to_owned());
    }
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/media", m.api.base))
        .bearer_auth(m.api.token().unwrap_or_default())
        .multipart(form)
        .send()
        .await?;
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

/// Fetches a media URL anonymously: status, `Cache-Control`, `Content-Type` and bytes.
pub async fn fetch(url: &str) -> anyhow::Result<(u16, String, String, Vec<u8>)> {
    let r = reqwest::get(url).await?;
    let header = |h: &str| {
        r.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (cache, kind) = (header("cache-control"), header("content-type"));
    Ok((r.status().as_u16(), cache, kind, r.bytes().await?.to_vec()))
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Files under the instance's local media directory.
pub fn stored_files(run: &Running) -> Vec<String> {
    files_under(&run.config.data_dir.join("media"))
}

/// Every `{key}/{file}` under `root`, the layout of both stores (a local directory, and the
/// bucket directory of the S3 server).
pub fn files_under(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for key in std::fs::read_dir(root).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(key.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push(format!(
                "{}/{}",
                key.file_name().to_string_lossy(),
                f.file_name().to_string_lossy()
            ));
        }
    }
    out.sort();
    out
}

/// Runs one prune of the instance's store, as `enishi media prune` does.
pub async fn prune(run: &Running) -> anyhow::Result<enishi_server::media_prune::PruneReport> {
    let store = enishi_media::MediaStore::open(&run.config.media.store)?;
    enishi_server::media_prune::prune(&run.db, &store, &|_, _, _| {}).await
}

/// The store key (32 hex digits) a media URL carries.
pub fn key_of(url: &str) -> String {
    url.split("/media/").nth(1).unwrap_or_default()[..32].to_owned()
}

/// Makes every stored file look an hour old, past the prune's grace for uploads in flight.
pub fn age_files(run: &Running) -> anyhow::Result<()> {
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let root = run.config.data_dir.join("media");
    for f in stored_files(run) {
        let file = std::fs::File::options().write(true).open(root.join(f))?;
        file.set_modified(old)?;
    }
    Ok(())
}
