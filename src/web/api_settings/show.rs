//! `GET /orgs/{slug}/settings/api`: the screen, a page of its history, and what an action just
//! did.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::request::ScreenRequest;
use super::screen::{Extras, render_screen};
use super::view::history_before;
use crate::state::AppState;
use crate::web::error::WebError;

#[derive(Deserialize)]
pub struct ScreenQuery {
    /// A later page of the history.
    before: Option<String>,
    /// What an action just did.
    done: Option<String>,
}

pub async fn show(
    request: ScreenRequest,
    state: web::Data<AppState>,
    query: web::Query<ScreenQuery>,
) -> Result<HttpResponse, WebError> {
    let before = history_before(query.before.as_deref(), "the screen")?;
    let extras = Extras {
        before,
        done: query.done.clone(),
        ..Extras::default()
    };
    render_screen(&request, &state, StatusCode::OK, extras).await
}
