//! Generate and Regenerate: issue a token (behind sudo mode) and go back to the screen, where
//! it is shown once.
use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::request::{ScreenRequest, screen_path};
use super::screen::{refused, reviewed_token};
use crate::domain::actor::Actor;
use crate::domain::api_tokens::{self as tokens, Expiry, Grace, Issued, Issuer, Terms};
use crate::error::AppError;
use crate::state::{AppState, NEW_TOKEN_COOKIE};
use crate::web::error::{WebError, see_other};
use crate::web::sudo::SudoForm;

/// Back to the screen, with the cookie that carries the single-use nonce of the new token's
/// first display; or the screen again with the reason nothing was issued.
async fn after_issuing(
    request: &ScreenRequest,
    state: &AppState,
    issued: Result<Issued, AppError>,
    what: &str,
) -> Result<HttpResponse, WebError> {
    let issued = match issued {
        Ok(issued) => issued,
        Err(error) => return refused(request, state, error).await,
    };
    tracing::info!(org = %request.slug(), prefix = %issued.record.display_prefix, "{what}");
    let path = screen_path(request.slug());
    let cookie = Cookie::build(NEW_TOKEN_COOKIE, issued.first_display)
        .path(path.clone())
        .http_only(true)
        .secure(state.config.cookie_secure)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::seconds(
            state.config.reveal_window.num_seconds(),
        ))
        .finish();
    let mut response = see_other(&path);
    response
        .add_cookie(&cookie)
        .map_err(anyhow::Error::from)
        .map_err(AppError::from)?;
    Ok(response)
}

/// What issuing a token needs on the blocking pool: the organisation, who issues it, the reveal
/// key that seals it, and the time.
struct Issuing {
    org_id: i32,
    actor: Actor,
    state: web::Data<AppState>,
    at: NaiveDateTime,
}

impl Issuing {
    fn new(request: &ScreenRequest, state: &web::Data<AppState>) -> Self {
        Issuing {
            org_id: request.org_id(),
            actor: request.actor.clone(),
            state: state.clone(),
            at: state.clock.now(),
        }
    }

    fn issuer(&self, terms: Terms) -> Issuer<'_> {
        Issuer {
            actor: &self.actor,
            terms,
            key: &self.state.reveal_key,
            at: self.at,
        }
    }
}

fn terms(state: &AppState, expiry: &str) -> Result<Terms, AppError> {
    Ok(Terms {
        reveal_window: state.config.reveal_window,
        expiry: Expiry::parse(expiry)?,
    })
}

#[derive(Deserialize)]
pub struct GenerateForm {
    #[serde(default)]
    expiry: String,
}

pub async fn generate(
    request: ScreenRequest,
    state: web::Data<AppState>,
    form: SudoForm<GenerateForm>,
) -> Result<HttpResponse, WebError> {
    let form = request
        .recheck_password(form, &state, "generate the token")
        .await?;
    let issuing = Issuing::new(&request, &state);
    let issued = match terms(&state, &form.expiry) {
        Ok(terms) => {
            state
                .db
                .run(move |conn| tokens::generate(conn, issuing.org_id, &issuing.issuer(terms)))
                .await
        }
        Err(invalid) => Err(invalid),
    };
    after_issuing(&request, &state, issued, "API token generated").await
}

#[derive(Deserialize)]
pub struct RegenerateForm {
    /// The token the review page named: only that one may be replaced.
    current: String,
    #[serde(default)]
    grace: String,
    #[serde(default)]
    expiry: String,
}

pub async fn regenerate(
    request: ScreenRequest,
    state: web::Data<AppState>,
    form: SudoForm<RegenerateForm>,
) -> Result<HttpResponse, WebError> {
    let form = request
        .recheck_password(form, &state, "regenerate the token")
        .await?;
    let issuing = Issuing::new(&request, &state);
    let parsed = reviewed_token(&form.current).and_then(|current| {
        let grace = Grace::parse(&form.grace)?;
        Ok((current, grace, terms(&state, &form.expiry)?))
    });
    let issued = match parsed {
        Ok((current, grace, terms)) => {
            state
                .db
                .run(move |conn| {
                    let issuer = issuing.issuer(terms);
                    tokens::regenerate(conn, issuing.org_id, current, grace, &issuer)
                })
                .await
        }
        Err(invalid) => Err(invalid),
    };
    after_issuing(&request, &state, issued, "API token regenerated").await
}
