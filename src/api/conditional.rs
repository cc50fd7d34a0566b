//! Validators, so that a report refreshing unchanged data costs one small exchange: every answer
//! written whole (`api::answer`, the feedback pages; not the streamed feedback CSV) carries a
//! strong `ETag` (a digest of its exact bytes) and, where the data says when it
//! last changed, `Last-Modified`; a request whose `If-None-Match` (or, without one,
//! `If-Modified-Since`) still holds gets `304 Not Modified` without a body (RFC 9110 §13).
//!
//! Compression happens after the handler (the `/api` scope's `Compress`, `api::routes`), and a
//! compressed body is a different representation, so `encoding_tags` (middleware around
//! `Compress`) gives its ETag the coding as a suffix (`"…-br"`) and takes the suffix off again in
//! `If-None-Match`.
use std::time::SystemTime;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, EntityTag, Header, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::domain::instants::{SETTLE, whole_seconds};

/// Content codings `Compress` may apply, as ETag suffixes.
const CODINGS: [&str; 3] = ["br", "gzip", "zstd"];

/// HTTP dates have whole seconds; so must what they are compared with.
fn http_date(at: NaiveDateTime) -> header::HttpDate {
    SystemTime::from(whole_seconds(at).and_utc()).into()
}

/// Whether the request's preconditions say its cached copy is still current.
fn not_modified(req: &HttpRequest, etag: &EntityTag, last_modified: Option<NaiveDateTime>) -> bool {
    // A list header parses even when absent (as no items): look for it first.
    if req.headers().contains_key(header::IF_NONE_MATCH)
        && let Ok(if_none_match) = header::IfNoneMatch::parse(req)
    {
        return match if_none_match {
            header::IfNoneMatch::Any => true,
            header::IfNoneMatch::Items(tags) => tags.iter().any(|tag| tag.weak_eq(etag)),
        };
    }
    match (header::IfModifiedSince::parse(req), last_modified) {
        (Ok(header::IfModifiedSince(since)), Some(changed)) => {
            SystemTime::from(http_date(changed)) <= SystemTime::from(since)
        }
        _ => false,
    }
}

/// A whole 200 answer (its headers in `response`) with validators, or 304 if the client's copy
/// is current. `last_modified` is when the data last changed, which becomes `Last-Modified` only
/// once it is `SETTLE` old at `now`: HTTP dates have whole seconds, so a row added later in the
/// same second (or committed late with an earlier stamp) would leave the date unchanged and earn
/// a stale 304. The ETag, a digest of the body, needs no such wait.
pub fn answer(
    req: &HttpRequest,
    response: HttpResponseBuilder,
    body: Bytes,
    last_modified: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> HttpResponse {
    let last_modified = last_modified.filter(|at| *at + SETTLE <= now);
    let digest = Sha256::digest(&body);
    let etag = EntityTag::new_strong(URL_SAFE_NO_PAD.encode(&digest[..16]));
    let unchanged = not_modified(req, &etag, last_modified);
    let mut validated = if unchanged {
        HttpResponse::NotModified()
    } else {
        response
    };
    validated.insert_header(header::ETag(etag));
    if let Some(at) = last_modified {
        validated.insert_header(header::LastModified(http_date(at)));
    }
    if unchanged {
        validated.finish()
    } else {
        validated.body(body)
    }
}

/// The coding suffix of an entity tag's value, if it has one.
fn coding_of(tag: &str) -> Option<(&str, &str)> {
    let (value, coding) = tag.rsplit_once('-')?;
    CODINGS.contains(&coding).then_some((value, coding))
}

/// Middleware outside `Compress`: strips coding suffixes from `If-None-Match` on the way in, and
/// on the way out adds the applied coding to the ETag (of a 304 too, the coding the client's
/// copy had).
pub async fn encoding_tags(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut asked_coding = None;
    if let Some(value) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let stripped: Vec<String> = value
            .split(',')
            .map(|tag| {
                let tag = tag.trim();
                let inner = tag.trim_start_matches("W/").trim_matches('"');
                match coding_of(inner) {
                    Some((plain, coding)) => {
                        asked_coding = Some(coding.to_owned());
                        tag.replace(inner, plain)
                    }
                    None => tag.to_owned(),
                }
            })
            .collect();
        if let Ok(value) = HeaderValue::from_str(&stripped.join(", ")) {
            req.headers_mut().insert(header::IF_NONE_MATCH, value);
        }
    }
    let mut res = next.call(req).await?;
    let coding = match res.headers().get(header::CONTENT_ENCODING) {
        Some(applied) => applied.to_str().ok().map(str::to_owned),
        None if res.status() == actix_web::http::StatusCode::NOT_MODIFIED => asked_coding,
        None => None,
    };
    let tagged = res
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .zip(coding.filter(|c| CODINGS.contains(&c.as_str())))
        .and_then(|(etag, coding)| {
            let inner = etag.trim_end_matches('"');
            HeaderValue::from_str(&format!("{inner}-{coding}\"")).ok()
        });
    if let Some(etag) = tagged {
        res.headers_mut().insert(header::ETAG, etag);
    }
    Ok(res)
}
