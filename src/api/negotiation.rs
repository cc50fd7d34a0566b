//! What API answers say about content negotiation (RFC 9110 §12): every answer may be
//! compressed, so it varies with `Accept-Encoding`; the JSON URLs also choose JSON or CSV by
//! `Accept` (`output::Negotiated`). A request that accepts none of the codings `Compress` offers
//! gets 406 as problem+json, like every other refusal.
use actix_web::HttpMessage;
use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

use crate::api::error::{ApiError, PROBLEM_JSON};
use crate::api::output::Negotiated;

/// Middleware outside `Compress` (which adds `Vary` only to what it compresses): one `Vary` on
/// every answer, 304s included, and problem+json for `Compress`'s bare 406.
pub async fn vary(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let response = next.call(req).await?;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    let mut response = if response.status() == StatusCode::NOT_ACCEPTABLE && !is_problem {
        let (req, _) = response.into_parts();
        let refusal = ApiError::NoAcceptableEncoding.error_response();
        ServiceResponse::new(req, refusal).map_into_right_body()
    } else {
        response.map_into_left_body()
    };
    let negotiated = response
        .request()
        .extensions()
        .get::<Negotiated>()
        .is_some();
    let value = if negotiated {
        "Accept, Accept-Encoding"
    } else {
        "Accept-Encoding"
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static(value));
    Ok(response)
}
