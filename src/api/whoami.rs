//! `GET /api/v1/whoami`: which organisation and token a request authenticates as. Lets a
//! reporting tool (or a person with curl) check a token without fetching data.
use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::api::bearer::Bearer;
use crate::api::error::ApiError;
use crate::state::AppState;

/// Who a token belongs to.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WhoAmI {
    organisation: OrganisationInfo,
    token: TokenInfo,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrganisationInfo {
    /// The organisation's short name in Pulse's addresses, e.g. `acme`.
    slug: String,
    name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// The token's public start, e.g. `pulse_8Hq2`, as the API authentication screen shows it.
    prefix: String,
}

/// The organisation and token a request authenticates as.
///
/// Lets a tool check its token without fetching data.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    operation_id = "whoami",
    tag = "auth",
    responses(
        (status = 200, description = "The organisation and token the request authenticates as", body = WhoAmI),
    )
)]
pub async fn show(bearer: Bearer, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // Authentication read everything this answer says.
    let (caller, ()) = bearer.run(&state, |_, _| Ok(())).await?;
    Ok(HttpResponse::Ok().json(WhoAmI {
        organisation: OrganisationInfo {
            slug: caller.organisation_slug,
            name: caller.organisation_name,
        },
        token: TokenInfo {
            prefix: caller.token_prefix,
        },
    }))
}
