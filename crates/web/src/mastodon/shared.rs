//! Paths that Enishi's own API and Mastodon's both define, with different shapes:
//! `/api/v1/notifications`, `/api/v1/blocks`, `/api/v1/media`, `/api/v1/media/{id}`,
//! `/api/v1/reports` and `/api/v1/tags/{name}`. A Mastodon app's token (one that came from
//! OAuth) gets Mastodon's answer; Enishi's own clients, and anyone without a token, get
//! Enishi's. The permission checks are those of each side's handler: nothing here decides who
//! may do what.
//!
//! Blocking by account (`/api/v1/accounts/{id}/block`, `/unblock`) is here too: it is the
//! other half of Mastodon's `/api/v1/blocks`.

use super::body::{OneOrMany, Params};
use super::entities::{account, relationship};
use super::{Auth, MastoError, MastoResult, numeric_id};
use crate::AppState;
use crate::api::auth::CurrentMember;
use crate::api::redact;
use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Request, State};
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use enishi_core::report::ReportReason;
use enishi_core::{ActorId, Viewer};
use enishi_db::social as ops;
use serde::Deserialize;
use serde_json::{Value, json};

/// The routes only Mastodon has.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/accounts/{id}/block", post(block))
        .route("/api/v1/accounts/{id}/unblock", post(unblock))
}

/// Sends `request` to `app` when a Mastodon app calls, else to Enishi's `enishi` handler.
async fn split<T, H>(
    state: AppState,
    request: Request,
    enishi: H,
    app: impl AsyncFnOnce(AppState, Auth, Request) -> Response,
) -> Response
where
    H: Handler<T, AppState>,
{
    let (mut parts, body) = request.into_parts();
    let auth = Auth::from_request_parts(&mut parts, &state).await;
    let request = Request::from_parts(parts, body);
    match auth {
        Ok(auth) if auth.is_app() => app(state, auth, request).await,
        _ => enishi.call(request, state).await,
    }
}

/// Mastodon's answer or its error, as a response.
fn respond<T: IntoResponse>(r: MastoResult<T>) -> Response {
    match r {
        Ok(v) => v.into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/v1/notifications`.
pub async fn notifications(State(state): State<AppState>, request: Request) -> Response {
    split(
        state,
        request,
        crate::api::people::notifications,
        async |state, auth, request| match Params::<Value>::from_request(request, &state).await {
            Ok(params) => {
                respond(super::notifications::list_notifications(&state, &auth, params).await)
            }
            Err(e) => e.into_response(),
        },
    )
    .await
}

/// `GET /api/v1/blocks`: Mastodon's list of accounts.
pub async fn blocks(State(state): State<AppState>, request: Request) -> Response {
    split(
        state,
        request,
        crate::api::social::list_blocks,
        async |state, auth, _| respond(blocked(&state, &auth).await),
    )
    .await
}

async fn blocked(state: &AppState, auth: &Auth) -> MastoResult<Json<Vec<Value>>> {
    let me = auth.member("read:blocks")?;
    let mut list = ops::blocked_by(&state.db, me.actor.id).await?;
    redact(state, &Viewer::member(me.actor.id), list.iter_mut()).await?;
    Ok(Json(list.iter().map(|a| account(state, a)).collect()))
}

/// The account with the number `id`, if there is one.
async fn actor_by_id(state: &AppState, id: &str) -> MastoResult<Option<enishi_core::Actor>> {
    Ok(enishi_db::actors::find_by_id(&state.db.conn, ActorId(numeric_id(id)?)).await?)
}

async fn block(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:blocks")?;
    let target = actor_by_id(&state, &id)
        .await?
        .filter(|a| a.id != me.actor.id)
        .ok_or_else(MastoError::not_found)?;
    ops::block(&state.db, &state.settings, &me.actor, &target).await?;
    let rel = ops::relationship(&state.db, me.actor.id, target.id).await?;
    Ok(Json(relationship(target.id.0, &rel)))
}

async fn unblock(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:blocks")?;
    let target = actor_by_id(&state, &id)
        .await?
        .ok_or_else(MastoError::not_found)?;
    match ops::unblock(&state.db, &me.actor, &target).await {
        // Lifting a block that is not there is no error in Mastodon.
        Ok(()) | Err(enishi_db::OpError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let rel = ops::relationship(&state.db, me.actor.id, target.id).await?;
    Ok(Json(relationship(target.id.0, &rel)))
}

/// `POST /api/v1/media`: Mastodon's older upload, answered as `/api/v2/media` does.
pub async fn upload_media(State(state): State<AppState>, request: Request) -> Response {
    split(
        state,
        request,
        crate::media::upload,
        async |state, auth, request| match Multipart::from_request(request, &state).await {
            Ok(form) => respond(super::media::upload(State(state), auth, form).await),
            Err(e) => MastoError::unprocessable(format!("file: {}", e.body_text())).into_response(),
        },
    )
    .await
}

/// `GET /api/v1/media/{id}`: one of the member's uploads as a MediaAttachment.
pub async fn get_media(State(state): State<AppState>, request: Request) -> Response {
    split(
        state,
        request,
        crate::media::get_own,
        async |state, auth, request| respond(media_of(&state, &auth, request, None).await),
    )
    .await
}

/// `PUT /api/v1/media/{id}`: its alt text (`description`).
pub async fn describe_media(State(state): State<AppState>, request: Request) -> Response {
    split(
        state,
        request,
        crate::media::describe,
        async |state, auth, request| {
            let (mut parts, body) = request.into_parts();
            let id = Path::<String>::from_request_parts(&mut parts, &state).await;
            let request = Request::from_parts(parts, body);
            let params = Params::<DescribeIn>::from_request(request, &state).await;
            match (id, params) {
                (Ok(Path(id)), Ok(Params(input))) => {
                    let d = input.description.unwrap_or_default();
                    respond(media_of(&state, &auth, id, Some(d)).await)
                }
                (Err(e), _) => e.into_response(),
                (_, Err(e)) => e.into_response(),
            }
        },
    )
    .await
}

#[derive(Deserialize)]
struct DescribeIn {
    description: Option<String>,
}

/// The upload named by the path (or `id`), with a new description when one is given.
async fn media_of(
    state: &AppState,
    auth: &Auth,
    id: impl MediaId,
    description: Option<String>,
) -> MastoResult<Json<Value>> {
    let member = auth.member("write:media")?.clone();
    let id = id.id(state).await?;
    let me = CurrentMember {
        member,
        token: auth.token().unwrap_or_default().to_owned(),
    };
    let base = state.settings.url("/");
    let media = match description {
        Some(d) => {
            let d = enishi_core::media::check_description(Some(&d))?;
            enishi_db::media::describe(&state.db, me.member.actor.id, &id, d).await?
        }
        None => enishi_db::media::find_own(&state.db, me.member.actor.id, &id).await?,
    };
    let out = crate::api::dto::MediaOut::new(&media, &base);
    Ok(Json(super::media::attachment(&out)))
}

/// Where a media id comes from: the request's path, or already taken from it.
trait MediaId {
    async fn id(self, state: &AppState) -> MastoResult<String>;
}

impl MediaId for String {
    async fn id(self, _: &AppState) -> MastoResult<String> {
        Ok(self)
    }
}

impl MediaId for Request {
    async fn id(self, state: &AppState) -> MastoResult<String> {
        let (mut parts, _) = self.into_parts();
        Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map(|Path(id)| id)
            .map_err(|_| MastoError::not_found())
    }
}

/// `POST /api/v1/reports`: a report as Mastodon apps send it.
pub async fn report(State(state): State<AppState>, request: Request) -> Response {
    split(
        state,
        request,
        crate::api::reports::create_report,
        async |state, auth, request| match Params::<ReportIn>::from_request(request, &state).await {
            Ok(Params(input)) => respond(report_for_app(&state, &auth, input).await),
            Err(e) => e.into_response(),
        },
    )
    .await
}

#[derive(Deserialize)]
struct ReportIn {
    account_id: Option<String>,
    #[serde(default)]
    status_ids: OneOrMany,
    comment: Option<String>,
    category: Option<String>,
    forward: Option<String>,
}

async fn report_for_app(
    state: &AppState,
    auth: &Auth,
    input: ReportIn,
) -> MastoResult<Json<Value>> {
    let me = auth.member("write:reports")?;
    crate::rate_limits::admit(&state.access.actions.reports, &me.actor.id, "reports")?;
    let account_id = input
        .account_id
        .ok_or_else(|| MastoError::unprocessable("account_id: required"))?;
    let target = actor_by_id(state, &account_id)
        .await?
        .ok_or_else(MastoError::not_found)?;
    // Statuses by number, as Enishi's reports name them: their ActivityPub ids.
    let mut objects = Vec::new();
    for id in input.status_ids.to_vec() {
        let view = super::statuses::visible_post(state, &Viewer::member(me.actor.id), &id).await?;
        objects.push(view.post.ap_id.to_string());
    }
    let reason = match input.category.as_deref() {
        None | Some("") => ReportReason::Other,
        Some(c) => ReportReason::ALL
            .into_iter()
            .find(|r| r.as_str() == c)
            .ok_or_else(|| {
                MastoError::unprocessable(format!("category: unknown category {c:?}"))
            })?,
    };
    let report = enishi_db::reports::create(
        &state.db,
        &state.settings,
        enishi_db::reports::NewReport {
            reporter: &me.actor,
            target: &target,
            object_ids: &objects,
            reason,
            comment: input.comment.as_deref().unwrap_or_default(),
            forward: super::body::flag(input.forward.as_deref()),
        },
    )
    .await?;
    state.outbox_wake.notify_waiters();
    let mut target = report.target.clone();
    redact(state, &Viewer::member(me.actor.id), [&mut target]).await?;
    Ok(Json(json!({
        "id": report.id.to_string(),
        "action_taken": false,
        "action_taken_at": null,
        "category": reason.as_str(),
        "comment": report.comment,
        "forwarded": report.forward,
        "created_at": super::entities::time(report.created_at),
        "status_ids": input.status_ids.to_vec(),
        "rule_ids": [],
        "target_account": account(state, &target),
    })))
}

/// `GET /api/v1/tags/{name}`: Mastodon's Tag (its posts are `/api/v1/timelines/tag/{name}`).
pub async fn tag(State(state): State<AppState>, request: Request) -> Response {
    split(
        state,
        request,
        crate::api::posts::tagged,
        async |state, auth, request| {
            if let Err(e) = auth.viewer("read") {
                return e.into_response();
            }
            let (mut parts, _) = request.into_parts();
            match Path::<String>::from_request_parts(&mut parts, &state).await {
                Ok(Path(name)) => {
                    let name = name.trim_start_matches('#').to_owned();
                    let url = state.settings.url(&format!("/tags/{name}")).to_string();
                    Json(json!({
                        "name": name,
                        "url": url,
                        "history": [],
                        "following": false,
                    }))
                    .into_response()
                }
                Err(e) => e.into_response(),
            }
        },
    )
    .await
}
