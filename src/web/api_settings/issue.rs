//! Generate and Regenerate: issue a token (behind sudo mode) and go back to the screen, where
//! it is shown once.
use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::manager::TokenManager;
use super::{confirmed_token, refused, screen_path};
use crate::db::DbConn;
use crate::domain::api_tokens::{self as tokens, Expiry, Grace, Issued, Issuer, Terms};
use crate::error::AppError;
use crate::state::{AppState, NEW_TOKEN_COOKIE};
use crate::web::error::{WebError, see_other};
use crate::web::sudo::SudoForm;

/// Back to the screen, with the cookie that carries the single-use nonce of the new token's
/// first display; or the screen again with the reason nothing was issued.
async fn after_issuing(
    manager: &TokenManager,
    state: &AppState,
    issued: Result<Issued, AppError>,
    what: &str,
) -> Result<HttpResponse, WebError> {
    let issued = match issued {
        Ok(issued) => issued,
        Err(error) => return refused(manager, state, error).await,
    };
    tracing::info!(org = %manager.slug(), prefix = %issued.record.display_prefix, "{what}");
    let path = screen_path(manager.slug());
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

fn terms(state: &AppState, expiry: &str) -> Result<Terms, AppError> {
    Ok(Terms {
        reveal_window: state.config.reveal_window,
        expiry: Expiry::parse(expiry)?,
    })
}

/// Issues a token for the manager's organisation on `terms`, by `how` (generate or
/// regenerate), on the blocking pool.
async fn issue<F>(
    manager: &TokenManager,
    state: &web::Data<AppState>,
    terms: Terms,
    how: F,
) -> Result<Issued, AppError>
where
    F: FnOnce(&mut DbConn, i32, &Issuer) -> Result<Issued, AppError> + Send + 'static,
{
    let (org_id, actor, app) = (manager.org_id(), manager.actor.clone(), state.clone());
    let at = state.clock.now();
    state
        .db
        .run(move |conn| {
            let key = &app.reveal_key;
            let issuer = Issuer {
                actor: &actor,
                terms,
                key,
                at,
            };
            how(conn, org_id, &issuer)
        })
        .await
}

#[derive(Deserialize)]
pub struct GenerateForm {
    #[serde(default)]
    expiry: String,
}

pub async fn generate(
    manager: TokenManager,
    state: web::Data<AppState>,
    form: SudoForm<GenerateForm>,
) -> Result<HttpResponse, WebError> {
    let form = manager.confirm(form, &state, "generate the token").await?;
    let issued = match terms(&state, &form.expiry) {
        Ok(terms) => issue(&manager, &state, terms, tokens::generate).await,
        Err(invalid) => Err(invalid),
    };
    after_issuing(&manager, &state, issued, "API token generated").await
}

#[derive(Deserialize)]
pub struct RegenerateForm {
    /// The token the user saw on the confirmation step: only that one may be replaced.
    current: String,
    #[serde(default)]
    grace: String,
    #[serde(default)]
    expiry: String,
}

pub async fn regenerate(
    manager: TokenManager,
    state: web::Data<AppState>,
    form: SudoForm<RegenerateForm>,
) -> Result<HttpResponse, WebError> {
    let form = manager
        .confirm(form, &state, "regenerate the token")
        .await?;
    let parsed = confirmed_token(&form.current).and_then(|current| {
        let grace = Grace::parse(&form.grace)?;
        Ok((current, grace, terms(&state, &form.expiry)?))
    });
    let issued = match parsed {
        Ok((current, grace, terms)) => {
            let replace = move |conn: &mut DbConn, org_id, issuer: &Issuer| {
                tokens::regenerate(conn, org_id, current, grace, issuer)
            };
            issue(&manager, &state, terms, replace).await
        }
        Err(invalid) => Err(invalid),
    };
    after_issuing(&manager, &state, issued, "API token regenerated").await
}
