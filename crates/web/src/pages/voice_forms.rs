//! Posting and editing voice posts: the home page's composer and the edit form, on the same
//! `enishi_db::posts` calls as the API.

use super::post_forms::{Target, edit_target};
use super::post_photos::{self, Photos, Refusal};
use super::posts::{REFUSED, audience_field, href, own_post, refused_input};
use super::sent_form::SentForm;
use super::visit::Visit;
use super::{page, page_with, see_other, widgets};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::response::Response;
use enishi_core::{Audience, PostKind};
use enishi_db::OpError;
use enishi_db::posts::{self, NewPost, PostEdit};
use maud::{Markup, html};

/// The voice form for editing, or for a composer's refused post.
fn voice_form(
    state: &AppState,
    visit: &Visit,
    to: &Target<'_>,
    text: &str,
    photos: &Photos,
    audience: Audience,
    refusal: &Refusal,
) -> Markup {
    html! {
        h1 { (to.heading) }
        (refusal.show())
        // Multipart for the photo; the form token first, where `check_forms` reads it.
        form.stack method="post" action=(to.action) enctype="multipart/form-data" {
            (widgets::csrf(visit))
            div {
                label for="voice-text" { (visit.t("voice-composer-label")) }
                textarea #voice-text name="text" rows="3" required { (text) }
            }
            (post_photos::fieldset(visit, state, PostKind::Voice, photos))
            div {
                label for="voice-audience" { (visit.t("field-audience")) }
                (widgets::audience_select(visit, "voice-audience", "audience", audience))
            }
            div { button type="submit" { (visit.t("posts-save")) } }
        }
    }
}

/// Where a voice post is written: the composer, or an edit.
enum Writing<'a> {
    New,
    Edit { id: &'a str, audience: Audience },
}

/// `POST /voices` and `POST /voices/{id}/edit`: writes the voice post as the API's
/// `create_voice` and `edit_voice` do, or shows the form again with its refusal.
async fn send_voice(
    state: &AppState,
    visit: &Visit,
    to: &Target<'_>,
    writing: Writing<'_>,
    sent: &SentForm,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let text = sent.text("text");
    let mut refusal = Refusal::default();
    let photos = post_photos::settle(state, visit, PostKind::Voice, sent, &mut refusal).await?;
    let fallback = match writing {
        Writing::New => me.settings.default_audience,
        Writing::Edit { audience, .. } => audience,
    };
    let audience = audience_field(visit, sent.text("audience")).unwrap_or_else(|e| {
        refusal.add(REFUSED, e);
        fallback
    });
    let mut wait = None;
    if refusal.is_empty() && matches!(writing, Writing::New) {
        wait = refusal.rate_limit(visit, state.access.actions.posting.admit(&me.actor.id));
    }
    if refusal.is_empty() {
        let ids = photos.media_ids();
        let known = crate::mentions::known_in(state, &[text]).await;
        photos.save_descriptions(state, visit).await?;
        let written = match writing {
            Writing::New => {
                let new = NewPost {
                    kind: PostKind::Voice,
                    title: None,
                    body: text,
                    content_warning: None,
                    audience: Some(audience),
                    known: &known,
                    media_ids: ids.as_deref().unwrap_or_default(),
                };
                posts::create(&state.db, &state.settings, me, new)
                    .await
                    .map(|_| "/".to_owned())
            }
            Writing::Edit { id, .. } => {
                let edit = PostEdit {
                    title: None,
                    body: Some(text),
                    content_warning: None,
                    audience: Some(audience),
                    known: &known,
                    media_ids: ids.as_deref(),
                };
                let viewer = visit.viewer();
                posts::edit(
                    &state.db,
                    &state.settings,
                    &viewer,
                    PostKind::Voice,
                    id,
                    edit,
                )
                .await
                .map(|_| href(PostKind::Voice, id))
            }
        };
        match written {
            Ok(to) => return Ok(see_other(&to)),
            Err(OpError::Invalid(e)) => {
                let msg = refused_input(visit, &state.settings, Some(PostKind::Voice), &e);
                refusal.add(REFUSED, msg);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let body = voice_form(state, visit, to, text, &photos, audience, &refusal);
    let r = page_with(refusal.status(), state, visit, &to.heading, body).await?;
    Ok(match wait {
        Some(w) => super::rate_limited(r, w),
        None => r,
    })
}

/// `POST /voices`: the home page's composer.
pub async fn create_voice(
    State(state): State<AppState>,
    visit: Visit,
    sent: SentForm,
) -> Result<Response, AppError> {
    let to = Target {
        action: "/voices",
        heading: visit.t("posts-new-voice"),
    };
    send_voice(&state, &visit, &to, Writing::New, &sent).await
}

/// `GET /voices/{id}/edit`.
pub async fn edit_voice_form(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let view = own_post(&state, &visit, PostKind::Voice, &id).await?;
    let (action, heading) = edit_target(&visit, PostKind::Voice, &id);
    let to = Target {
        action: &action,
        heading,
    };
    let photos = Photos::of_post(&view.post.media);
    let body = voice_form(
        &state,
        &visit,
        &to,
        &view.post.body,
        &photos,
        view.post.audience,
        &Refusal::default(),
    );
    page(&state, &visit, &to.heading, body).await
}

/// `POST /voices/{id}/edit`.
pub async fn edit_voice(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    sent: SentForm,
) -> Result<Response, AppError> {
    let view = own_post(&state, &visit, PostKind::Voice, &id).await?;
    let (action, heading) = edit_target(&visit, PostKind::Voice, &id);
    let to = Target {
        action: &action,
        heading,
    };
    let writing = Writing::Edit {
        id: &id,
        audience: view.post.audience,
    };
    send_voice(&state, &visit, &to, writing, &sent).await
}
