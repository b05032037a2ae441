//! The member's archive from the settings (issue 17): `/settings/archive` starts one, shows how
//! far it has come and links the zip once it is ready; the same calls as `/api/v1/me/archive`.

use super::visit::Visit;
use super::{page, see_other, widgets};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use maud::html;

/// Routes of the archive page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/archive", get(show).post(start))
        .route("/settings/archive/download", get(download))
}

async fn show(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    let me = visit.member()?;
    let job = enishi_db::archive::latest(&state.db, me.account_id).await?;
    let running = job.as_ref().is_some_and(|j| j.state == "running");
    let body = html! {
        h1 { (visit.t("archive-title")) }
        p { (visit.t("archive-about")) }
        @if let Some(j) = &job {
            section aria-labelledby="archive-state" {
                h2 #archive-state { (visit.t("archive-latest")) }
                p { (visit.t("archive-asked")) " " (widgets::time(j.created_at)) }
                @match j.state.as_str() {
                    "running" => {
                        p {
                            label for="archive-progress" { (visit.t("archive-running")) }
                            " "
                            progress #archive-progress max="100" value=(j.progress) { (j.progress) "%" }
                        }
                        p { a href="/settings/archive" { (visit.t("archive-check")) } }
                    }
                    "done" => {
                        p.flash role="status" { (visit.t("archive-ready")) }
                        p { a.button href="/settings/archive/download" download { (visit.t("archive-download")) } }
                    }
                    _ => { p.error role="alert" { (visit.t("archive-failed")) } }
                }
            }
        }
        @if !running {
            form.stack method="post" action="/settings/archive" {
                (widgets::csrf(&visit))
                div { button type="submit" { (visit.t("archive-start")) } }
            }
        }
    };
    page(&state, &visit, &visit.t("archive-title"), body).await
}

async fn start(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    let me = visit.member()?;
    crate::archive::begin(&state, me).await?;
    Ok(see_other("/settings/archive"))
}

async fn download(State(state): State<AppState>, visit: Visit) -> Result<Response, AppError> {
    let me = visit.member()?;
    crate::archive::download(&state, me).await
}
