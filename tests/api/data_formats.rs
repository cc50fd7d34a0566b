//! JSON and CSV as separate operations (`/api/v1/feedback` and `/api/v1/feedback.csv`), the old
//! ways to ask the JSON URLs for CSV kept for existing reports, and what answers say about
//! negotiation: `Vary`, and 406 as problem+json.
use reqwest::Method;

use crate::data_fixtures::{acme_with_feedback, at};
use crate::helpers::{assert_problem, body};

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    let mut values = response.headers().get_all(name).iter();
    let first = values.next().map(|v| v.to_str().unwrap().to_owned());
    assert!(values.next().is_none(), "one {name} header");
    first
}

const LISTS: [(&str, &str); 3] = [
    ("/api/v1/feedback", "/api/v1/feedback.csv"),
    (
        "/api/v1/scores?group_by=month,client&",
        "/api/v1/scores.csv?group_by=month,client&",
    ),
    ("/api/v1/clients", "/api/v1/clients.csv"),
];

/// `path` with `query` appended, whether or not it has a query already.
fn with(path: &str, query: &str) -> String {
    match path.strip_suffix('&') {
        Some(_) => format!("{path}{query}"),
        None => format!("{path}?{query}"),
    }
}

#[tokio::test]
async fn each_list_has_a_csv_operation_and_the_old_ways_still_give_csv() {
    let (app, token) = acme_with_feedback(&[
        ("Globex", 9, at("2026-01-05")),
        ("Initech", 3, at("2026-02-05")),
    ])
    .await;
    for (json_path, csv_path) in LISTS {
        let get = |path: String, accept: &'static str| {
            let (app, token) = (&app, &token);
            async move {
                app.api_request(token, Method::GET, &path, &[("Accept", accept)])
                    .await
            }
        };
        let export = get(with(csv_path, "bom=true"), "application/json").await;
        assert_eq!(export.status(), 200, "{csv_path}");
        assert_eq!(
            header(&export, "content-type").as_deref(),
            Some("text/csv; charset=utf-8"),
            "the CSV operation answers CSV whatever Accept says"
        );
        assert!(
            header(&export, "content-disposition")
                .unwrap()
                .starts_with("attachment;")
        );
        let export = body(export).await;
        assert!(
            export.starts_with('\u{feff}') && export.contains("\r\n"),
            "{export}"
        );
        let old_format = body(get(with(json_path, "format=csv&bom=true"), "*/*").await).await;
        let old_accept = body(get(with(json_path, "bom=true"), "text/csv").await).await;
        assert_eq!(
            (&old_format, &old_accept),
            (&export, &export),
            "{json_path}"
        );
        let json = get(json_path.trim_end_matches(['?', '&']).to_owned(), "*/*").await;
        assert_eq!(
            header(&json, "content-type").as_deref(),
            Some("application/json")
        );

        let format_on_csv = get(with(csv_path, "format=json"), "*/*").await;
        let refused = assert_problem(format_on_csv, 400).await;
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("Unknown parameter `format`")
        );
    }
    for path in [
        "/api/v1/feedback.csv",
        "/api/v1/scores.csv",
        "/api/v1/clients.csv",
    ] {
        let head = app.api_request(&token, Method::HEAD, path, &[]).await;
        assert_eq!(head.status(), 200, "{path}");
        assert!(body(head).await.is_empty());
        let post = app.api_request(&token, Method::POST, path, &[]).await;
        assert_eq!(header(&post, "allow").as_deref(), Some("GET, HEAD"));
        assert_problem(post, 405).await;
    }
}

#[tokio::test]
async fn answers_say_what_they_vary_with() {
    let (app, token) = acme_with_feedback(&[("Globex", 9, at("2026-01-05"))]).await;
    let vary = |path: &'static str, headers: &'static [(&'static str, &'static str)]| {
        let (app, token) = (&app, &token);
        async move {
            let response = app.api_request(token, Method::GET, path, headers).await;
            (response.status().as_u16(), header(&response, "vary"))
        }
    };
    let both = Some("Accept, Accept-Encoding".to_owned());
    let encoding = Some("Accept-Encoding".to_owned());
    for path in ["/api/v1/feedback", "/api/v1/scores", "/api/v1/clients"] {
        assert_eq!(vary(path, &[]).await, (200, both.clone()), "{path}");
        let gzip = vary(path, &[("Accept-Encoding", "gzip")]).await;
        assert_eq!(
            gzip,
            (200, both.clone()),
            "{path}: compressed, still one Vary"
        );
        assert_eq!(
            vary(path, &[("Accept", "text/csv")]).await,
            (200, both.clone())
        );
    }
    let etag = app.api_get(&token, "/api/v1/clients").await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let not_modified = app
        .api_request(
            &token,
            Method::GET,
            "/api/v1/clients",
            &[("If-None-Match", &etag)],
        )
        .await;
    assert_eq!(not_modified.status(), 304);
    assert_eq!(header(&not_modified, "vary"), both, "a 304 says it too");
    for path in [
        "/api/v1/feedback.csv",
        "/api/v1/clients.csv",
        "/api/v1/whoami",
    ] {
        assert_eq!(vary(path, &[]).await, (200, encoding.clone()), "{path}");
        let gzip = vary(path, &[("Accept-Encoding", "gzip")]).await;
        assert_eq!(gzip, (200, encoding.clone()), "{path}");
    }
    let public = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(header(&public, "vary"), encoding);
}

#[tokio::test]
async fn no_acceptable_coding_gets_406_as_problem_json() {
    let (app, token) = acme_with_feedback(&[("Globex", 9, at("2026-01-05"))]).await;
    let refused = app
        .api_request(
            &token,
            Method::GET,
            "/api/v1/clients",
            &[("Accept-Encoding", "identity;q=0, *;q=0")],
        )
        .await;
    assert_eq!(header(&refused, "vary").as_deref(), Some("Accept-Encoding"));
    assert_eq!(assert_problem(refused, 406).await["code"], "not_acceptable");
}
