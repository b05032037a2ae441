//! Followers collection synchronisation (FEP-8fcf): followers-only deliveries carry a digest
//! of the followers on the receiving server, so that a server whose view drifted (a lost
//! Undo, a restored backup) notices and repairs it.

use aws_lc_rs::digest::{SHA256, digest};
use std::collections::BTreeMap;
use url::Url;

/// The request header's name.
pub const HEADER: &str = "Collection-Synchronization";

/// The FEP-8fcf digest of a set of actor ids: the XOR of their SHA-256 hashes, in hex.
/// Order does not matter and the empty set is all zeroes.
pub fn digest_of<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut acc = [0u8; 32];
    for id in ids {
        let d = digest(&SHA256, id.as_bytes());
        for (a, b) in acc.iter_mut().zip(d.as_ref()) {
            *a ^= b;
        }
    }
    acc.iter().map(|b| format!("{b:02x}")).collect()
}

/// A parsed `Collection-Synchronization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncHeader {
    /// The followers collection it describes.
    pub collection_id: Url,
    /// Where the partial collection for the receiving server can be fetched.
    pub url: Url,
    /// The digest of the followers on the receiving server.
    pub digest: String,
}

impl SyncHeader {
    /// The header value.
    pub fn to_header(&self) -> String {
        format!(
            "collectionId=\"{}\", url=\"{}\", digest=\"{}\"",
            self.collection_id, self.url, self.digest
        )
    }

    /// Parses a header value; `None` if any part is missing or malformed.
    pub fn parse(value: &str) -> Option<SyncHeader> {
        let mut parts = BTreeMap::new();
        for item in value.split(',') {
            let (k, v) = item.split_once('=')?;
            parts.insert(k.trim().to_owned(), v.trim().trim_matches('"').to_owned());
        }
        let digest = parts.get("digest")?.to_ascii_lowercase();
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(SyncHeader {
            collection_id: Url::parse(parts.get("collectionId")?).ok()?,
            url: Url::parse(parts.get("url")?).ok()?,
            digest,
        })
    }
}

/// What the inbox learnt from a delivery's `Collection-Synchronization` header: when the
/// sender's digest of its followers here differs from ours, fetch its list and repair ours
/// (our follow it does not know goes; a follow it believes in that we do not have is
/// withdrawn there). Returns how many follows were repaired.
pub async fn reconcile(
    ctx: &crate::inbox::InboxContext,
    sender: &enishi_core::Actor,
    header: &SyncHeader,
) -> Result<usize, crate::fetch::FetchError> {
    use crate::ApubError;
    use enishi_db::inbound::social;
    if sender.followers.as_ref() != Some(&header.collection_id)
        || !crate::convert::same_origin(&header.url, &sender.ap_id)
    {
        return Err(ApubError::Invalid(format!(
            "{} does not describe the followers of {}",
            header.collection_id, sender.ap_id
        ))
        .into());
    }
    let ours = social::local_followers_of(&ctx.db, sender.id)
        .await
        .map_err(|e| ApubError::Invalid(e.to_string()))?;
    if digest_of(ours.iter().map(|a| a.ap_id.as_str())) == header.digest {
        return Ok(0);
    }
    let page = ctx.fetcher.object(&header.url).await?;
    let items: Vec<String> = ["orderedItems", "items"]
        .iter()
        .filter_map(|k| page.get(*k))
        .chain(page.get("first").and_then(|f| f.get("orderedItems")))
        .flat_map(|v| crate::inbox::ids_of(Some(v)))
        .map(|u| u.to_string())
        .collect();
    let mut repaired = 0;
    for member in &ours {
        if !items.iter().any(|i| i == member.ap_id.as_str()) {
            social::follow_rejected(&ctx.db, member, sender)
                .await
                .map_err(|e| ApubError::Invalid(e.to_string()))?;
            repaired += 1;
        }
    }
    for item in &items {
        let Ok(url) = Url::parse(item) else { continue };
        if ours.iter().any(|m| m.ap_id == url) {
            continue;
        }
        if let Some(member) = crate::inbox::local_member(ctx, &url)
            .await
            .map_err(|e| ApubError::Invalid(e.to_string()))?
        {
            social::withdraw_unknown_follow(&ctx.db, &ctx.settings, &member, sender)
                .await
                .map_err(|e| ApubError::Invalid(e.to_string()))?;
            repaired += 1;
        }
    }
    Ok(repaired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_an_order_free_xor() {
        let a = "https://b.example/users/1";
        let b = "https://b.example/users/2";
        assert_eq!(digest_of([a, b]), digest_of([b, a]));
        assert_eq!(digest_of([a, a]), digest_of([]));
        assert_eq!(digest_of([]), "0".repeat(64));
        // The FEP's own example: a single id's digest is its SHA-256.
        assert_eq!(
            digest_of(["https://testing.example.org/users/1"]),
            digest(&SHA256, b"https://testing.example.org/users/1")
                .as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
    }

    #[test]
    fn header_round_trips() {
        let h = SyncHeader {
            collection_id: Url::parse("https://a.example/users/alice/followers").unwrap(),
            url: Url::parse("https://a.example/users/alice/followers_synchronization").unwrap(),
            digest: "ab".repeat(32),
        };
        assert_eq!(SyncHeader::parse(&h.to_header()), Some(h));
        assert_eq!(SyncHeader::parse("collectionId=\"x\""), None);
    }
}
