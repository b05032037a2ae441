//! The OpenAPI document of the JSON API, served at `/api/v1/openapi.json`.

use super::{auth, dto, people, posts, social};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "a token from POST /api/v1/sessions or `enishi token create`",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every endpoint and schema of the API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Enishi API", description = "Friends, diaries, voice posts, comments, likes, introductions, footprints and notifications, each read through the audience rule."),
    modifiers(&BearerAuth),
    paths(
        auth::create_session, auth::delete_session,
        people::me, people::update_settings, people::update_profile, people::profile, people::relationship, people::friends,
        people::footprints, people::notifications, people::read_notifications,
        social::send_request, social::list_requests, social::accept_request, social::reject_request, social::unfriend,
        social::block, social::list_blocks, social::unblock,
        social::write_introduction, social::introductions_of, social::get_introduction, social::edit_introduction,
        social::delete_introduction, social::hide_introduction, social::show_introduction,
        posts::create_diary, posts::get_diary, posts::edit_diary, posts::delete_diary, posts::member_diaries,
        posts::diary_comments, posts::comment_diary, posts::like_diary, posts::unlike_diary, posts::diary_likes,
        posts::create_voice, posts::get_voice, posts::edit_voice, posts::delete_voice, posts::member_voices,
        posts::voice_comments, posts::comment_voice, posts::like_voice, posts::unlike_voice, posts::voice_likes,
        posts::delete_comment, posts::timeline,
    ),
    components(schemas(
        crate::error::ErrorBody, enishi_core::Audience, enishi_core::PostKind, enishi_core::NotificationKind,
        dto::ActorRef, dto::DiaryOut, dto::VoiceOut, dto::PostOut, dto::CommentOut, dto::IntroductionOut,
        dto::FriendRequestOut, dto::RelationshipOut, dto::FieldDto, dto::ProfileOut, dto::MeOut, dto::SettingsOut,
        dto::FootprintOut, dto::NotificationOut,
    ))
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
