//! The per-token rate limit as the API states it (`domain::rate_limit` decides in memory, and
//! `Bearer::run` lets a request through or refuses it with 429): every `/api/v1` response,
//! successful or not, states the budget in the structured fields of the IETF httpapi draft
//! "RateLimit header fields for HTTP" (-08 onwards): `RateLimit-Policy` (the quota `q` per
//! window `w` seconds) and `RateLimit` (`r` remaining, `t` seconds until the whole quota is
//! back). The fields of draft -06 (`RateLimit-Limit`, `-Remaining`, `-Reset`) still come along for
//! the clients that read them; the README says until when.
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
        for (name, value) in fields(allowance) {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
    Ok(response)
}

/// The one policy's name in `RateLimit-Policy` and `RateLimit`.
const POLICY: &str = "per-token";
/// The policy's window: the limit is per minute.
const WINDOW_SECS: u64 = 60;

/// The header fields that state `allowance`, current draft first.
fn fields(allowance: Allowance) -> [(&'static str, String); 5] {
    let Allowance {
        limit,
        remaining,
        reset_secs,
    } = allowance;
    [
        (
            "ratelimit-policy",
            format!("\"{POLICY}\";q={limit};w={WINDOW_SECS}"),
        ),
        (
            "ratelimit",
            format!("\"{POLICY}\";r={remaining};t={reset_secs}"),
        ),
        ("ratelimit-limit", limit.to_string()),
        ("ratelimit-remaining", remaining.to_string()),
        ("ratelimit-reset", reset_secs.to_string()),
    ]
}
