//! Writing, editing and deleting diaries and voice posts: the forms and their answers, on the
//! same `enishi_db::posts` calls as the API (its checks, its author-only rule).

use super::posts::{audience_field, href, own_post, refused_input, refused_page};
use super::visit::Visit;
use super::{page, see_other, widgets};
use crate::{AppError, AppState};
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use enishi_core::{Audience, PostKind};
use enishi_db::OpError;
use enishi_db::posts::{self, NewPost, PostEdit};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

/// The diary form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct DiaryForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    audience: String,
    /// Present when the Preview button sent the form.
    #[serde(default)]
    preview: Option<String>,
}

/// The voice form's fields (the home page's composer sends the same).
#[derive(Debug, Default, Deserialize)]
pub struct VoiceForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    audience: String,
}

/// Where a form is sent and what it is called.
struct Target<'a> {
    action: &'a str,
    heading: String,
}

/// The diary form, with an error or a preview of the body above it.
fn diary_form(
    visit: &Visit,
    to: &Target<'_>,
    form: &DiaryForm,
    audience: Audience,
    error: Option<&str>,
    preview: bool,
) -> Markup {
    html! {
        h1 { (to.heading) }
        @if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        @if preview {
            section.card aria-labelledby="preview-heading" {
                h2 #preview-heading { (visit.t("posts-preview-heading")) }
                p { strong { (form.title) } }
                // Exactly what the diary's page shows for its body (`widgets::post_body` of a
                // local diary renders its Markdown).
                div.body { (PreEscaped(enishi_core::render::diary_html(&form.body))) }
            }
        }
        form.stack method="post" action=(to.action) {
            (widgets::csrf(visit))
            div {
                label for="diary-title" { (visit.t("posts-field-title")) }
                input #diary-title type="text" name="title" value=(form.title) required;
            }
            div {
                label for="diary-body" { (visit.t("posts-field-body")) }
                p.hint #diary-body-hint { (visit.t("posts-body-hint")) }
                textarea #diary-body name="body" rows="12" aria-describedby="diary-body-hint" required { (form.body) }
            }
            div {
                label for="diary-audience" { (visit.t("field-audience")) }
                (widgets::audience_select(visit, "diary-audience", "audience", audience))
            }
            div.row {
                // The first button is the one Enter presses: saving, not previewing.
                button type="submit" { (visit.t("posts-save")) }
                button.plain type="submit" name="preview" value="1" { (visit.t("posts-preview")) }
            }
        }
    }
}

/// The voice form, for editing or for a composer's refused post.
fn voice_form(
    visit: &Visit,
    to: &Target<'_>,
    form: &VoiceForm,
    audience: Audience,
    error: Option<&str>,
) -> Markup {
    html! {
        h1 { (to.heading) }
        @if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        form.stack method="post" action=(to.action) {
            (widgets::csrf(visit))
            div {
                label for="voice-text" { (visit.t("voice-composer-label")) }
                textarea #voice-text name="text" rows="3" required { (form.text) }
            }
            div {
                label for="voice-audience" { (visit.t("field-audience")) }
                (widgets::audience_select(visit, "voice-audience", "audience", audience))
            }
            div { button type="submit" { (visit.t("posts-save")) } }
        }
    }
}

/// What saving a previewed diary would refuse: the check the write makes, so that the preview
/// warns early.
fn preview_error(state: &AppState, visit: &Visit, form: &DiaryForm) -> Option<String> {
    state
        .settings
        .limits
        .check_diary(&form.title, &form.body)
        .err()
        .map(|e| refused_input(visit, &state.settings, Some(PostKind::Diary), &e))
}

/// `GET /diaries/new`.
pub async fn new_diary(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    let me = visit.member()?;
    let to = Target {
        action: "/diaries",
        heading: visit.t("posts-new-diary"),
    };
    let body = diary_form(
        &visit,
        &to,
        &DiaryForm::default(),
        me.settings.default_audience,
        None,
        false,
    );
    page(&state, &visit, &to.heading, body).await
}

/// `POST /diaries`: previews, or writes the diary as the API's `create_diary` does.
pub async fn create_diary(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<DiaryForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let to = Target {
        action: "/diaries",
        heading: visit.t("posts-new-diary"),
    };
    let audience = match audience_field(&visit, &form.audience) {
        Ok(a) => a,
        Err(e) => {
            let body = diary_form(
                &visit,
                &to,
                &form,
                me.settings.default_audience,
                Some(&e),
                false,
            );
            return refused_page(&state, &visit, &to.heading, body).await;
        }
    };
    if form.preview.is_some() {
        let error = preview_error(&state, &visit, &form);
        let body = diary_form(&visit, &to, &form, audience, error.as_deref(), true);
        return page(&state, &visit, &to.heading, body).await;
    }
    let new = NewPost {
        kind: PostKind::Diary,
        title: Some(&form.title),
        body: &form.body,
        audience: Some(audience),
        known: &crate::mentions::known_in(&state, &[&form.body]).await,
        media_ids: &[],
    };
    match posts::create(&state.db, &state.settings, me, new).await {
        Ok(view) => Ok(see_other(&href(PostKind::Diary, &view.post.public_id))),
        Err(OpError::Invalid(e)) => {
            let msg = refused_input(&visit, &state.settings, Some(PostKind::Diary), &e);
            let body = diary_form(&visit, &to, &form, audience, Some(&msg), false);
            refused_page(&state, &visit, &to.heading, body).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /voices`: the home page's composer, as the API's `create_voice`.
pub async fn create_voice(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<VoiceForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let to = Target {
        action: "/voices",
        heading: visit.t("posts-new-voice"),
    };
    let refused = |msg: String, audience: Audience| {
        let body = voice_form(&visit, &to, &form, audience, Some(&msg));
        (to.heading.clone(), body)
    };
    let audience = match audience_field(&visit, &form.audience) {
        Ok(a) => a,
        Err(e) => {
            let (title, body) = refused(e, me.settings.default_audience);
            return refused_page(&state, &visit, &title, body).await;
        }
    };
    let new = NewPost {
        kind: PostKind::Voice,
        title: None,
        body: &form.text,
        audience: Some(audience),
        known: &crate::mentions::known_in(&state, &[&form.text]).await,
        media_ids: &[],
    };
    match posts::create(&state.db, &state.settings, me, new).await {
        Ok(_) => Ok(see_other("/")),
        Err(OpError::Invalid(e)) => {
            let msg = refused_input(&visit, &state.settings, Some(PostKind::Voice), &e);
            let (title, body) = refused(msg, audience);
            refused_page(&state, &visit, &title, body).await
        }
        Err(e) => Err(e.into()),
    }
}

fn edit_target(visit: &Visit, kind: PostKind, id: &str) -> (String, String) {
    let heading = match kind {
        PostKind::Diary => visit.t("posts-edit-diary"),
        PostKind::Voice => visit.t("posts-edit-voice"),
    };
    (format!("{}/edit", href(kind, id)), heading)
}

/// `GET /diaries/{id}/edit`.
pub async fn edit_diary_form(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let view = own_post(&state, &visit, PostKind::Diary, &id).await?;
    let (action, heading) = edit_target(&visit, PostKind::Diary, &id);
    let form = DiaryForm {
        title: view.post.title.clone().unwrap_or_default(),
        body: view.post.body.clone(),
        ..DiaryForm::default()
    };
    let to = Target {
        action: &action,
        heading,
    };
    let body = diary_form(&visit, &to, &form, view.post.audience, None, false);
    page(&state, &visit, &to.heading, body).await
}

/// `POST /diaries/{id}/edit`: previews, or saves as the API's `edit_diary`.
pub async fn edit_diary(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<DiaryForm>,
) -> Result<Response, AppError> {
    let view = own_post(&state, &visit, PostKind::Diary, &id).await?;
    let (action, heading) = edit_target(&visit, PostKind::Diary, &id);
    let to = Target {
        action: &action,
        heading,
    };
    let audience = match audience_field(&visit, &form.audience) {
        Ok(a) => a,
        Err(e) => {
            let body = diary_form(&visit, &to, &form, view.post.audience, Some(&e), false);
            return refused_page(&state, &visit, &to.heading, body).await;
        }
    };
    if form.preview.is_some() {
        let error = preview_error(&state, &visit, &form);
        let body = diary_form(&visit, &to, &form, audience, error.as_deref(), true);
        return page(&state, &visit, &to.heading, body).await;
    }
    let edit = PostEdit {
        title: Some(&form.title),
        body: Some(&form.body),
        audience: Some(audience),
        known: &crate::mentions::known_in(&state, &[&form.body]).await,
        media_ids: None,
    };
    let viewer = visit.viewer();
    match posts::edit(
        &state.db,
        &state.settings,
        &viewer,
        PostKind::Diary,
        &id,
        edit,
    )
    .await
    {
        Ok(_) => Ok(see_other(&href(PostKind::Diary, &id))),
        Err(OpError::Invalid(e)) => {
            let msg = refused_input(&visit, &state.settings, Some(PostKind::Diary), &e);
            let body = diary_form(&visit, &to, &form, audience, Some(&msg), false);
            refused_page(&state, &visit, &to.heading, body).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /voices/{id}/edit`.
pub async fn edit_voice_form(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let view = own_post(&state, &visit, PostKind::Voice, &id).await?;
    let (action, heading) = edit_target(&visit, PostKind::Voice, &id);
    let form = VoiceForm {
        text: view.post.body.clone(),
        ..VoiceForm::default()
    };
    let to = Target {
        action: &action,
        heading,
    };
    let body = voice_form(&visit, &to, &form, view.post.audience, None);
    page(&state, &visit, &to.heading, body).await
}

/// `POST /voices/{id}/edit`, as the API's `edit_voice`.
pub async fn edit_voice(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<VoiceForm>,
) -> Result<Response, AppError> {
    let view = own_post(&state, &visit, PostKind::Voice, &id).await?;
    let (action, heading) = edit_target(&visit, PostKind::Voice, &id);
    let to = Target {
        action: &action,
        heading,
    };
    let audience = match audience_field(&visit, &form.audience) {
        Ok(a) => a,
        Err(e) => {
            let body = voice_form(&visit, &to, &form, view.post.audience, Some(&e));
            return refused_page(&state, &visit, &to.heading, body).await;
        }
    };
    let edit = PostEdit {
        title: None,
        body: Some(&form.text),
        audience: Some(audience),
        known: &crate::mentions::known_in(&state, &[&form.text]).await,
        media_ids: None,
    };
    let viewer = visit.viewer();
    match posts::edit(
        &state.db,
        &state.settings,
        &viewer,
        PostKind::Voice,
        &id,
        edit,
    )
    .await
    {
        Ok(_) => Ok(see_other(&href(PostKind::Voice, &id))),
        Err(OpError::Invalid(e)) => {
            let msg = refused_input(&visit, &state.settings, Some(PostKind::Voice), &e);
            let body = voice_form(&visit, &to, &form, audience, Some(&msg));
            refused_page(&state, &visit, &to.heading, body).await
        }
        Err(e) => Err(e.into()),
    }
}
