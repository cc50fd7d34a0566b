//! The data API under `/api/v1`: bearer-token authentication (`bearer::Bearer`) and
//! problem+json errors (`error::ApiError`). Add endpoints to the scope in `routes`; every data
//! handler takes a `Bearer`, does its database work in `Bearer::run`, and scopes its queries to
//! the `ApiCaller`'s `organisation_id`.
pub mod answer;
pub mod bearer;
pub mod clients;
pub mod conditional;
pub mod error;
pub mod feedback;
pub mod format;
pub mod negotiation;
pub mod openapi;
pub mod output;
pub mod params;
pub mod rate_limit;
pub mod scores;
pub mod token_leaks;
pub mod whoami;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Compress, DefaultHeaders, Next, from_fn};
use actix_web::{FromRequest, Handler, HttpMessage, Resource, Responder, guard, web};

use bearer::TokenExpiry;

use crate::error::AppError;
use error::ApiError;

/// What the data API lets caches do: keep answers for this caller only, and revalidate them
/// (ETag, Last-Modified) before reuse. Pages keep the app-wide `no-store`.
const CACHE_CONTROL: &str = "private, no-cache";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, CACHE_CONTROL)))
            // Compression only here: the API reflects no secret into its bodies, whereas pages
            // carry CSRF tokens, which compression would expose to BREACH-style guessing.
            .wrap(Compress::default())
            .wrap(from_fn(conditional::encoding_tags))
            .wrap(from_fn(negotiation::vary))
            .wrap(from_fn(token_expiry_header))
            .wrap(from_fn(rate_limit::headers))
            .service(readable("/whoami", whoami::show))
            .service(readable("/feedback", feedback::list))
            .service(readable("/feedback.csv", feedback::export))
            .service(readable("/scores", scores::show))
            .service(readable("/scores.csv", scores::export))
            .service(readable("/clients", clients::list))
            .service(readable("/clients.csv", clients::export))
            .service(readable("/openapi.json", openapi::show))
            .service(
                web::resource("/token-leaks")
                    .route(web::post().to(token_leaks::report))
                    .default_service(web::to(|| only("POST"))),
            )
            .default_service(web::to(not_found)),
    );
}

/// A read-only resource: GET and HEAD (actix sends HEAD's headers without the body); any other
/// method gets 405 with `Allow`.
pub fn readable<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(
            web::route()
                .guard(guard::Any(guard::Get()).or(guard::Head()))
                .to(handler),
        )
        .default_service(web::to(|| only("GET, HEAD")))
}

/// The answer to any other method: 405 with `Allow`.
async fn only(allow: &'static str) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed(allow))
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
