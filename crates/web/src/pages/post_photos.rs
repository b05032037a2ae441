//! The photos of a diary or voice form: the files picked, the photos the form already holds
//! (the post's own when editing, and those uploaded when the form was sent before and shown
//! again), their alt text, order and removal.
//!
//! Picked files go through the API's upload path (`crate::media::keep_upload`: the same
//! limits and the same turns for processing); the resulting ids go to `posts::create` and
//! `posts::edit`, whose checks decide what a post may carry. A held photo is carried in the
//! form by its id only, and looked up among the member's own, so a forged id shows nothing.

use super::sent_form::SentForm;
use super::visit::Visit;
use crate::media::UploadError;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use enishi_core::PostKind;
use enishi_core::media::{DESCRIPTION_MAX, Media, Variant, check_description, max_per_post};
use enishi_db::OpError;
use enishi_media::MediaError;
use maud::{Markup, html};

/// What the file inputs accept: the types the upload takes (it sniffs the bytes regardless).
const ACCEPT: &str = "image/jpeg,image/png,image/webp,image/gif";

/// A photo the form holds, as sent.
#[derive(Debug, Clone)]
struct Held {
    id: String,
    alt: String,
    position: String,
    remove: bool,
}

/// A photo shown in the form, with what the member made of it.
#[derive(Debug, Clone)]
struct Shown {
    media: Media,
    /// The alt text as typed (checked before any save).
    alt: String,
    remove: bool,
}

/// A form's photos, ready to show again or to save.
#[derive(Debug, Clone, Default)]
pub struct Photos {
    shown: Vec<Shown>,
    /// Whether the form sent photo fields at all: a form without them (an urlencoded post of
    /// before photos) leaves a post's photos as they are.
    sent: bool,
}

impl Photos {
    /// A post's photos, as its edit form starts with them.
    pub fn of_post(media: &[Media]) -> Photos {
        Photos {
            shown: media
                .iter()
                .map(|m| Shown {
                    media: m.clone(),
                    alt: m.description.clone().unwrap_or_default(),
                    remove: false,
                })
                .collect(),
            sent: true,
        }
    }

    /// The ids the post is to carry, in order; `None` when the form sent no photo fields.
    pub fn media_ids(&self) -> Option<Vec<String>> {
        self.sent
            .then(|| self.kept().map(|s| s.media.public_id.clone()).collect())
    }

    fn kept(&self) -> impl Iterator<Item = &Shown> {
        self.shown.iter().filter(|s| !s.remove)
    }

    /// Saves alt text changed in the form on the member's photos. Done before the post is
    /// written so that the post's own update (and its delivery) carries the new text.
    pub async fn save_descriptions(&self, state: &AppState, visit: &Visit) -> Result<(), AppError> {
        let me = visit.member()?;
        for s in self.kept() {
            let alt = check_description(Some(&s.alt))?;
            if alt != s.media.description {
                enishi_db::media::describe(&state.db, me.actor.id, &s.media.public_id, alt).await?;
            }
        }
        Ok(())
    }
}

/// Why a form is shown again: the messages, and the status of the first.
#[derive(Debug, Default)]
pub struct Refusal {
    status: Option<StatusCode>,
    messages: Vec<String>,
}

impl Refusal {
    /// Adds a message; the answer keeps the status of the first.
    pub fn add(&mut self, status: StatusCode, message: String) {
        self.status.get_or_insert(status);
        self.messages.push(message);
    }

    /// Adds the refusal of a rate limit (429) when `admitted` is one; returns the wait.
    pub fn rate_limit(
        &mut self,
        visit: &Visit,
        admitted: Result<(), std::time::Duration>,
    ) -> Option<std::time::Duration> {
        let wait = admitted.err()?;
        let seconds = super::wait_secs(wait);
        self.add(
            StatusCode::TOO_MANY_REQUESTS,
            visit.ta("posting-rate-limited", &[("seconds", seconds.into())]),
        );
        Some(wait)
    }

    /// Whether nothing was refused.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The status to answer with (200 when nothing was refused).
    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or(StatusCode::OK)
    }

    /// The messages as the forms show their errors.
    pub fn show(&self) -> Markup {
        html! {
            @for m in &self.messages {
                p.error role="alert" { (m) }
            }
        }
    }
}

/// The held photos as sent: `photo-N-id`, `-alt`, `-position` and `-remove`.
fn held(sent: &SentForm) -> Vec<Held> {
    let mut out = Vec::new();
    for (name, id) in &sent.fields {
        let Some(n) = name
            .strip_prefix("photo-")
            .and_then(|r| r.strip_suffix("-id"))
        else {
            continue;
        };
        let field = |what: &str| format!("photo-{n}-{what}");
        out.push(Held {
            id: id.clone(),
            alt: sent.text(&field("alt")).to_owned(),
            position: sent.text(&field("position")).trim().to_owned(),
            remove: sent.has(&field("remove")),
        });
    }
    // In the order the member numbered them; unnumbered (or unreadable) ones after, as sent.
    out.sort_by_key(|h| h.position.parse::<u32>().unwrap_or(u32::MAX));
    out
}

/// A file size as the forms state limits: whole megabytes, or kilobytes below one.
fn size(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB {
        format!("{} MB", bytes / MB)
    } else {
        format!("{} KB", bytes / 1024)
    }
}

/// The message for a refused file, in the visitor's language.
fn refused_file(
    visit: &Visit,
    state: &AppState,
    file: &str,
    e: &MediaError,
) -> (StatusCode, String) {
    let file = || ("file", file.to_owned().into());
    match e {
        MediaError::TooLarge(max) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            visit.ta(
                "photos-error-too-large",
                &[file(), ("size", size(*max).into())],
            ),
        ),
        MediaError::Unsupported => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            visit.ta("photos-error-unsupported", &[file()]),
        ),
        MediaError::Empty => (
            StatusCode::UNPROCESSABLE_ENTITY,
            visit.ta("photos-error-empty", &[file()]),
        ),
        MediaError::TooManyPixels { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            visit.ta(
                "photos-error-pixels",
                &[
                    file(),
                    ("count", (state.media.limits.max_pixels / 1_000_000).into()),
                ],
            ),
        ),
        MediaError::Broken(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            visit.ta("photos-error-broken", &[file()]),
        ),
    }
}

/// The message for more photos than a post of `kind` takes.
pub fn too_many(visit: &Visit, kind: PostKind) -> String {
    let key = match kind {
        PostKind::Diary => "photos-error-too-many-diary",
        PostKind::Voice => "photos-error-too-many-voice",
    };
    visit.ta(key, &[("count", max_per_post(kind).into())])
}

/// Reads a form's photos: looks up the held ones among the member's own, checks alt text and
/// the count, and uploads the picked files. What was refused is in `refusal`; the photos that
/// were uploaded are kept in the answer either way, so the member need not pick them again.
pub async fn settle(
    state: &AppState,
    visit: &Visit,
    kind: PostKind,
    sent: &SentForm,
    refusal: &mut Refusal,
) -> Result<Photos, AppError> {
    let me = visit.member()?;
    let mut photos = Photos {
        shown: Vec::new(),
        sent: sent
            .fields
            .iter()
            .any(|(k, _)| k.starts_with("photo-") || k.starts_with("file-"))
            || !sent.files.is_empty(),
    };
    let mut gone = false;
    for h in held(sent) {
        match enishi_db::media::find_own(&state.db, me.actor.id, &h.id).await {
            Ok(media) => photos.shown.push(Shown {
                media,
                alt: h.alt,
                remove: h.remove,
            }),
            Err(OpError::NotFound(_)) => gone = true,
            Err(e) => return Err(e.into()),
        }
    }
    if gone {
        refusal.add(
            StatusCode::UNPROCESSABLE_ENTITY,
            visit.t("photos-error-gone"),
        );
    }
    // Every file sent is a picked photo (the form names its inputs `file-N`, each with its
    // `file-N-alt`).
    let picked: Vec<_> = sent
        .files
        .iter()
        .map(|f| (f, sent.text(&format!("{}-alt", f.field)).to_owned()))
        .collect();
    let alt_ok = photos
        .kept()
        .map(|s| s.alt.as_str())
        .chain(picked.iter().map(|(_, a)| a.as_str()))
        .all(|a| check_description(Some(a)).is_ok());
    if !alt_ok {
        refusal.add(
            StatusCode::UNPROCESSABLE_ENTITY,
            visit.ta("photos-error-alt", &[("count", DESCRIPTION_MAX.into())]),
        );
    }
    // More than the post takes is refused before a file is processed.
    if photos.kept().count() + picked.len() > max_per_post(kind) {
        refusal.add(StatusCode::UNPROCESSABLE_ENTITY, too_many(visit, kind));
        return Ok(photos);
    }
    if !alt_ok {
        return Ok(photos);
    }
    for (file, alt) in picked {
        let description = check_description(Some(&alt))?;
        match crate::media::keep_upload(state, &me.actor, file.bytes.clone(), description).await {
            Ok(media) => photos.shown.push(Shown {
                media,
                alt,
                remove: false,
            }),
            Err(UploadError::Refused(e)) => {
                let (status, message) = refused_file(visit, state, &file.file_name, &e);
                refusal.add(status, message);
            }
            Err(UploadError::Failed(e)) => return Err(e),
        }
    }
    Ok(photos)
}

/// The photo fields of a form: the held photos (thumbnail, alt text, position, remove) and
/// a file input with its alt text for each photo more the post may take.
pub fn fieldset(visit: &Visit, state: &AppState, kind: PostKind, photos: &Photos) -> Markup {
    let max = max_per_post(kind);
    let slots = max.saturating_sub(photos.kept().count());
    let size = size(state.media.limits.max_bytes);
    let hint_key = match kind {
        PostKind::Diary => "photos-hint-diary",
        PostKind::Voice => "photos-hint-voice",
    };
    let count = photos.shown.len();
    html! {
        fieldset.photo-fields aria-describedby="photos-hint" {
            legend { (visit.t("photos-legend")) }
            p.hint #photos-hint { (visit.ta(hint_key, &[("count", max.into()), ("size", size.into())])) }
            @for (i, s) in photos.shown.iter().enumerate() {
                @let n = i + 1;
                @let name = |what: &str| format!("photo-{i}-{what}");
                div.held-photo {
                    img src=(s.media.path(Variant::Preview))
                        alt=(if s.alt.trim().is_empty() { visit.ta("photos-number", &[("n", n.into())]) } else { s.alt.clone() })
                        width=(s.media.preview_width) height=(s.media.preview_height);
                    input type="hidden" name=(name("id")) value=(s.media.public_id);
                    div {
                        label for=(name("alt")) { (visit.ta("photos-alt", &[("n", n.into())])) }
                        input id=(name("alt")) type="text" name=(name("alt")) value=(s.alt) maxlength=(DESCRIPTION_MAX);
                    }
                    @if count > 1 {
                        div {
                            label for=(name("position")) { (visit.ta("photos-position", &[("n", n.into())])) }
                            input id=(name("position")) type="number" name=(name("position")) value=(n) min="1" max=(count) inputmode="numeric";
                        }
                    }
                    div.check {
                        input id=(name("remove")) type="checkbox" name=(name("remove")) value="1" checked[s.remove];
                        " "
                        label for=(name("remove")) { (visit.ta("photos-remove", &[("n", n.into())])) }
                    }
                }
            }
            @for j in 0..slots {
                @let n = count + j + 1;
                div.new-photo {
                    div {
                        label for=(format!("file-{j}")) { (visit.ta("photos-file", &[("n", n.into())])) }
                        input id=(format!("file-{j}")) type="file" name=(format!("file-{j}")) accept=(ACCEPT);
                    }
                    div {
                        label for=(format!("file-{j}-alt")) { (visit.ta("photos-alt", &[("n", n.into())])) }
                        input id=(format!("file-{j}-alt")) type="text" name=(format!("file-{j}-alt")) maxlength=(DESCRIPTION_MAX);
                    }
                }
            }
        }
    }
}
