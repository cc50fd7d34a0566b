//! `GET /api/v1/whoami`: which organisation and token a request authenticates as. Lets a
//! reporting tool (or a person with curl) check a token without fetching data.
use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::api::bearer::ApiCaller;
use crate::api::error::ApiError;
use crate::error::AppError;
use crate::repo::organisations;
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
pub async fn show(caller: ApiCaller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (org, prefix) = state
        .db
        .run(move |conn| {
            organisations::find_with_token_prefix(conn, caller.organisation_id, caller.token_id)?
                .ok_or(AppError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(WhoAmI {
        organisation: OrganisationInfo {
            slug: org.slug,
            name: org.name,
        },
        token: TokenInfo { prefix },
    }))
}
