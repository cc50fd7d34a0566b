//! The per-token rate limit as the API states it (`domain::rate_limit` decides in memory, and
//! `Bearer::run` lets a request through or refuses it with 429): every `/api/v1` response,
//! successful or not, states the budget in `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset` (seconds), as in the IETF draft "RateLimit header fields for HTTP".
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::domain::rate_limit::Allowance;
use crate::state::AppState;

/// Middleware for the `/api/v1` scope: the `RateLimit-*` headers on every response. A request
/// that was not counted (no usable token, or a public route) shows the whole budget.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let untouched = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.api_limiter.untouched());
    let mut response = next.call(req).await?;
    let counted = response.request().extensions().get::<Allowance>().copied();
    if let Some(allowance) = counted.or(untouched) {
        let headers = response.headers_mut();
        let mut set = |name: &'static str, value: u64| {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        };
        set("ratelimit-limit", allowance.limit.into());
        set("ratelimit-remaining", allowance.remaining.into());
        set("ratelimit-reset", allowance.reset_secs);
    }
    Ok(response)
}
