//! Discovery: WebFinger, NodeInfo 2.1 and host-meta.

use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use enishi_apub::wire::{Jrd, JrdLink};
use enishi_core::{Actor, RegistrationMode};
use enishi_db::{accounts, instance, stats};
use serde::Deserialize;
use serde_json::json;

/// The project's home, which NodeInfo names as the software's (not this instance's).
pub const PROJECT_HOMEPAGE: &str = "https://enishi.social/";

/// NodeInfo 2.1 schema URI, used as `rel` and in the content type profile.
pub const NODEINFO_21_SCHEMA: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

/// Routes under `/.well-known` and `/nodeinfo`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
        .route("/.well-known/host-meta", get(host_meta))
        .route("/.well-known/host-meta.json", get(host_meta_json))
}

/// Query of a WebFinger request.
#[derive(Debug, Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

/// What a WebFinger resource names, once parsed.
#[derive(Debug, PartialEq, Eq)]
enum Resource {
    /// `acct:user@host` (user and host lower-cased).
    Acct { user: String, host: String },
    /// An `http(s)` URL, expected to be one of our actor ids.
    Url(url::Url),
}

fn parse_resource(raw: &str) -> Result<Resource, AppError> {
    let malformed = |why: &str| {
        AppError::bad_request(
            "invalid_resource",
            format!("resource {raw:?} {why}; expected acct:name@domain or an actor URL"),
        )
    };
    let raw = raw.trim();
    if let Some(acct) = raw.strip_prefix("acct:") {
        let acct = acct.strip_prefix('@').unwrap_or(acct);
        let (user, host) = acct
            .rsplit_once('@')
            .ok_or_else(|| malformed("has no domain"))?;
        if user.is_empty() || host.is_empty() || user.contains('@') {
            return Err(malformed("is not of the form acct:name@domain"));
        }
        return Ok(Resource::Acct {
            user: user.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
        });
    }
    if raw.starts_with("https://") || raw.starts_with("http://") {
        return url::Url::parse(raw)
            .map(Resource::Url)
            .map_err(|_| malformed("is not a valid URL"));
    }
    Err(malformed("is neither an acct: URI nor a URL"))
}

fn jrd_for(actor: &Actor, subject_host: &str) -> Jrd {
    let mut links = Vec::new();
    if let Some(profile) = &actor.url {
        links.push(JrdLink {
            rel: "http://webfinger.net/rel/profile-page".into(),
            kind: Some("text/html".into()),
            href: Some(profile.to_string()),
            template: None,
        });
    }
    links.push(JrdLink {
        rel: "self".into(),
        kind: Some(enishi_apub::ACTIVITY_JSON.into()),
        href: Some(actor.ap_id.to_string()),
        template: None,
    });
    let mut aliases = vec![actor.ap_id.to_string()];
    aliases.extend(
        actor
            .url
            .as_ref()
            .map(|u| u.to_string())
            .filter(|u| u != actor.ap_id.as_str()),
    );
    Jrd {
        subject: format!("acct:{}@{subject_host}", actor.username),
        aliases,
        links,
    }
}

async fn webfinger(
    State(state): State<AppState>,
    Query(query): Query<WebfingerQuery>,
) -> Result<Response, AppError> {
    let raw = query
        .resource
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| {
            AppError::bad_request(
                "missing_resource",
                "the resource query parameter is required",
            )
        })?;
    let settings = &state.settings;
    let not_found = || AppError::not_found(format!("no account matches {raw:?} on this instance"));
    let actor = match parse_resource(&raw)? {
        Resource::Acct { user, host } => {
            if host != settings.domain {
                return Err(not_found());
            }
            if user == settings.domain {
                instance::find_instance_actor(&state.db).await?
            } else {
                live_member_actor(&state, &user).await?
            }
        }
        Resource::Url(url) => {
            if !settings.is_local_url(&url) {
                return Err(not_found());
            }
            match enishi_db::actors::find_by_ap_id(&state.db, &url).await? {
                Some(actor) if actor.kind == enishi_core::ActorKind::Application => Some(actor),
                Some(actor) => live_member_actor(&state, &actor.username).await?,
                None => None,
            }
        }
    };
    let actor = actor.ok_or_else(not_found)?;
    let jrd = jrd_for(&actor, &settings.domain);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jrd+json; charset=utf-8"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        Json(jrd),
    )
        .into_response())
}

/// A member's actor unless the member is suspended (suspended members are not discoverable).
pub(crate) async fn live_member_actor(
    state: &AppState,
    username: &str,
) -> Result<Option<Actor>, AppError> {
    Ok(accounts::find_by_username(&state.db, username)
        .await?
        .filter(|m| m.suspended_at.is_none())
        .map(|m| m.actor))
}

async fn nodeinfo_links(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "links": [{
            "rel": NODEINFO_21_SCHEMA,
            "href": state.settings.url("/nodeinfo/2.1").to_string(),
        }]
    }))
}

async fn nodeinfo(State(state): State<AppState>) -> Result<Response, AppError> {
    let usage = stats::usage(&state.db).await?;
    let settings = &state.settings;
    // The mode in force: an admin may have changed it at run time on the admin page.
    let mode = enishi_db::instance::registration_mode(&state.db, settings.registration).await?;
    let body = json!({
        "version": "2.1",
        "software": {
            "name": "enishi",
            "version": env!("CARGO_PKG_VERSION"),
            "homepage": PROJECT_HOMEPAGE,
        },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": mode == RegistrationMode::Open,
        "usage": {
            "users": { "total": usage.total_users },
            "localPosts": usage.local_posts,
        },
        "metadata": {
            "nodeName": settings.name,
            "registration": mode.as_str(),
        },
    });
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(
                "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
            ),
        )],
        Json(body),
    )
        .into_response())
}

async fn host_meta(State(state): State<AppState>) -> Response {
    let template = format!(
        "{}/.well-known/webfinger?resource={{uri}}",
        state.settings.origin()
    );
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" type=\"application/jrd+json\" template=\"{}\"/>\n</XRD>\n",
        template.replace('&', "&amp;").replace('"', "&quot;")
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xrd+xml; charset=utf-8"),
        )],
        xml,
    )
        .into_response()
}

async fn host_meta_json(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "links": [{
            "rel": "lrdd",
            "type": "application/jrd+json",
            "template": format!("{}/.well-known/webfinger?resource={{uri}}", state.settings.origin()),
        }]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources() {
        assert_eq!(
            parse_resource("acct:Alice@LocalHost:8080").unwrap(),
            Resource::Acct {
                user: "alice".into(),
                host: "localhost:8080".into()
            }
        );
        assert_eq!(
            parse_resource("acct:@alice@x.example").unwrap(),
            Resource::Acct {
                user: "alice".into(),
                host: "x.example".into()
            }
        );
        assert!(matches!(
            parse_resource("https://x.example/users/a").unwrap(),
            Resource::Url(_)
        ));
        for bad in [
            "alice",
            "acct:alice",
            "acct:@x",
            "acct:a@",
            "mailto:a@b",
            "https://",
        ] {
            let err = parse_resource(bad).unwrap_err();
            assert_eq!(err.code, "invalid_resource", "{bad}");
        }
    }
}
