//! `POST /account/notifications`: which optional mail a person wants (token expiry reminders,
//! API access switched on or off). The form is on the account page; security notices are
//! always sent, so they have no switch.
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::SignedIn;
use crate::domain::notices;
use crate::repo::preferences::Preferences;
use crate::state::AppState;
use crate::web::error::{WebError, see_other};

/// Checkboxes: present (`on`) when ticked, absent otherwise.
#[derive(Deserialize)]
pub struct NotificationsForm {
    token_expiry: Option<String>,
    api_access: Option<String>,
}

pub async fn save(
    signed_in: SignedIn,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<NotificationsForm>,
) -> Result<HttpResponse, WebError> {
    let preferences = Preferences {
        token_expiry: i32::from(form.token_expiry.is_some()),
        api_access: i32::from(form.api_access.is_some()),
    };
    let (user_id, now) = (signed_in.user.id, state.clock.now());
    state
        .db
        .run(move |conn| notices::set_preferences(conn, user_id, preferences, now))
        .await?;
    tracing::info!(user_id, ?preferences, "mail preferences saved");
    Ok(see_other("/account?saved=notifications#notifications"))
}
