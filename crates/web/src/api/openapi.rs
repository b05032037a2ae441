//! The OpenAPI document of the JSON API, served at `/api/v1/openapi.json`.
//!
//! The handlers' `#[utoipa::path]` attributes say what is particular to each operation; the
//! rules below add what every operation shares, so that the document says exactly what the
//! server does (checked by `scripts/api-fuzz`, which runs schemathesis against a live instance):
//!
//! - every error answer an operation can give: 400 for a malformed path id, query or JSON
//!   body, 401 for a missing (where required) or invalid token, 404 for a path naming nothing,
//!   413, 415 and 422 for a JSON body that is too large, not JSON, or not the documented shape;
//! - strings in request bodies never hold a NUL character, and required texts (`minLength` 1)
//!   must hold something other than white space — exactly what the server checks;
//! - the lengths the instance is configured with (`ContentLimits`), not only the defaults.

use super::{auth, dto, moves, people, posts, reports, social};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use enishi_core::ContentLimits;
use serde_json::{Value, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The characters Rust's `str::trim` removes (Unicode `White_Space`), as a regular expression
/// class body that reads the same in ECMA 262, Python and Rust regular expressions.
pub const WHITE_SPACE_CLASS: &str =
    r"\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// A string without NUL characters.
pub const NO_NUL_PATTERN: &str = r"^[^\u0000]*$";

/// A string without NUL characters that holds at least one character other than white space.
pub fn text_pattern() -> String {
    format!(r"^[^\u0000]*[^\u0000{WHITE_SPACE_CLASS}][^\u0000]*$")
}

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

/// Every endpoint and schema of the API, as the handlers' attributes describe them.
#[derive(OpenApi)]
#[openapi(
    info(title = "Enishi API", description = "Friends, diaries, voice posts, comments, likes, introductions, footprints and notifications, each read through the audience rule. Every error is `{\"error\": snake_case_code, \"message\": …}` (plus `field` for `validation_failed`). 422 means the input breaks the documented schema; 409 means a well-formed request that the current state refuses (already friends, yourself, the friend limit)."),
    modifiers(&BearerAuth),
    paths(
        auth::create_session, auth::delete_session,
        people::me, people::delete_me, crate::archive::start_archive, crate::archive::archive_status, crate::archive::download_archive, moves::aliases, moves::set_aliases, moves::move_away, people::update_settings, people::update_profile, people::profile, people::relationship, people::friends,
        people::footprints, people::notifications, people::read_notifications,
        social::send_request, social::list_requests, social::accept_request, social::reject_request, social::unfriend,
        social::block, social::list_blocks, social::unblock,
        social::write_introduction, social::introductions_of, social::get_introduction, social::edit_introduction,
        social::delete_introduction, social::hide_introduction, social::show_introduction,
        posts::create_diary, posts::get_diary, posts::edit_diary, posts::delete_diary, posts::member_diaries,
        posts::diary_comments, posts::comment_diary, posts::like_diary, posts::unlike_diary, posts::diary_likes,
        posts::create_voice, posts::get_voice, posts::edit_voice, posts::delete_voice, posts::member_voices,
        posts::voice_comments, posts::comment_voice, posts::like_voice, posts::unlike_voice, posts::voice_likes,
        posts::delete_comment, posts::timeline, posts::tagged,
        crate::media::upload, crate::media::get_own, crate::media::describe,
        reports::create_report, reports::list_reports, reports::get_report, reports::resolve_report, reports::dismiss_report,
    ),
    components(schemas(
        crate::error::ErrorBody, enishi_core::Audience, dto::ShownAudience, enishi_core::PostKind, enishi_core::NotificationKind,
        dto::ActorRef, dto::DiaryOut, dto::VoiceOut, dto::PostOut, dto::CommentOut, dto::IntroductionOut,
        dto::FriendRequestOut, dto::RelationshipOut, dto::FieldDto, dto::ProfileOut, dto::MeOut, dto::SettingsOut,
        dto::FootprintOut, dto::NotificationOut, dto::MediaOut, crate::media::MediaUpload, crate::media::MediaPatch, people::DeleteAccountIn, crate::archive::ArchiveOut, moves::AliasesDto, moves::MoveIn, moves::MovedOut,
        reports::ReportIn, reports::ReportOut, reports::AdminReportOut, reports::ReportedObjectOut, reports::CloseIn,
        enishi_core::report::ReportReason, enishi_core::report::ReportState, enishi_core::report::ReportAction,
    ))
)]
pub struct ApiDoc;

/// The document as this instance serves it: the handlers' description with the shared rules
/// applied and the configured content limits.
pub fn document_for(limits: &ContentLimits) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    add_shared_responses(&mut doc);
    // The very rule `enishi_db::profiles::avatar_url` applies, or empty to clear.
    if let Some(avatar) = property_mut(&mut doc, "ProfileIn", "avatar_url") {
        avatar["pattern"] = format!(
            "^$|{}",
            enishi_core::content::profile_limits::AVATAR_URL_PATTERN
        )
        .into();
    }
    // Profile images: a photo's id, or empty (or null) to remove.
    for field in ["avatar_id", "header_id"] {
        if let Some(id) = property_mut(&mut doc, "ProfileIn", field) {
            id["pattern"] = format!("^$|{MEDIA_ID_PATTERN}").into();
        }
    }
    // Photos: each id once, as many as the kind takes, in the shape ids have.
    for (schema, max) in [
        ("DiaryIn", 3),
        ("DiaryPatch", 3),
        ("VoiceIn", 1),
        ("VoicePatch", 1),
    ] {
        if let Some(ids) = property_mut(&mut doc, schema, "media_ids") {
            ids["maxItems"] = max.into();
            ids["uniqueItems"] = true.into();
            ids["items"]["pattern"] = MEDIA_ID_PATTERN.into();
        }
    }
    // A report's limits, as `enishi_db::reports::create` applies them.
    if let Some(c) = property_mut(&mut doc, "ReportIn", "comment") {
        c["maxLength"] = enishi_core::report::MAX_COMMENT_CHARS.into();
    }
    if let Some(a) = property_mut(&mut doc, "AliasesDto", "also_known_as") {
        a["maxItems"] = enishi_db::moves::MAX_ALIASES.into();
    }
    if let Some(ids) = property_mut(&mut doc, "ReportIn", "object_ids") {
        ids["maxItems"] = enishi_core::report::MAX_OBJECTS.into();
    }
    // The upload form has exactly its two fields, the alt text within its limit.
    if let Some(form) = doc
        .pointer_mut("/components/schemas/MediaUpload")
        .filter(|f| f.is_object())
    {
        form["additionalProperties"] = false.into();
        form["required"] = serde_json::json!(["file"]);
    }
    if let Some(d) = property_mut(&mut doc, "MediaUpload", "description") {
        d["maxLength"] = enishi_core::media::DESCRIPTION_MAX.into();
    }
    if let Some(d) = property_mut(&mut doc, "MediaPatch", "description") {
        d["maxLength"] = enishi_core::media::DESCRIPTION_MAX.into();
    }
    add_string_rules(&mut doc);
    apply_limits(&mut doc, limits);
    doc
}

/// The shape of a photo's id (a UUID, as `POST /api/v1/media` makes them).
const MEDIA_ID_PATTERN: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/// `GET /api/v1/openapi.json`.
pub async fn document(State(state): State<AppState>) -> Json<Value> {
    Json(document_for(&state.settings.limits))
}

/// A property of a component schema, if both exist.
fn property_mut<'a>(doc: &'a mut Value, schema: &str, prop: &str) -> Option<&'a mut Value> {
    doc.get_mut("components")?
        .get_mut("schemas")?
        .get_mut(schema)?
        .get_mut("properties")?
        .get_mut(prop)
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// The description of a status that an operation's attribute left without one.
fn describe(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "204" => "Done; no content",
        "400" => {
            "A malformed path id, query parameter or JSON body (`invalid_path`, `invalid_query`, `invalid_cursor`, `invalid_json`)"
        }
        "401" => {
            "No token where one is required, or an invalid or revoked token (`unauthorized`), or wrong credentials (`invalid_credentials`)"
        }
        "403" => "Not allowed for the caller (`forbidden`)",
        "404" => "Nothing by that id or handle that the caller may see (`not_found`)",
        "409" => {
            "Refused by the current state (already friends, already requested, oneself, the friend limit)"
        }
        "413" => "The body is larger than 1 MiB (`payload_too_large`)",
        "415" => "The body is not sent as `application/json` (`unsupported_media_type`)",
        "422" => {
            "The JSON body is not the documented shape (`validation_failed`, naming the `field`)"
        }
        "429" => {
            "Too many attempts from this address or for this account (`rate_limited`); `Retry-After` says when to try again"
        }
        _ => "",
    }
}

/// Adds to every operation the error answers that the shared extractors give (see the module
/// documentation), and a description to every answer.
fn add_shared_responses(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        for method in METHODS {
            let Some(op) = item.get_mut(method) else {
                continue;
            };
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let in_path = |p: &&Value| p["in"] == "path";
            let has_path = params.iter().any(|p| in_path(&p));
            let typed_path = params
                .iter()
                .filter(in_path)
                .any(|p| p["schema"]["type"] != "string");
            let has_query = params.iter().any(|p| p["in"] == "query");
            let has_body = op.get("requestBody").is_some();
            let secured = op.get("security").is_some();
            let mut add = Vec::new();
            if typed_path || has_query || has_body {
                add.push("400");
            }
            if secured {
                add.push("401");
            }
            if has_path {
                add.push("404");
            }
            if has_body {
                add.extend(["413", "415", "422"]);
            }
            let responses = op["responses"]
                .as_object_mut()
                .expect("every operation has responses");
            for status in add {
                responses
                    .entry(status)
                    .or_insert_with(|| error_response(describe(status)));
            }
            for (status, response) in responses.iter_mut() {
                if response["description"].as_str().is_none_or(str::is_empty) {
                    response["description"] = describe(status).into();
                }
            }
        }
    }
}

/// The component schemas that request bodies use, with those they refer to.
fn request_schemas(doc: &Value) -> Vec<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str)
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    out.push(name.to_owned());
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for item in paths.values() {
            for method in METHODS {
                refs(&item[method]["requestBody"], &mut found);
            }
        }
    }
    let mut i = 0;
    while i < found.len() {
        let mut more = Vec::new();
        refs(&doc["components"]["schemas"][&found[i]], &mut more);
        for name in more {
            if !found.contains(&name) {
                found.push(name);
            }
        }
        i += 1;
    }
    found
}

/// Whether a schema's `type` is, or includes, `ty`.
fn has_type(schema: &Value, ty: &str) -> bool {
    match &schema["type"] {
        Value::String(t) => t == ty,
        Value::Array(ts) => ts.iter().any(|t| t == ty),
        _ => false,
    }
}

/// Every free-text string property of the request bodies gets a pattern: no NUL, and for
/// required texts (`minLength` 1) something other than white space. Enumerations and
/// properties with a pattern of their own keep theirs.
fn add_string_rules(doc: &mut Value) {
    let text = text_pattern();
    for name in request_schemas(doc) {
        let Some(props) = doc
            .get_mut("components")
            .and_then(|c| c.get_mut("schemas"))
            .and_then(|s| s.get_mut(&name))
            .and_then(|s| s.get_mut("properties"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for prop in props.values_mut() {
            // A list of strings (aliases, object ids) follows the same rule for each item.
            let target = if has_type(prop, "array") && prop["items"].is_object() {
                &mut prop["items"]
            } else {
                prop
            };
            if !has_type(target, "string")
                || target.get("enum").is_some()
                || target.get("pattern").is_some()
            {
                continue;
            }
            let required_text = target["minLength"].as_u64().unwrap_or(0) >= 1;
            target["pattern"] = if required_text {
                text.clone().into()
            } else {
                NO_NUL_PATTERN.into()
            };
        }
    }
}

/// The configurable lengths, as `(schema, property, limit)`.
fn limited(limits: &ContentLimits) -> [(&'static str, &'static str, usize); 8] {
    [
        ("DiaryIn", "title", limits.diary_title),
        ("DiaryIn", "body", limits.diary_body),
        ("DiaryPatch", "title", limits.diary_title),
        ("DiaryPatch", "body", limits.diary_body),
        ("VoiceIn", "text", limits.voice),
        ("VoicePatch", "text", limits.voice),
        ("CommentIn", "text", limits.comment),
        ("IntroductionIn", "text", limits.introduction),
    ]
}

fn apply_limits(doc: &mut Value, limits: &ContentLimits) {
    for (schema, prop, max) in limited(limits) {
        if let Some(target) = property_mut(doc, schema, prop) {
            target["maxLength"] = max.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_reach_their_properties() {
        let limits = ContentLimits {
            voice: 42,
            ..ContentLimits::default()
        };
        let doc = document_for(&limits);
        for (schema, prop, max) in limited(&limits) {
            let p = &doc["components"]["schemas"][schema]["properties"][prop];
            assert_eq!(p["maxLength"], max, "{schema}.{prop}: {p}");
            assert_eq!(p["minLength"], 1, "{schema}.{prop}: {p}");
            assert_eq!(p["pattern"], text_pattern(), "{schema}.{prop}");
        }
        assert_eq!(
            doc["components"]["schemas"]["VoiceIn"]["properties"]["text"]["maxLength"],
            42
        );
    }

    #[test]
    fn the_rules_add_nothing_else() {
        let doc = document_for(&ContentLimits::default());
        let audience = &doc["components"]["schemas"]["Audience"];
        assert!(audience.get("properties").is_none(), "{audience}");
        assert!(!doc.to_string().contains("\"properties\":null"));
    }

    #[test]
    fn every_request_string_is_ruled() {
        let doc = document_for(&ContentLimits::default());
        let names = request_schemas(&doc);
        assert!(names.contains(&"FieldIn".to_owned()), "{names:?}");
        let aliases = &doc["components"]["schemas"]["AliasesDto"]["properties"]["also_known_as"];
        assert_eq!(aliases["items"]["pattern"], NO_NUL_PATTERN, "{aliases}");
        for name in names {
            let schema = &doc["components"]["schemas"][&name];
            for (prop, p) in schema["properties"].as_object().into_iter().flatten() {
                let p = if has_type(p, "array") { &p["items"] } else { p };
                if has_type(p, "string") && p.get("enum").is_none() {
                    assert!(p["pattern"].is_string(), "{name}.{prop} has no pattern");
                }
            }
        }
    }

    #[test]
    fn the_text_pattern_is_the_servers_blank_rule() {
        // Every character Rust trims is in the class, and nothing else below U+3001 is.
        let class: Vec<char> = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect();
        let listed = [
            '\t', '\n', '\u{b}', '\u{c}', '\r', ' ', '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}',
            '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}', '\u{2006}', '\u{2007}',
            '\u{2008}', '\u{2009}', '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}',
            '\u{3000}',
        ];
        assert_eq!(class, listed);
        assert!(
            (0x3001..=0x10FFFFu32)
                .filter_map(char::from_u32)
                .all(|c| !c.is_whitespace())
        );
    }

    #[test]
    fn every_operation_documents_its_errors() {
        let doc = document_for(&ContentLimits::default());
        let op = &doc["paths"]["/api/v1/friends/requests/{id}/accept"]["post"];
        for status in ["400", "401", "404"] {
            assert!(op["responses"][status].is_object(), "accept: {status}");
        }
        let op = &doc["paths"]["/api/v1/diaries"]["post"];
        for status in ["400", "401", "413", "415", "422"] {
            assert!(
                op["responses"][status].is_object(),
                "create diary: {status}"
            );
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for (status, r) in op["responses"].as_object().unwrap() {
                    assert!(
                        r["description"].as_str().is_some_and(|d| !d.is_empty()),
                        "{method} {path} {status} has a description"
                    );
                }
            }
        }
    }
}
