//! The avatar and header image forms of the profile settings page: upload, replace (with alt
//! text) or remove either image. The forms are multipart, their token first for
//! `visit::check_forms`, and take a photo's body limit. Setting and removing go through `profiles::update`, as the API's
//! `avatar_id` and `header_id` do, so the same checks apply and other servers hear of it.

use super::visit::Visit;
use super::{see_other, widgets};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use enishi_core::media::{DESCRIPTION_MAX, Media, ProfileImage, ProfileImages, Variant};
use enishi_db::profiles::{self, ProfileEdit};
use maud::{Markup, html};

const AVATAR: &str = "/settings/profile/avatar";
const HEADER: &str = "/settings/profile/header";

/// Routes for the two forms. A photo can be as large as an upload through the API: the body
/// limit is `limit_bodies`' upload limit (see [`receives`]), so axum's own is lifted.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            AVATAR,
            post(save_avatar).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            HEADER,
            post(save_header).layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

/// Whether `path` receives one of these forms: multipart, with a photo.
pub fn receives(path: &str) -> bool {
    path == AVATAR || path == HEADER
}

/// The two forms, with the current images (the owner sees their own whatever the audience).
pub fn section(visit: &Visit, images: &ProfileImages) -> Markup {
    html! {
        h2 { (visit.t("people-images-title")) }
        p.hint { (visit.t("people-images-hint")) }
        (image_form(visit, ProfileImage::Avatar, images.avatar.as_ref()))
        (image_form(visit, ProfileImage::Header, images.header.as_ref()))
    }
}

fn image_form(visit: &Visit, which: ProfileImage, current: Option<&Media>) -> Markup {
    let (name, action, title) = match which {
        ProfileImage::Avatar => ("avatar", AVATAR, "people-avatar-title"),
        ProfileImage::Header => ("header", HEADER, "people-header-title"),
    };
    let id = |part: &str| format!("{name}-{part}");
    html! {
        section.card aria-labelledby=(id("title")) {
            h3 id=(id("title")) { (visit.t(title)) }
            @if let Some(m) = current {
                p.photos {
                    img src=(m.path(Variant::Preview)) width=(m.preview_width) height=(m.preview_height)
                        alt=(m.description.as_deref().unwrap_or_default());
                }
            }
            // The token comes first: `check_forms` reads only the first field of a multipart form.
            form.stack method="post" action=(action) enctype="multipart/form-data" {
                (widgets::csrf(visit))
                div {
                    label for=(id("file")) { (visit.t("people-image-file")) }
                    input id=(id("file")) type="file" name="file" accept="image/jpeg,image/png,image/webp,image/gif";
                }
                div {
                    label for=(id("description")) { (visit.t("people-image-description")) }
                    input id=(id("description")) type="text" name="description" maxlength=(DESCRIPTION_MAX)
                        value=(current.and_then(|m| m.description.as_deref()).unwrap_or_default());
                }
                @if current.is_some() {
                    div {
                        input id=(id("remove")) type="checkbox" name="remove" value="on";
                        " " label for=(id("remove")) { (visit.t("people-image-remove")) }
                    }
                }
                div { button type="submit" { (visit.t("people-image-save")) } }
            }
        }
    }
}

/// What one of the forms sent.
struct Sent {
    file: Option<bytes::Bytes>,
    description: Option<String>,
    remove: bool,
}

/// Reads the form (its token, first, was checked by `check_forms`).
async fn read_form(mut form: Multipart) -> Result<Sent, AppError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::new(status, "payload_too_large", "the image is too large")
        } else {
            AppError::bad_request("invalid_multipart", e.body_text())
        }
    };
    let mut sent = Sent {
        file: None,
        description: None,
        remove: false,
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            // A file input left empty still sends its part, without bytes.
            "file" => sent.file = Some(field.bytes().await.map_err(bad)?).filter(|b| !b.is_empty()),
            "description" => sent.description = Some(field.text().await.map_err(bad)?),
            "remove" => sent.remove = !field.text().await.map_err(bad)?.is_empty(),
            _ => {}
        }
    }
    Ok(sent)
}

async fn save_avatar(
    State(state): State<AppState>,
    visit: Visit,
    form: Multipart,
) -> Result<Response, AppError> {
    save(&state, &visit, ProfileImage::Avatar, form).await
}

async fn save_header(
    State(state): State<AppState>,
    visit: Visit,
    form: Multipart,
) -> Result<Response, AppError> {
    save(&state, &visit, ProfileImage::Header, form).await
}

/// Uploads and sets the image, removes it, or changes its alt text.
async fn save(
    state: &AppState,
    visit: &Visit,
    which: ProfileImage,
    form: Multipart,
) -> Result<Response, AppError> {
    let sent = read_form(form).await?;
    let me = visit.member()?;
    let description = match enishi_core::media::check_description(sent.description.as_deref()) {
        Ok(d) => d,
        Err(e) => return refused_image(state, visit, e.into()).await,
    };
    let chosen = if sent.remove {
        Some(None)
    } else if let Some(file) = sent.file {
        match crate::media::store_upload(state, &me.actor, file, description).await {
            Ok(media) => Some(Some(media.public_id)),
            Err(e) => return refused_image(state, visit, e).await,
        }
    } else {
        // No new file: the alt text of the current image changes.
        let current = enishi_db::profile_images::of(&state.db.conn, me.actor.id).await?;
        let current = match which {
            ProfileImage::Avatar => current.avatar,
            ProfileImage::Header => current.header,
        };
        if let Some(m) = current {
            enishi_db::media::describe(&state.db, me.actor.id, &m.public_id, description).await?;
        }
        None
    };
    if let Some(id) = chosen {
        let mut edit = ProfileEdit::default();
        match which {
            ProfileImage::Avatar => edit.avatar_id = Some(id),
            ProfileImage::Header => edit.header_id = Some(id),
        }
        profiles::update(&state.db, me.actor.id, edit).await?;
    }
    Ok(see_other("/settings/profile?saved=1"))
}

/// The profile settings page again, saying why the image was not kept (a file too large, of a
/// type not taken or unreadable, or alt text too long), with the refusal's status. Failures of
/// ours are not the member's to fix: they go on as errors.
async fn refused_image(state: &AppState, visit: &Visit, e: AppError) -> Result<Response, AppError> {
    let key = match (e.status, e.field.as_deref()) {
        (StatusCode::PAYLOAD_TOO_LARGE, _) => "people-image-too-large",
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, _) => "people-image-unsupported",
        (StatusCode::UNPROCESSABLE_ENTITY, Some("description")) => {
            "people-image-invalid-description"
        }
        (StatusCode::UNPROCESSABLE_ENTITY, _) => "people-image-broken",
        _ => return Err(e),
    };
    let saved = super::settings::Saved::default();
    let mut r = super::settings::profile_page(state, visit, &saved, Some(&visit.t(key))).await?;
    *r.status_mut() = e.status;
    Ok(r)
}
