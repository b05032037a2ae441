//! Photos: what a stored image is, how many a post may carry, and where its files are served.
//!
//! A photo's files are served at `/media/{key}/{name}`. The key is a capability: 128 random
//! bits, disclosed only with the post that carries the photo (so only to those the audience
//! rule lets see it). It changes whenever the set of people who may know it shrinks, and an
//! old key is dead at once (DESIGN §3: the file obeys the post's audience).

use crate::PostKind;
use serde::Serialize;

/// Longest alt text, in characters (Mastodon's limit as well).
pub const DESCRIPTION_MAX: usize = 1_500;

/// How many photos a post of `kind` may carry (mixi: three on a diary, one on a voice post).
pub fn max_per_post(kind: PostKind) -> usize {
    match kind {
        PostKind::Diary => 3,
        PostKind::Voice => 1,
    }
}

/// Which file of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The re-encoded image, at most [`ORIGINAL_MAX_SIDE`] pixels on its long side.
    Original,
    /// The thumbnail, at most [`PREVIEW_MAX_SIDE`] pixels on its long side.
    Preview,
}

/// Long side of the stored "original": a phone photo shrinks to this, a smaller image stays.
pub const ORIGINAL_MAX_SIDE: u32 = 2_560;
/// Long side of the thumbnail.
pub const PREVIEW_MAX_SIDE: u32 = 480;

impl Variant {
    /// The file name's stem in URLs and in the store.
    pub fn stem(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::Preview => "small",
        }
    }

    /// Reads a file name (`original.jpg`, `small.png`) against the photo's extension.
    pub fn from_file_name(name: &str, ext: &str) -> Option<Variant> {
        let (stem, e) = name.split_once('.')?;
        if e != ext {
            return None;
        }
        Self::from_stem(stem)
    }

    /// Reads a file name whatever its extension says (`jpg` or `png`): for another server's
    /// attachment, whose URLs are handed out before its type is known.
    pub fn from_any_file_name(name: &str) -> Option<Variant> {
        let (stem, e) = name.split_once('.')?;
        if !matches!(e, "jpg" | "png") {
            return None;
        }
        Self::from_stem(stem)
    }

    fn from_stem(stem: &str) -> Option<Variant> {
        [Variant::Original, Variant::Preview]
            .into_iter()
            .find(|v| v.stem() == stem)
    }
}

/// What a photo is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attachment {
    /// Uploaded and not attached yet: only its owner knows its URL; removed after a day.
    Unattached,
    /// One of a post's photos.
    Post,
    /// A member's avatar.
    Avatar,
    /// A member's header image.
    Header,
}

/// One of the two images of a member's profile. Both follow the member's avatar audience (the
/// setting that governs the picture people know them by).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileImage {
    /// The avatar (the actor's `icon`).
    Avatar,
    /// The header image (the actor's `image`).
    Header,
}

impl ProfileImage {
    /// What a photo in this place is attached as.
    pub fn attachment(self) -> Attachment {
        match self {
            ProfileImage::Avatar => Attachment::Avatar,
            ProfileImage::Header => Attachment::Header,
        }
    }

    /// The field of the profile edit that names it (for errors).
    pub fn field(self) -> &'static str {
        match self {
            ProfileImage::Avatar => "avatar_id",
            ProfileImage::Header => "header_id",
        }
    }
}

/// A member's avatar and header image, each present only where the viewer may see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileImages {
    /// The uploaded avatar.
    pub avatar: Option<Media>,
    /// The header image.
    pub header: Option<Media>,
}

/// A stored photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// Its id in the API (`media_ids`).
    pub public_id: String,
    /// The capability in its URLs (32 hex digits).
    pub key: String,
    /// `image/jpeg` or `image/png`: what the files were re-encoded to.
    pub content_type: String,
    /// Pixels of the original.
    pub width: u32,
    /// Pixels of the original.
    pub height: u32,
    /// Pixels of the thumbnail.
    pub preview_width: u32,
    /// Pixels of the thumbnail.
    pub preview_height: u32,
    /// A BlurHash of the image, shown while it loads.
    pub blurhash: String,
    /// Alt text.
    pub description: Option<String>,
    /// Set for another server's attachment that is not served from here (a video, a sound, a
    /// type this instance does not read, or one whose fetch failed): where it is, shown as a
    /// link the member may follow.
    pub link: Option<String>,
}

impl Media {
    /// The files' extension, from the content type.
    pub fn ext(&self) -> &'static str {
        ext_of(&self.content_type)
    }

    /// The path of one of its files on this instance.
    pub fn path(&self, variant: Variant) -> String {
        format!("/media/{}/{}.{}", self.key, variant.stem(), self.ext())
    }
}

/// The size of a thumbnail of a `width` × `height` image: at most [`PREVIEW_MAX_SIDE`] on its
/// long side, never larger than the image.
pub fn preview_size(width: u32, height: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= PREVIEW_MAX_SIDE {
        return (width, height);
    }
    let scale = |side: u32| ((side as u64 * PREVIEW_MAX_SIDE as u64) / long as u64).max(1) as u32;
    (scale(width), scale(height))
}

/// The extension files of `content_type` are stored and served with.
pub fn ext_of(content_type: &str) -> &'static str {
    if content_type == "image/png" {
        "png"
    } else {
        "jpg"
    }
}

/// Whether `key` has the shape of a media key (so a malformed one is refused before any
/// lookup).
pub fn is_key(key: &str) -> bool {
    key.len() == 32
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks alt text: at most [`DESCRIPTION_MAX`] characters, no NUL; blank means none.
pub fn check_description(
    description: Option<&str>,
) -> Result<Option<String>, crate::ValidationError> {
    let Some(d) = description.map(str::trim).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    crate::content::refuse_nul("description", d)?;
    if d.chars().count() > DESCRIPTION_MAX {
        return Err(crate::ValidationError::new(
            "description",
            format!("must be at most {DESCRIPTION_MAX} characters"),
        ));
    }
    Ok(Some(d.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_keys() {
        assert_eq!(
            Variant::from_file_name("original.jpg", "jpg"),
            Some(Variant::Original)
        );
        assert_eq!(
            Variant::from_file_name("small.png", "png"),
            Some(Variant::Preview)
        );
        assert_eq!(Variant::from_file_name("small.jpg", "png"), None);
        assert_eq!(Variant::from_file_name("other.jpg", "jpg"), None);
        assert!(is_key("0123456789abcdef0123456789abcdef"));
        assert!(!is_key("0123456789ABCDEF0123456789abcdef"));
        assert!(!is_key("../etc/passwd"));
    }

    #[test]
    fn descriptions() {
        assert_eq!(check_description(Some("  ")).unwrap(), None);
        assert_eq!(
            check_description(Some(" a cat ")).unwrap().as_deref(),
            Some("a cat")
        );
        assert!(check_description(Some(&"あ".repeat(1_500))).is_ok());
        let e = check_description(Some(&"あ".repeat(1_501))).unwrap_err();
        assert_eq!(e.field, "description");
    }
}
