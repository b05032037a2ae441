//! Settings: default audience, footprints, language and the profile's audiences (as
//! `PATCH /api/v1/me/settings`), and the profile itself — nickname, bio and fields, each with
//! its audience (as `PATCH /api/v1/me/profile`), with the avatar and header image forms of
//! `profile_images`.

use super::i18n::Lang;
use super::visit::Visit;
use super::{page, see_other, widgets};
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use enishi_core::content::profile_limits;
use enishi_core::media::ProfileImages;
use enishi_core::{Audience, MemberSettings, ProfileField};
use enishi_db::profiles::{self, ProfileEdit, SettingsEdit};
use enishi_db::{OpError, accounts};
use maud::{Markup, html};
use serde::Deserialize;

/// Routes for the settings pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings_form).post(save_settings))
        .route("/settings/profile", get(profile_form).post(save_profile))
}

/// `?saved=1` after a successful save.
#[derive(Deserialize, Default)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

fn saved_flash(visit: &Visit, saved: &Saved) -> Markup {
    html! {
        @if saved.saved.is_some() { p.flash role="status" { (visit.t("people-settings-saved")) } }
    }
}

/// One audience choice with its label.
fn audience_row(visit: &Visit, name: &str, label_key: &str, value: Audience) -> Markup {
    html! {
        div {
            label for=(name) { (visit.t(label_key)) }
            (widgets::audience_select(visit, name, name, value))
        }
    }
}

async fn settings_form(
    State(state): State<AppState>,
    visit: Visit,
    Query(saved): Query<Saved>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let s: MemberSettings = me.settings;
    let lang = me.language.as_deref().and_then(Lang::parse);
    let body = html! {
        h1 { (visit.t("nav-settings")) }
        (saved_flash(&visit, &saved))
        form.stack method="post" action="/settings" {
            (widgets::csrf(&visit))
            (audience_row(&visit, "default_audience", "people-settings-default-audience", s.default_audience))
            div {
                input #footprints type="checkbox" name="footprints" value="on" checked[s.footprints_enabled];
                " " label for="footprints" { (visit.t("people-settings-footprints")) }
                p.hint { (visit.t("people-settings-footprints-hint")) }
            }
            div {
                label for="settings-lang" { (visit.t("language")) }
                select #settings-lang name="lang" {
                    option value="" selected[lang.is_none()] { (visit.t("people-settings-lang-auto")) }
                    @for l in Lang::ALL {
                        option value=(l.tag()) selected[lang == Some(l)] { (l.own_name()) }
                    }
                }
            }
            h2 { (visit.t("people-settings-profile-audiences")) }
            (audience_row(&visit, "nickname_audience", "people-field-nickname-audience", s.nickname_audience))
            (audience_row(&visit, "bio_audience", "people-field-bio-audience", s.bio_audience))
            (audience_row(&visit, "avatar_audience", "people-field-avatar-audience", s.avatar_audience))
            (audience_row(&visit, "friends_audience", "people-field-friends-audience", s.friends_audience))
            (audience_row(&visit, "introductions_audience", "people-field-intros-audience", s.introductions_audience))
            div { button type="submit" { (visit.t("people-save")) } }
        }
        h2 { (visit.t("people-settings-more")) }
        ul.list {
            li { a href="/settings/profile" { (visit.t("people-edit-profile")) } }
            li { a href="/settings/password" { (visit.t("password-title")) } }
            li { a href="/settings/sessions" { (visit.t("sessions-title")) } }
            li { a href="/settings/apps" { (visit.t("apps-title")) } }
            li { a href="/settings/archive" { (visit.t("archive-title")) } }
            li { a href="/settings/move" { (visit.t("move-title")) } }
            li { a href="/settings/delete" { (visit.t("leave-title")) } }
        }
    };
    page(&state, &visit, &visit.t("nav-settings"), body).await
}

/// The settings form's fields.
#[derive(Deserialize)]
pub struct SettingsForm {
    default_audience: Audience,
    #[serde(default)]
    footprints: Option<String>,
    #[serde(default)]
    lang: String,
    nickname_audience: Audience,
    bio_audience: Audience,
    avatar_audience: Audience,
    friends_audience: Audience,
    introductions_audience: Audience,
}

async fn save_settings(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let lang =
        match form.lang.as_str() {
            "" => None,
            tag => Some(Lang::parse(tag).ok_or_else(|| {
                AppError::bad_request("invalid_language", visit.t("error-language"))
            })?),
        };
    let edit = SettingsEdit {
        default_audience: Some(form.default_audience),
        footprints_enabled: Some(form.footprints.is_some()),
        nickname_audience: Some(form.nickname_audience),
        bio_audience: Some(form.bio_audience),
        avatar_audience: Some(form.avatar_audience),
        friends_audience: Some(form.friends_audience),
        introductions_audience: Some(form.introductions_audience),
    };
    profiles::update_settings(&state.db, me.account_id, edit).await?;
    accounts::set_language(&state.db, me.account_id, lang.map(Lang::tag)).await?;
    Ok(see_other("/settings?saved=1"))
}

/// The profile form as shown: current values, or what was sent when it was refused.
struct ProfileDraft {
    nickname: String,
    nickname_audience: Audience,
    bio: String,
    bio_audience: Audience,
    fields: Vec<ProfileField>,
}

fn profile_body(
    visit: &Visit,
    d: &ProfileDraft,
    images: &ProfileImages,
    saved: &Saved,
    error: Option<&str>,
) -> Markup {
    let blank = ProfileField {
        name: String::new(),
        value: String::new(),
        audience: Audience::Friends,
    };
    let rows: Vec<&ProfileField> = d
        .fields
        .iter()
        .chain(std::iter::repeat(&blank))
        .take(profile_limits::FIELDS)
        .collect();
    html! {
        h1 { (visit.t("people-edit-profile")) }
        (saved_flash(visit, saved))
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.stack method="post" action="/settings/profile" {
            (widgets::csrf(visit))
            div {
                label for="nickname" { (visit.t("people-field-nickname")) }
                input #nickname type="text" name="nickname" value=(d.nickname) maxlength=(profile_limits::NICKNAME);
            }
            (audience_row(visit, "nickname_audience", "people-field-nickname-audience", d.nickname_audience))
            div {
                label for="bio" { (visit.t("people-field-bio")) }
                textarea #bio name="bio" rows="6" maxlength=(profile_limits::BIO) { (d.bio) }
            }
            (audience_row(visit, "bio_audience", "people-field-bio-audience", d.bio_audience))
            h2 { (visit.t("people-fields-title")) }
            p.hint { (visit.t("people-fields-hint")) }
            @for (i, f) in rows.iter().enumerate() {
                fieldset {
                    legend { (visit.ta("people-field-row", &[("count", (i + 1).into())])) }
                    div {
                        label for=(format!("field-{i}-name")) { (visit.t("people-field-name")) }
                        input id=(format!("field-{i}-name")) type="text" name=(format!("field-{i}-name")) value=(f.name) maxlength=(profile_limits::FIELD_NAME);
                    }
                    div {
                        label for=(format!("field-{i}-value")) { (visit.t("people-field-value")) }
                        input id=(format!("field-{i}-value")) type="text" name=(format!("field-{i}-value")) value=(f.value) maxlength=(profile_limits::FIELD_VALUE);
                    }
                    div {
                        label for=(format!("field-{i}-audience")) { (visit.t("field-audience")) }
                        (widgets::audience_select(visit, &format!("field-{i}-audience"), &format!("field-{i}-audience"), f.audience))
                    }
                }
            }
            div { button type="submit" { (visit.t("people-save")) } }
        }
        (super::profile_images::section(visit, images))
    }
}

async fn profile_form(
    State(state): State<AppState>,
    visit: Visit,
    Query(saved): Query<Saved>,
) -> Result<Response, AppError> {
    profile_page(&state, &visit, &saved, None).await
}

/// The profile settings page with the member's current profile, and `error` if a change was
/// refused.
pub(super) async fn profile_page(
    state: &AppState,
    visit: &Visit,
    saved: &Saved,
    error: Option<&str>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    // The owner sees every part of their own profile.
    let view = profiles::view(&state.db, &visit.viewer(), &me.actor).await?;
    let draft = ProfileDraft {
        nickname: view.actor.display_name.clone().unwrap_or_default(),
        nickname_audience: me.settings.nickname_audience,
        bio: view
            .actor
            .summary
            .as_deref()
            .map(enishi_core::content::html_to_text)
            .unwrap_or_default(),
        bio_audience: me.settings.bio_audience,
        fields: view.fields,
    };
    let body = profile_body(visit, &draft, &view.images, saved, error);
    page(state, visit, &visit.t("people-edit-profile"), body).await
}

/// Reads the profile form (its `field-N-…` rows) into a draft; rows left empty are dropped.
fn read_profile_form(pairs: Vec<(String, String)>) -> Result<ProfileDraft, AppError> {
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let audience = |key: &str| -> Result<Audience, AppError> { Ok(get(key).parse::<Audience>()?) };
    let mut fields = Vec::new();
    for i in 0..profile_limits::FIELDS {
        let (name, value) = (
            get(&format!("field-{i}-name")),
            get(&format!("field-{i}-value")),
        );
        if name.trim().is_empty() && value.trim().is_empty() {
            continue;
        }
        fields.push(ProfileField {
            name,
            value,
            audience: audience(&format!("field-{i}-audience"))?,
        });
    }
    Ok(ProfileDraft {
        nickname: get("nickname"),
        nickname_audience: audience("nickname_audience")?,
        bio: get("bio"),
        bio_audience: audience("bio_audience")?,
        fields,
    })
}

async fn save_profile(
    State(state): State<AppState>,
    visit: Visit,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    let draft = read_profile_form(pairs)?;
    let edit = ProfileEdit {
        nickname: Some(draft.nickname.clone()),
        bio: Some(draft.bio.clone()),
        avatar_url: None,
        avatar_id: None,
        header_id: None,
        fields: Some(draft.fields.clone()),
    };
    match profiles::update(&state.db, me.actor.id, edit).await {
        Ok(()) => {}
        Err(OpError::Invalid(v)) => {
            let key = match v.field {
                "nickname" => "people-invalid-nickname",
                "bio" => "people-invalid-bio",
                _ => "people-invalid-fields",
            };
            let images = enishi_db::profile_images::of(&state.db.conn, me.actor.id).await?;
            let body = profile_body(
                &visit,
                &draft,
                &images,
                &Saved::default(),
                Some(&visit.t(key)),
            );
            let mut r = page(&state, &visit, &visit.t("people-edit-profile"), body).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    }
    let audiences = SettingsEdit {
        nickname_audience: Some(draft.nickname_audience),
        bio_audience: Some(draft.bio_audience),
        ..SettingsEdit::default()
    };
    profiles::update_settings(&state.db, me.account_id, audiences).await?;
    Ok(see_other("/settings/profile?saved=1"))
}
