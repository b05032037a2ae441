//! `/settings/apps`: the apps (Mastodon apps and Enishi API tokens) that hold access to the
//! member's account, with what each may do, and a button to revoke each one.

use super::visit::Visit;
use super::{page, see_other, widgets};
use crate::{AppError, AppState};
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use enishi_db::tokens;
use maud::html;
use serde::Deserialize;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/apps", get(apps))
        .route("/settings/apps/revoke", post(revoke))
}

async fn apps(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    let me = visit.member()?;
    let list = tokens::list(&state.db, me.account_id).await?;
    let body = html! {
        h1 { (visit.t("apps-title")) }
        p.hint { (visit.t("apps-about")) }
        @if list.is_empty() {
            p { (visit.t("apps-none")) }
        }
        ul.list {
            @for t in &list {
                li {
                    p {
                        strong { (t.name) }
                        " " span.audience {
                            (visit.t(if t.is_app { "apps-kind-app" } else { "apps-kind-token" }))
                        }
                    }
                    @if let Some(site) = &t.website {
                        p.meta { (site) }
                    }
                    p.meta { (visit.t("apps-scopes")) " " code { (t.scopes) } }
                    p.meta {
                        (visit.t("apps-created")) " " (widgets::time(t.created_at))
                        @if let Some(used) = t.last_used_at {
                            " · " (visit.t("apps-last-used")) " " (widgets::time(used))
                        }
                    }
                    form.inline method="post" action="/settings/apps/revoke" {
                        (widgets::csrf(&visit))
                        input type="hidden" name="id" value=(t.id);
                        button.danger type="submit" { (visit.t("apps-revoke")) }
                    }
                }
            }
        }
    };
    page(&state, &visit, &visit.t("apps-title"), body).await
}

/// Which token to revoke.
#[derive(Deserialize)]
pub struct RevokeForm {
    id: i64,
}

async fn revoke(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<RevokeForm>,
) -> Result<Response, AppError> {
    let me = visit.member()?;
    if !tokens::revoke_by_id(&state.db, me.account_id, form.id).await? {
        return Err(AppError::not_found(visit.t("apps-gone")));
    }
    Ok(see_other("/settings/apps"))
}
