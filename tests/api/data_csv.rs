//! CSV output: parses back with a real CSV parser, round-trips awkward text, is formula-safe.
use chrono::Duration;
use pulse::repo::feedback::{self, Answer, NewFeedback};
use pulse::repo::{clients, organisations};

use crate::data_fixtures::{acme_with_feedback, add_feedback, at};
use crate::helpers::{body, spawn_app};

fn records(body: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[tokio::test]
async fn feedback_csv_round_trips_awkward_text_and_neutralises_formulas() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    let awkward = "Said \"great\", then\nleft; naïve café 😀";
    app.with_conn(|conn| {
        let org = organisations::find_by_slug(conn, "acme").unwrap().unwrap();
        let client =
            clients::find_or_create(conn, org.id, "Müller, Söhne & Co", at("2026-01-01")).unwrap();
        let row = |comment: &str, name: &str, minutes| NewFeedback {
            organisation_id: org.id,
            client_id: client.id,
            answer: Answer {
                respondent_name: name.into(),
                respondent_email: "r@example.com".into(),
                score: 7,
                comment: Some(comment.into()),
                survey: "Q1".into(),
                submitted_at: at("2026-01-02") + Duration::minutes(minutes),
            },
        };
        feedback::insert_all(
            conn,
            &[
                row(awkward, "Zoë O'Brien", 2),
                row("=HYPERLINK(\"http://evil\")", "@admin", 1),
                row("-2+3", "+plus", 0),
            ],
        )
        .unwrap();
    });

    for request in [
        reqwest::Client::new()
            .get(app.url("/api/v1/feedback?format=csv"))
            .bearer_auth(&token),
        reqwest::Client::new()
            .get(app.url("/api/v1/feedback"))
            .header("Accept", "text/csv")
            .bearer_auth(&token),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        let today = app.now().format("%Y-%m-%d");
        assert_eq!(
            response.headers()["content-disposition"].to_str().unwrap(),
            format!("attachment; filename=\"acme-feedback-{today}.csv\"")
        );
        let (header, rows) = records(&body(response).await);
        assert_eq!(
            header[..4],
            ["id", "submitted_at", "client_id", "client_name"]
        );
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][col("comment")], awkward);
        assert_eq!(rows[0][col("respondent_name")], "Zoë O'Brien");
        assert_eq!(rows[0][col("client_name")], "Müller, Söhne & Co");
        assert_eq!(rows[0][col("submitted_at")], "2026-01-02T12:02:00Z");
        assert_eq!(rows[1][col("comment")], "'=HYPERLINK(\"http://evil\")");
        assert_eq!(rows[1][col("respondent_name")], "'@admin");
        assert_eq!(rows[2][col("comment")], "'-2+3");
        assert_eq!(rows[2][col("respondent_name")], "'+plus");
        assert_eq!(rows[2][col("score")], "7");
    }
}

#[tokio::test]
async fn a_csv_export_streams_more_rows_than_one_chunk() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    let base = at("2025-01-01");
    // Two whole chunks of 5,000 and a partial one, read ahead while the previous one is sent.
    let rows: Vec<(&str, i32, _)> = (0..12_500)
        .map(|i| ("Globex", i % 11, base + Duration::minutes(i64::from(i / 2))))
        .collect();
    add_feedback(&app, "acme", &rows);
    let body = app
        .api_get(&token, "/api/v1/feedback?format=csv")
        .await
        .text()
        .await
        .unwrap();
    let (_, records) = records(&body);
    assert_eq!(records.len(), 12_500);
    let ids: std::collections::HashSet<&String> = records.iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), 12_500);
}

#[tokio::test]
async fn scores_and_clients_come_as_csv_too() {
    let (app, token) = acme_with_feedback(&[
        ("=Evil Corp", 10, at("2026-01-10")),
        ("=Evil Corp", 0, at("2026-01-11")),
        ("=Evil Corp", 0, at("2026-02-11")),
    ])
    .await;
    let response = app
        .api_get(&token, "/api/v1/scores?group_by=month&format=csv")
        .await;
    let today = app.now().format("%Y-%m-%d");
    assert_eq!(
        response.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"acme-scores-{today}.csv\"")
    );
    let (header, rows) = records(&body(response).await);
    assert_eq!(header[..3], ["period", "period_start", "period_end"]);
    assert_eq!(header[3..], pulse::api::format::Score::CSV_HEADER);
    assert_eq!(
        header[8..],
        ["promoter_percent", "passive_percent", "detractor_percent"]
    );
    let (jan, feb) = (
        ["2026-01", "2026-01-01", "2026-02-01"],
        ["2026-02", "2026-02-01", "2026-03-01"],
    );
    assert_eq!(rows[0][..3], jan);
    assert_eq!(
        rows[0][3..],
        ["2", "1", "0", "1", "0.0", "50.0", "0.0", "50.0"]
    );
    assert_eq!(rows[1][..3], feb);
    assert_eq!(
        rows[1][3..],
        ["1", "0", "0", "1", "-100.0", "0.0", "0.0", "100.0"]
    );
    // An empty month: zero counts, and empty NPS and share cells.
    assert_eq!(rows[2][3..], ["0", "0", "0", "0", "", "", "", ""]);

    let (header, rows) = records(
        &app.api_get(&token, "/api/v1/clients?format=csv")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(header[1], "name");
    assert_eq!(rows[0][1], "'=Evil Corp");
    assert_eq!(rows[0][3], "3");
    assert_eq!(rows[0][7], "-33.3");
}

/// Reads CSV bytes the way a spreadsheet import does: BOM, CRLF and quoting handled by the
/// `csv` crate itself, not by this test.
fn parse_bytes(bytes: &[u8]) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn csv_is_crlf_with_an_optional_bom_and_a_switchable_formula_guard() {
    let (app, token) = acme_with_feedback(&[("García & Hijos", 9, at("2026-01-05"))]).await;
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use pulse::db::schema::feedback as f;
        diesel::update(f::table)
            .set(f::comment.eq(Some("=1+1, then\nmore")))
            .execute(conn)
            .unwrap();
    });
    let get = |path: &'static str| {
        let (app, token) = (&app, &token);
        async move { app.api_get(token, path).await.bytes().await.unwrap() }
    };
    let plain = get("/api/v1/feedback?format=csv").await;
    assert!(!plain.starts_with("\u{feff}".as_bytes()));
    let text = std::str::from_utf8(&plain).unwrap();
    // Every record ends in CRLF; the LF inside the quoted comment is the comment's own.
    assert!(
        text.ends_with("\r\n") && text.matches("\r\n").count() == 2,
        "{text:?}"
    );
    assert!(text.contains("\"'=1+1, then\nmore\""));

    let bom = get("/api/v1/feedback?format=csv&bom=true&escape_formulas=false").await;
    assert!(bom.starts_with("\u{feff}".as_bytes()));
    let records = parse_bytes(&bom);
    assert_eq!(records.len(), 2);
    let header: Vec<&str> = records[0].iter().collect();
    assert_eq!(header[0], "id", "the BOM is not part of the first name");
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(&records[1][col("client_name")], "García & Hijos");
    assert_eq!(&records[1][col("comment")], "=1+1, then\nmore");
    assert_eq!(&records[1][col("updated_at")][..2], "20");

    for path in [
        "/api/v1/scores?format=csv&bom=true",
        "/api/v1/clients?format=csv&bom=true",
    ] {
        let bytes = get(path).await;
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "{path}");
        assert!(bytes.ends_with(b"\r\n"), "{path}");
    }
    for bad in ["bom=yes", "escape_formulas=0"] {
        let response = app
            .api_get(&token, &format!("/api/v1/feedback?format=csv&{bad}"))
            .await;
        assert_eq!(response.status(), 400, "{bad}");
    }
}
