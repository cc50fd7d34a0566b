//! Every status and response header the API sends, described once and added to each operation
//! that can send it: the refusals (problem+json), 304 where answers carry validators, and the
//! headers the `/api/v1` middleware puts on every answer (rate limit, `Vary`, token expiry).
use utoipa::Modify;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::api::error::PROBLEM_JSON;

/// Operations whose whole answers carry `ETag` and `Last-Modified` and may be 304 (the streamed
/// feedback export has no digest to tag).
const VALIDATED: [&str; 5] = [
    "listFeedback",
    "getScores",
    "listClients",
    "exportScoresCsv",
    "exportClientsCsv",
];

/// Operations that also answer in CSV when `Accept` prefers it, so their answers vary with it.
const NEGOTIATED: [&str; 3] = ["listFeedback", "getScores", "listClients"];

/// Refusals every operation that needs a token can answer with: (status, description). The 400
/// only where there are parameters.
const REFUSALS: [(&str, &str); 5] = [
    (
        "400",
        "A parameter is invalid (the problem's `detail` names it)",
    ),
    (
        "401",
        "Missing or invalid token (`code`: `token_missing`, `token_malformed`, \
         `token_unknown`, `token_revoked`, `token_expired`)",
    ),
    (
        "403",
        "The organisation's API access is switched off (`code`: `api_disabled`)",
    ),
    (
        "429",
        "Over the token's rate limit; `Retry-After` says when to try again",
    ),
    (
        "503",
        "The database is briefly out of reach; `Retry-After` says when to try again",
    ),
];

/// What every operation can answer with, token or not.
const EVERYWHERE: [(&str, &str); 3] = [
    ("404", "No such API path (a mistyped URL)"),
    (
        "405",
        "A method other than the operation's; `Allow` names those the path answers",
    ),
    (
        "406",
        "`Accept-Encoding` rules out every coding the API sends (br, gzip, identity)",
    ),
];

pub struct Responses;

impl Modify for Responses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let operations = openapi.paths.paths.values_mut().flat_map(|item| {
            [item.get.as_mut(), item.post.as_mut()]
                .into_iter()
                .flatten()
        });
        for operation in operations {
            describe(operation);
        }
    }
}

fn describe(operation: &mut Operation) {
    let id = operation.operation_id.clone().unwrap_or_default();
    let needs_token = operation.security.is_none();
    let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let responses = &mut operation.responses.responses;
    if needs_token {
        for (status, description) in REFUSALS {
            if status != "400" || has_parameters {
                responses.insert(status.into(), problem(description).into());
            }
        }
    }
    for (status, description) in EVERYWHERE {
        responses.insert(status.into(), problem(description).into());
    }
    if VALIDATED.contains(&id.as_str()) {
        let not_modified = ResponseBuilder::new()
            .description("The copy named by `If-None-Match` or `If-Modified-Since` is current")
            .build();
        responses.insert("304".into(), not_modified.into());
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        add_headers(response, status, &id, needs_token);
    }
}

fn problem(description: &str) -> Response {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build();
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, content)
        .build()
}

fn header(schema: impl Into<RefOr<utoipa::openapi::schema::Schema>>, text: &str) -> Header {
    HeaderBuilder::new()
        .schema(schema)
        .description(Some(text))
        .build()
}

fn string() -> Object {
    Object::with_type(Type::String)
}

fn seconds() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .build()
}

/// The headers `response` (to `status` of operation `id`) carries.
fn add_headers(response: &mut Response, status: &str, id: &str, needs_token: bool) {
    let is_csv = response.content.contains_key("text/csv");
    let headers = &mut response.headers;
    let mut add = |name: &str, header: Header| {
        headers.insert(name.into(), header);
    };
    add(
        "RateLimit-Policy",
        header(
            string(),
            "The token's rate limit (IETF httpapi draft \"RateLimit header fields for HTTP\"): \
             `\"per-token\";q=<requests>;w=60`, requests per 60-second window. On every answer.",
        ),
    );
    add(
        "RateLimit",
        header(
            string(),
            "What is left of it: `\"per-token\";r=<requests left>;t=<seconds until the whole \
             quota is back>`. Without a usable token (and on public operations) the whole \
             quota. On every answer.",
        ),
    );
    for (name, text) in [
        (
            "RateLimit-Limit",
            "Deprecated (draft -06): the `q` of `RateLimit-Policy`.",
        ),
        (
            "RateLimit-Remaining",
            "Deprecated (draft -06): the `r` of `RateLimit`.",
        ),
        (
            "RateLimit-Reset",
            "Deprecated (draft -06): the `t` of `RateLimit`.",
        ),
    ] {
        add(name, header(seconds(), text));
    }
    let vary = if NEGOTIATED.contains(&id) {
        "`Accept, Accept-Encoding`: answers are compressed as `Accept-Encoding` asks, and this \
         URL also gives CSV when `Accept` prefers `text/csv`. On every answer."
    } else {
        "`Accept-Encoding`: answers are compressed as it asks. On every answer."
    };
    add("Vary", header(string(), vary));
    if needs_token {
        add(
            "Pulse-Token-Expires",
            header(
                string(),
                "When the token expires (RFC 3339), on every answer to a request made with a \
                 token that has an expiry.",
            ),
        );
    }
    match status {
        "200" | "304" if VALIDATED.contains(&id) => {
            add(
                "ETag",
                header(
                    string(),
                    "Strong validator of this answer: send it back as `If-None-Match`.",
                ),
            );
            add(
                "Last-Modified",
                header(
                    string(),
                    "When the data last changed (HTTP date), once that is ten seconds past: \
                     send it back as `If-Modified-Since`. Absent while the data changed within \
                     the last ten seconds, and for scores by period without `until`.",
                ),
            );
        }
        "401" => add(
            "WWW-Authenticate",
            header(
                string(),
                "Challenges for both ways to send the token: `Bearer realm=\"pulse\"` (with \
                 `error=\"invalid_token\"` for a bad one) and `Basic realm=\"pulse\", \
                 charset=\"UTF-8\"`.",
            ),
        ),
        "429" | "503" => add(
            "Retry-After",
            header(seconds(), "Seconds to wait before trying again."),
        ),
        "405" => add(
            "Allow",
            header(string(), "The methods the path answers, e.g. `GET, HEAD`."),
        ),
        _ => {}
    }
    if status == "200" && is_csv {
        add(
            "Content-Disposition",
            header(
                string(),
                "`attachment; filename=\"<organisation>-<what>-<date>.csv\"`, e.g. \
                 `acme-feedback-2026-11-29.csv`.",
            ),
        );
    }
}
