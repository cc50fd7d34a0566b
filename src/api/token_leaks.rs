//! `POST /api/v1/token-leaks`: where secret scanners (GitHub's partner program and the like)
//! report tokens found in public. Genuine tokens that still work are revoked at once. Public: a
//! reporter holds the token already, and revoking a leaked token is what its owner wants.
use actix_web::{HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::api::error::ApiError;
use crate::domain::api_tokens::leaks::{self, Exposure, Verdict};
use crate::error::AppError;
use crate::state::AppState;

/// A report bigger than this is refused before it is parsed; the largest report the schema
/// allows fits.
pub const LIMIT_BYTES: usize = 512 * 1024;
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
    /// A token Pulse issued (revoked now if it still worked).
    TruePositive,
    /// Not one of ours.
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

/// Report tokens found in public.
///
/// Secret-scanning format: each genuine token that still works is revoked at once and its
/// organisation is told where it was found.
#[utoipa::path(
    post,
    path = "/api/v1/token-leaks",
    operation_id = "reportTokenLeaks",
    tag = "auth",
    request_body(content = LeakReports, content_type = "application/json"),
    responses(
        (status = 200, description = "A verdict per reported string, in order", body = Vec<LeakVerdict>),
        (status = 400, description = "Not a report", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Report too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn report(
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let reports = parse(&read_limited(payload).await?)?;
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
                Verdict::Genuine => LeakLabel::TruePositive,
                Verdict::NotOurs => LeakLabel::FalsePositive,
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(answer))
}
