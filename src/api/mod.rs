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
pub mod rate_limit;
pub mod scores;
pub mod whoami;

use actix_web::web;

use crate::error::AppError;
use error::ApiError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(rate_limit::headers))
            .route("/whoami", web::get().to(whoami::show))
            .route("/feedback", web::get().to(feedback::list))
            .route("/scores", web::get().to(scores::show))
            .route("/clients", web::get().to(clients::list))
            .route("/openapi.json", web::get().to(openapi::show))
            .default_service(web::to(not_found)),
    );
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(AppError::NotFound.into())
}
