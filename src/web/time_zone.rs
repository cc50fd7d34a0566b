//! `POST /account/time-zone`: the time zone the pages show times in (`domain::time_zone`). The
//! form is on the account page.
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::SignedIn;
use crate::domain::time_zone;
use crate::state::AppState;
use crate::web::error::{WebError, see_other};

#[derive(Deserialize)]
pub struct TimeZoneForm {
    /// An IANA name, or empty for the browser's own zone.
    #[serde(default)]
    time_zone: String,
}

pub async fn save(
    signed_in: SignedIn,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<TimeZoneForm>,
) -> Result<HttpResponse, WebError> {
    let user_id = signed_in.user.id;
    state
        .db
        .run(move |conn| time_zone::set(conn, user_id, &form.time_zone))
        .await?;
    tracing::info!(user_id, "time zone saved");
    Ok(see_other("/account?saved=time-zone#time-zone"))
}
