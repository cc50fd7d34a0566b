//! Every request in a span that its log lines carry (method, route pattern, target, the client
//! address by the same trust rule as the audit trail, the User-Agent, a request id), counted in
//! the metrics, and, as `PULSE_ACCESS_LOG` says, an INFO line with its status and duration. Refusals (4xx,
//! and the redirect to the sign-in page) are logged at DEBUG with their reason: they are the
//! clients' business, not the operator's; failures (5xx) are logged where they happen.
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;

use crate::api::error::ProblemCode;
use crate::auth::client_addr::ClientAddr;
use crate::config::AccessLog;
use crate::domain::secret;
use crate::state::AppState;

/// The methods HTTP defines (RFC 9110, and PATCH).
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The method as a metrics label: a client may send any token as its method, and each would
/// be a new series; all but the standard ones share one label.
fn method_label(method: &str) -> &str {
    if STANDARD_METHODS.contains(&method) {
        method
    } else {
        "other"
    }
}

/// The span and log lines of a request, and its metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let span = tracing::info_span!(
        "HTTP request",
        http.method = %method,
        http.route = %route,
        http.target = %req.uri().path_and_query().map_or("", |p| p.as_str()),
        http.client_ip = %ClientAddr::of(req.request()).0,
        http.user_agent = %req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|agent| agent.to_str().ok())
            .unwrap_or(""),
        request_id = %secret::random_base62(12),
        http.status_code = tracing::field::Empty,
    );
    let started = Instant::now();
    let outcome = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    // A refusal may come back as an error for the layers outside to render: same status.
    let (status, refusal) = match &outcome {
        Ok(response) => (
            response.status(),
            response.response().error().map(ToString::to_string),
        ),
        Err(error) => (
            error.as_response_error().status_code(),
            Some(error.to_string()),
        ),
    };
    span.record("http.status_code", status.as_u16());
    span.in_scope(|| {
        if let Some(reason) = refusal
            && !status.is_server_error()
        {
            tracing::debug!(status = status.as_u16(), %reason, "request refused");
        }
        let logged = state
            .as_ref()
            .map_or(AccessLog::Off, |s| s.config.access_log);
        let sampled = match logged {
            AccessLog::Off => false,
            AccessLog::All => true,
            AccessLog::Sampled(share) => rand::random::<f64>() < share,
        };
        if sampled || status.is_server_error() {
            tracing::info!(
                target: "pulse::access",
                status = status.as_u16(),
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                "request"
            );
        }
    });
    if let Some(state) = &state {
        state
            .metrics
            .observe_request(&route, method_label(&method), status.as_u16(), elapsed);
    }
    let mut response = outcome?;
    if let Some(state) = &state {
        if let Some(ProblemCode(code)) = response.response().extensions().get::<ProblemCode>() {
            state.metrics.observe_api_refusal(code);
        }
        // While the instance drains, each connection closes after its answer, so that no
        // keep-alive connection is left for the balancer to send a request down as it stops.
        if state.is_draining() {
            response
                .response_mut()
                .head_mut()
                .set_connection_type(ConnectionType::Close);
        }
    }
    Ok(response)
}
