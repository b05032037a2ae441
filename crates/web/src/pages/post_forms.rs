//! Writing and editing diaries: the forms and their answers, on the same `enishi_db::posts`
//! calls as the API (its checks, its author-only rule). Voice posts are in `voice_forms`.

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
use maud::{Markup, PreEscaped, html};

/// The diary form's fields.
#[derive(Debug, Default)]
struct DiaryForm {
    title: String,
    body: String,
    audience: String,
    /// Whether the Preview button sent the form.
    preview: bool,
}

impl DiaryForm {
    fn read(sent: &SentForm) -> DiaryForm {
        DiaryForm {
            title: sent.text("title").to_owned(),
            body: sent.text("body").to_owned(),
            audience: sent.text("audience").to_owned(),
            preview: sent.has("preview"),
        }
    }
}

/// Where a form is sent and what it is called.
pub(super) struct Target<'a> {
    /// The form's `action`.
    pub action: &'a str,
    /// The page's heading.
    pub heading: String,
}

/// What a diary form shows besides its fields.
struct Shown<'a> {
    photos: &'a Photos,
    audience: Audience,
    refusal: &'a Refusal,
    preview: bool,
}

/// The diary form, with its errors or a preview of the body above it.
fn diary_form(
    state: &AppState,
    visit: &Visit,
    to: &Target<'_>,
    form: &DiaryForm,
    shown: Shown<'_>,
) -> Markup {
    html! {
        h1 { (to.heading) }
        (shown.refusal.show())
        @if shown.preview {
            section.card aria-labelledby="preview-heading" {
                h2 #preview-heading { (visit.t("posts-preview-heading")) }
                p { strong { (form.title) } }
                // Exactly what the diary's page shows for its body (`widgets::post_body` of a
                // local diary renders its Markdown).
                div.body { (PreEscaped(enishi_core::render::diary_html(&form.body))) }
            }
        }
        // Multipart for the photos; the form token first, where `check_forms` reads it.
        form.stack method="post" action=(to.action) enctype="multipart/form-data" {
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
            (post_photos::fieldset(visit, state, PostKind::Diary, shown.photos))
            div {
                label for="diary-audience" { (visit.t("field-audience")) }
                (widgets::audience_select(visit, "diary-audience", "audience", shown.audience))
            }
            div.row {
                // The first button is the one Enter presses: saving, not previewing.
                button type="submit" { (visit.t("posts-save")) }
                button.plain type="submit" name="preview" value="1" { (visit.t("posts-preview")) }
            }
        }
    }
}

/// `GET /diaries/new`.
pub async fn new_diary(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    let me = visit.member()?;
    let to = Target {
        action: "/diaries",
        heading: visit.t("posts-new-diary"),
    };
    let shown = Shown {
        photos: &Photos::default(),
        audience: me.settings.default_audience,
        refusal: &Refusal::default(),
        preview: false,
    };
    let body = diary_form(&state, &visit, &to, &DiaryForm::default(), shown);
    page(&state, &visit, &to.heading, body).await
}

/// Where a diary is written: a new one, or one being edited.
enum Writing<'a> {
    New,
    Edit { id: &'a str, audience: Audience },
}

/// `POST /diaries` and `POST /diaries/{id}/edit`: reads the photos, then previews, or writes
/// the diary as the API's `create_diary` and `edit_diary` do; a refusal shows the form again
/// with what was sent, photos uploaded so far included.
async fn send_diary(
    state: &AppState,
    visit: &Visit,
    to: &Target<'_>,
    writing: Writing<'_>,
    sent: &SentForm,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let form = DiaryForm::read(sent);
    let mut refusal = Refusal::default();
    let photos = post_photos::settle(state, visit, PostKind::Diary, sent, &mut refusal).await?;
    let fallback = match writing {
        Writing::New => me.settings.default_audience,
        Writing::Edit { audience, .. } => audience,
    };
    let audience = audience_field(visit, &form.audience).unwrap_or_else(|e| {
        refusal.add(REFUSED, e);
        fallback
    });
    let show = |refusal: &Refusal, preview: bool| {
        let shown = Shown {
            photos: &photos,
            audience,
            refusal,
            preview,
        };
        diary_form(state, visit, to, &form, shown)
    };
    if form.preview {
        // What saving would refuse, so that the preview warns early (a warning: still 200).
        let status = refusal.status();
        if let Err(e) = state.settings.limits.check_diary(&form.title, &form.body) {
            let msg = refused_input(visit, &state.settings, Some(PostKind::Diary), &e);
            refusal.add(status, msg);
        }
        return page_with(status, state, visit, &to.heading, show(&refusal, true)).await;
    }
    let mut wait = None;
    if refusal.is_empty() && matches!(writing, Writing::New) {
        wait = refusal.rate_limit(visit, state.access.actions.posting.admit(&me.actor.id));
    }
    if refusal.is_empty() {
        let ids = photos.media_ids();
        let known = crate::mentions::known_in(state, &[&form.body]).await;
        photos.save_descriptions(state, visit).await?;
        let written = match writing {
            Writing::New => {
                let new = NewPost {
                    kind: PostKind::Diary,
                    title: Some(&form.title),
                    body: &form.body,
                    content_warning: None,
                    audience: Some(audience),
                    known: &known,
                    media_ids: ids.as_deref().unwrap_or_default(),
                };
                posts::create(&state.db, &state.settings, me, new)
                    .await
                    .map(|v| v.post.public_id)
            }
            Writing::Edit { id, .. } => {
                let edit = PostEdit {
                    title: Some(&form.title),
                    body: Some(&form.body),
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
                    PostKind::Diary,
                    id,
                    edit,
                )
                .await
                .map(|_| id.to_owned())
            }
        };
        match written {
            Ok(id) => return Ok(see_other(&href(PostKind::Diary, &id))),
            Err(OpError::Invalid(e)) => {
                let msg = refused_input(visit, &state.settings, Some(PostKind::Diary), &e);
                refusal.add(REFUSED, msg);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let r = page_with(
        refusal.status(),
        state,
        visit,
        &to.heading,
        show(&refusal, false),
    )
    .await?;
    Ok(match wait {
        Some(w) => super::rate_limited(r, w),
        None => r,
    })
}

/// `POST /diaries`.
pub async fn create_diary(
    State(state): State<AppState>,
    visit: Visit,
    sent: SentForm,
) -> Result<Response, AppError> {
    let to = Target {
        action: "/diaries",
        heading: visit.t("posts-new-diary"),
    };
    send_diary(&state, &visit, &to, Writing::New, &sent).await
}

/// The action and heading of a post's edit form.
pub(super) fn edit_target(visit: &Visit, kind: PostKind, id: &str) -> (String, String) {
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
    let shown = Shown {
        photos: &Photos::of_post(&view.post.media),
        audience: view.post.audience,
        refusal: &Refusal::default(),
        preview: false,
    };
    let body = diary_form(&state, &visit, &to, &form, shown);
    page(&state, &visit, &to.heading, body).await
}

/// `POST /diaries/{id}/edit`.
pub async fn edit_diary(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    sent: SentForm,
) -> Result<Response, AppError> {
    let view = own_post(&state, &visit, PostKind::Diary, &id).await?;
    let (action, heading) = edit_target(&visit, PostKind::Diary, &id);
    let to = Target {
        action: &action,
        heading,
    };
    let writing = Writing::Edit {
        id: &id,
        audience: view.post.audience,
    };
    send_diary(&state, &visit, &to, writing, &sent).await
}
