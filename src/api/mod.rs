//! The data API under `/api/v1`: bearer-token authentication (`bearer::ApiCaller`) and
//! problem+json errors (`error::ApiError`). Add endpoints to the scope in `routes`; every handler
//! takes an `ApiCaller` and scopes its queries to `caller.organisation_id`.
pub mod bearer;
pub mod clients;
pub mod csv;
pub mod error;
pub mod feedback;
pub mod format;
pub mod openapi;
pub mod params;
pub mod scores;
pub mod token_leaks;
pub mod whoami;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, web};

use bearer::TokenExpiry;

use crate::error::AppError;
use error::ApiError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .wrap(from_fn(token_expiry_header))
            .route("/whoami", web::get().to(whoami::show))
            .route("/feedback", web::get().to(feedback::list))
            .route("/scores", web::get().to(scores::show))
            .route("/clients", web::get().to(clients::list))
            .route("/openapi.json", web::get().to(openapi::show))
            .route("/token-leaks", web::post().to(token_leaks::report))
            .default_service(web::to(not_found)),
    );
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(AppError::NotFound.into())
}

/// Every response to a request made with an expiring token says when it expires (as GitHub's
/// `github-authentication-token-expiration` does), so a report's owner learns it in time.
async fn token_expiry_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let expiry = response
        .request()
        .extensions()
        .get::<TokenExpiry>()
        .copied();
    if let Some(TokenExpiry(at)) = expiry
        && let Ok(value) = HeaderValue::from_str(&format::rfc3339(at))
    {
        let name = HeaderName::from_static("pulse-token-expires");
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}
