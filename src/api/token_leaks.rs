//! `POST /api/v1/token-leaks`: where secret scanners (GitHub's partner program and the like)
//! report tokens found in public. Genuine tokens that still work are revoked at once. Public: a
//! reporter holds the token already, and revoking a leaked token is what its owner wants. With
//! partner keys configured (`PULSE_LEAK_REPORT_KEYS`) a report must carry a valid signature of
//! one (`domain::partner_keys`), else 401; without, unsigned reports are accepted, a few a
//! minute per client place. Either way at most `LIMIT_BYTES` are read.
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::api::error::ApiError;
use crate::auth::client_addr::ClientAddr;
use crate::domain::api_tokens::leaks::{self, Exposure, Verdict};
use crate::domain::throttle;
use crate::error::AppError;
use crate::state::AppState;

/// A report bigger than this is refused as it arrives, before it is parsed (README: 64 KiB).
pub const LIMIT_BYTES: usize = 64 * 1024;
/// Unsigned reports (no partner keys configured) one client place may send a minute.
pub const UNSIGNED_PER_MINUTE: u32 = 10;
/// Where GitHub's partner program puts the signature of the raw body (base64 of DER ECDSA
/// P-256 / SHA-256), and which of its keys made it.
pub const SIGNATURE_HEADER: &str = "Github-Public-Key-Signature";
pub const KEY_IDENTIFIER_HEADER: &str = "Github-Public-Key-Identifier";
/// Strings one report may carry.
const MAX_ITEMS: usize = 100;
/// The longest values a report may carry, in characters (the schema says so too).
const MAX_TOKEN: usize = 255;
const MAX_URL: usize = 2048;
const MAX_LABEL: usize = 100;

/// One string a scanner found.
#[derive(Deserialize, ToSchema)]
pub struct LeakReport {
    /// The string found (a Pulse token is `pulse_` + 49 letters and digits).
    #[schema(max_length = 255)]
    token: String,
    /// The scanner's name for the kind of secret, e.g. `pulse_api_token`.
    #[serde(rename = "type", default)]
    #[schema(max_length = 100)]
    kind: String,
    /// Where it was found, e.g. the URL of a commit.
    #[serde(default)]
    #[schema(max_length = 2048)]
    url: String,
    /// What kind of place it was found in, e.g. `content` or `commit`.
    #[serde(default)]
    #[schema(max_length = 100)]
    source: String,
}

/// The schema of a whole report, 1 to `MAX_ITEMS` strings (`LeakReport`'s derive cannot say
/// how many).
struct LeakReports;

impl utoipa::PartialSchema for LeakReports {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(Ref::from_schema_name(LeakReport::name()))
            .min_items(Some(1))
            .max_items(Some(MAX_ITEMS))
            .into()
    }
}

impl ToSchema for LeakReports {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((LeakReport::name().into(), LeakReport::schema()));
    }
}

/// The verdict on one reported string.
#[derive(Serialize, ToSchema)]
pub struct LeakVerdict {
    token_raw: String,
    token_type: String,
    label: LeakLabel,
}

/// What a reported string is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum LeakLabel {
    /// A working token of Pulse's, revoked now.
    TruePositive,
    /// Anything else: not one of ours, or one that had already stopped working.
    FalsePositive,
}

async fn read_limited(mut payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::invalid("The request body could not be read."))?;
        if body.len() + chunk.len() > LIMIT_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit_bytes: LIMIT_BYTES,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn parse(body: &[u8]) -> Result<Vec<LeakReport>, ApiError> {
    let reports: Vec<LeakReport> = serde_json::from_slice(body).map_err(|_| {
        AppError::invalid(
            "The report must be a JSON array of objects with `token`, `type`, `url` and \
             `source`.",
        )
    })?;
    if reports.is_empty() || reports.len() > MAX_ITEMS {
        return Err(AppError::invalid(format!(
            "A report carries 1 to {MAX_ITEMS} strings, not {}.",
            reports.len()
        ))
        .into());
    }
    let too_long = |value: &str, max: usize| value.chars().count() > max;
    if reports.iter().any(|r| {
        too_long(&r.token, MAX_TOKEN)
            || too_long(&r.url, MAX_URL)
            || too_long(&r.kind, MAX_LABEL)
            || too_long(&r.source, MAX_LABEL)
    }) {
        return Err(AppError::invalid(format!(
            "Each string is at most {MAX_TOKEN} characters, each url {MAX_URL}, each type and \
             source {MAX_LABEL}."
        ))
        .into());
    }
    Ok(reports)
}

/// Lets an unsigned report through when the server takes them (no partner keys), a few a minute
/// per client place; checked before the body is read.
fn admit_unsigned(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    if state.partner_keys.is_configured() {
        return Ok(());
    }
    let place = throttle::place(&ClientAddr::of(req).0);
    state
        .leak_reports
        .check(place, state.clock.now())
        .map(|_| ())
        .map_err(|refusal| AppError::from(refusal).into())
}

/// With partner keys configured, the report must be signed by one of them.
fn check_signature(req: &HttpRequest, state: &AppState, body: &[u8]) -> Result<(), ApiError> {
    if !state.partner_keys.is_configured() {
        return Ok(());
    }
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    match (header(KEY_IDENTIFIER_HEADER), header(SIGNATURE_HEADER)) {
        (Some(_), Some(signature)) if state.partner_keys.verify(body, signature) => Ok(()),
        _ => Err(ApiError::UnsignedReport),
    }
}

/// Report tokens found in public.
///
/// Secret-scanning format: each genuine token that still works is revoked at once and its
/// organisation is told where it was found. When the server is configured with partner keys,
/// the report must be signed (GitHub's partner program: `Github-Public-Key-Identifier` and
/// `Github-Public-Key-Signature`, ECDSA P-256 over the raw body); otherwise unsigned reports are
/// accepted, 10 a minute per client address.
#[utoipa::path(
    post,
    path = "/api/v1/token-leaks",
    operation_id = "reportTokenLeaks",
    tag = "auth",
    params(
        ("Github-Public-Key-Identifier" = Option<String>, Header, description = "Which of the partner's keys signed the report"),
        ("Github-Public-Key-Signature" = Option<String>, Header, description = "Base64 of the DER ECDSA P-256 (SHA-256) signature of the raw body"),
    ),
    request_body(content = LeakReports, content_type = "application/json"),
    responses(
        (status = 200, description = "A verdict per reported string, in order", body = Vec<LeakVerdict>),
        (status = 400, description = "Not a report", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Partner keys are configured and the report is not signed by one", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Report too large (over 64 KiB)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many unsigned reports from this address; see Retry-After", body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn report(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    admit_unsigned(&req, &state)?;
    let body = read_limited(payload).await?;
    check_signature(&req, &state, &body)?;
    let reports = parse(&body)?;
    let now = state.clock.now();
    let verdicts = {
        let found: Vec<[String; 3]> = reports
            .iter()
            .map(|r| [r.token.clone(), r.url.clone(), r.source.clone()])
            .collect();
        state
            .db
            .run(move |conn| {
                let exposures: Vec<Exposure> = found
                    .iter()
                    .map(|[token, url, source]| Exposure { token, url, source })
                    .collect();
                leaks::report(conn, &exposures, now)
            })
            .await?
    };
    let answer: Vec<LeakVerdict> = reports
        .into_iter()
        .zip(verdicts)
        .map(|(report, verdict)| LeakVerdict {
            token_raw: report.token,
            token_type: report.kind,
            label: match verdict {
                Verdict::Working => LeakLabel::TruePositive,
                Verdict::Stopped | Verdict::NotOurs => LeakLabel::FalsePositive,
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(answer))
}
