//! The filters and field choice report builders expect (as Delighted and Typeform offer them):
//! `updated_until`, `survey` on feedback and scores, and `fields` for JSON and CSV.
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use pulse::db::schema::feedback as f;
use pulse::repo::feedback::{self, Answer, NewFeedback};
use pulse::repo::{clients, organisations};

use crate::helpers::{TestApp, assert_problem, body, json, spawn_app};

/// Organisation `acme` with one response per (survey, score, updated_at), and a token.
async fn acme_with(rows: &[(&str, i32, NaiveDateTime)]) -> (TestApp, String) {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    app.with_conn(|conn| {
        let org = organisations::find_by_slug(conn, "acme").unwrap().unwrap();
        let client = clients::find_or_create(conn, org.id, "Globex", app.now()).unwrap();
        for (i, (survey, score, updated_at)) in rows.iter().enumerate() {
            let row = NewFeedback {
                organisation_id: org.id,
                client_id: client.id,
                answer: Answer {
                    respondent_name: format!("Respondent {i}"),
                    respondent_email: format!("r{i}@acme.example"),
                    score: *score,
                    comment: (i % 2 == 0).then(|| format!("comment {i}")),
                    survey: (*survey).into(),
                    submitted_at: day(1) + Duration::days(i as i64),
                },
            };
            feedback::insert_all(conn, &[row]).unwrap();
            diesel::update(f::table.filter(f::respondent_email.eq(format!("r{i}@acme.example"))))
                .set(f::updated_at.eq(*updated_at))
                .execute(conn)
                .unwrap();
        }
    });
    (app, token)
}

fn day(n: u32) -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 1, n)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

async fn emails(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let page = json(
        app.api_get(token, &format!("/api/v1/feedback?{query}"))
            .await,
    )
    .await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["respondent_email"].as_str().unwrap().to_owned())
        .collect()
}

/// The data rows of a CSV answer (the header left out).
async fn csv_rows(app: &TestApp, token: &str, path: &str) -> Vec<Vec<String>> {
    let response = app.api_get(token, path).await;
    assert_eq!(response.status(), 200, "{path}");
    let text = body(response).await;
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn updated_until_bounds_the_changes_it_lists() {
    let (app, token) =
        acme_with(&[("Q1", 9, day(10)), ("Q1", 7, day(11)), ("Q1", 3, day(12))]).await;
    let in_order = "sort=updated_at";
    assert_eq!(
        emails(
            &app,
            &token,
            &format!("{in_order}&updated_until=2026-01-11")
        )
        .await,
        ["r0@acme.example"],
        "exclusive"
    );
    assert_eq!(
        emails(
            &app,
            &token,
            "updated_since=2026-01-11&updated_until=2026-01-12T00:00:01Z"
        )
        .await,
        ["r2@acme.example", "r1@acme.example"],
        "with updated_since, newest submitted first by default"
    );
    let far = (app.now() + Duration::days(1)).and_utc().timestamp();
    assert_eq!(
        emails(&app, &token, &format!("{in_order}&updated_until={far}"))
            .await
            .len(),
        3
    );
    let export = csv_rows(
        &app,
        &token,
        "/api/v1/feedback.csv?updated_until=1768089600",
    )
    .await;
    assert_eq!(
        export.len(),
        1,
        "the CSV operation too (1768089600 = 2026-01-11)"
    );
    let reversed = app
        .api_get(
            &token,
            "/api/v1/feedback?updated_since=2026-01-12&updated_until=2026-01-11",
        )
        .await;
    let refused = assert_problem(reversed, 400).await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("updated_until")
    );
}

#[tokio::test]
async fn a_survey_filter_narrows_feedback_and_scores() {
    let settled = day(20);
    let (app, token) = acme_with(&[
        ("Onboarding", 10, settled),
        ("Q1 survey", 0, settled),
        ("Onboarding", 9, settled),
    ])
    .await;
    assert_eq!(
        emails(&app, &token, "survey=Onboarding").await,
        ["r2@acme.example", "r0@acme.example"]
    );
    assert_eq!(
        emails(&app, &token, "survey=Q1%20survey").await,
        ["r1@acme.example"]
    );
    assert!(
        emails(&app, &token, "survey=onboarding").await.is_empty(),
        "exact name"
    );
    assert_eq!(
        csv_rows(&app, &token, "/api/v1/feedback.csv?survey=Onboarding")
            .await
            .len(),
        2
    );
    // All time (the per-client totals know no surveys), by period, and as CSV.
    let overall = json(
        app.api_get(&token, "/api/v1/scores?survey=Onboarding")
            .await,
    )
    .await;
    assert_eq!(overall["overall"]["responses"], 2);
    assert_eq!(overall["overall"]["nps"], 100.0);
    let by_month = json(
        app.api_get(
            &token,
            "/api/v1/scores?survey=Q1%20survey&group_by=month,survey",
        )
        .await,
    )
    .await;
    assert_eq!(by_month["overall"]["responses"], 1);
    let groups = by_month["groups"].as_array().unwrap();
    assert!(
        groups.iter().all(|g| g["survey"] == "Q1 survey"),
        "{groups:?}"
    );
    assert_eq!(groups[0]["period"], "2026-01");
    let rows = csv_rows(
        &app,
        &token,
        "/api/v1/scores.csv?survey=Q1%20survey&since=2026-01-01",
    )
    .await;
    assert_eq!(rows[0][..2], ["1", "0"], "responses, promoters");
    assert_problem(app.api_get(&token, "/api/v1/scores?survey=").await, 400).await;
}

#[tokio::test]
async fn fields_choose_the_columns_of_json_and_csv() {
    let (app, token) = acme_with(&[("Q1", 9, day(10)), ("Q1", 3, day(11))]).await;
    let page = json(
        app.api_get(&token, "/api/v1/feedback?fields=score,comment")
            .await,
    )
    .await;
    for item in page["data"].as_array().unwrap() {
        let mut keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["comment", "id", "score"], "id always comes along");
    }
    assert_eq!(
        page["data"][0]["comment"],
        serde_json::Value::Null,
        "null, not left out"
    );
    let everything = json(app.api_get(&token, "/api/v1/feedback").await).await;
    assert_eq!(everything["data"][0].as_object().unwrap().len(), 11);

    let export = body(
        app.api_get(&token, "/api/v1/feedback.csv?fields=score,id")
            .await,
    )
    .await;
    assert_eq!(
        export.split("\r\n").next(),
        Some("score,id"),
        "the order asked for"
    );
    let repeated = body(
        app.api_get(&token, "/api/v1/feedback.csv?fields=score&fields=id")
            .await,
    )
    .await;
    assert_eq!(repeated, export);
    let legacy = body(
        app.api_get(&token, "/api/v1/feedback?format=csv&fields=score,id")
            .await,
    )
    .await;
    assert_eq!(legacy, export);
    for wrong in [
        "fields=score,score",
        "fields=nope",
        "fields=",
        "fields=id,,score",
    ] {
        let refused = assert_problem(
            app.api_get(&token, &format!("/api/v1/feedback?{wrong}"))
                .await,
            400,
        )
        .await;
        assert!(
            refused["detail"].as_str().unwrap().contains("`fields`"),
            "{wrong}"
        );
    }
}
