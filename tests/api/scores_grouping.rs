//! GET /api/v1/scores for charts: period dates, shares, empty periods filled, time zones, survey
//! and combined groupings; and the clear 400s for what it cannot do.
use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::data_fixtures::{acme_with_feedback, at};
use crate::helpers::{assert_problem, body, json};

fn instant(raw: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S").unwrap()
}

/// (period, responses, nps) of each group.
fn series(scores: &Value) -> Vec<(String, i64, Value)> {
    scores["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["period"].as_str().unwrap_or("").to_owned(),
                g["responses"].as_i64().unwrap(),
                g["nps"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn months_come_with_dates_shares_and_the_empty_ones_filled() {
    let (app, token) = acme_with_feedback(&[
        ("Globex", 10, at("2026-01-05")),
        ("Globex", 8, at("2026-01-06")),
        ("Globex", 3, at("2026-01-07")),
        ("Globex", 9, at("2026-03-01")),
    ])
    .await;
    let path = "/api/v1/scores?group_by=month&since=2026-01-01&until=2026-04-01";
    let scores = json(app.api_get(&token, path).await).await;
    assert_eq!(
        scores["groups"][0],
        json!({"period": "2026-01", "period_start": "2026-01-01", "period_end": "2026-02-01",
               "responses": 3, "promoters": 1, "passives": 1, "detractors": 1, "nps": 0.0,
               "promoter_percent": 33.3, "passive_percent": 33.3, "detractor_percent": 33.3})
    );
    // February had no responses: zero counts, no score, no shares.
    assert_eq!(
        scores["groups"][1],
        json!({"period": "2026-02", "period_start": "2026-02-01", "period_end": "2026-03-01",
               "responses": 0, "promoters": 0, "passives": 0, "detractors": 0, "nps": null,
               "promoter_percent": null, "passive_percent": null, "detractor_percent": null})
    );
    assert_eq!(series(&scores).len(), 3, "January to March");

    // Without since/until: from the first response's month up to the current one.
    let open = json(app.api_get(&token, "/api/v1/scores?group_by=quarter").await).await;
    let quarters = series(&open);
    assert_eq!(quarters[0], ("2026-Q1".into(), 4, json!(25.0)));
    let current = app.now().format("%Y").to_string();
    assert!(
        quarters.last().unwrap().0.starts_with(&current),
        "{quarters:?}"
    );
}

#[tokio::test]
async fn a_time_zone_moves_periods_and_dates_to_local_midnight() {
    // 23:30 UTC on 31 January is 00:30 on 1 February in Paris.
    let (app, token) = acme_with_feedback(&[
        ("Globex", 10, instant("2026-01-31T23:30:00")),
        ("Globex", 0, instant("2026-01-15T12:00:00")),
    ])
    .await;
    let utc = json(
        app.api_get(&token, "/api/v1/scores?group_by=month&until=2026-03-01")
            .await,
    )
    .await;
    assert_eq!(utc["tz"], "UTC");
    assert_eq!(
        series(&utc),
        [
            ("2026-01".into(), 2, json!(0.0)),
            ("2026-02".into(), 0, Value::Null)
        ]
    );
    let paris = json(
        app.api_get(
            &token,
            "/api/v1/scores?group_by=month&until=2026-03-01&tz=Europe/Paris",
        )
        .await,
    )
    .await;
    assert_eq!(paris["tz"], "Europe/Paris");
    assert_eq!(
        series(&paris),
        [
            ("2026-01".into(), 1, json!(-100.0)),
            ("2026-02".into(), 1, json!(100.0))
        ]
    );
    // A date in since/until is its midnight in tz: Paris's 1 February began at 23:00 UTC.
    let since = "/api/v1/scores?since=2026-02-01&tz=Europe/Paris";
    assert_eq!(
        json(app.api_get(&token, since).await).await["overall"]["responses"],
        1
    );
    let since_utc = "/api/v1/scores?since=2026-02-01";
    assert_eq!(
        json(app.api_get(&token, since_utc).await).await["overall"]["responses"],
        0
    );
}

#[tokio::test]
async fn surveys_and_combined_groupings() {
    let (app, token) = acme_with_feedback(&[
        ("Globex", 10, at("2026-01-05")),
        ("Initech", 0, at("2026-01-06")),
        ("Initech", 9, at("2026-03-06")),
    ])
    .await;
    // The fixtures' survey is "fixture".
    let by_survey = json(app.api_get(&token, "/api/v1/scores?group_by=survey").await).await;
    assert_eq!(by_survey["groups"][0]["survey"], "fixture");
    assert_eq!(by_survey["groups"][0]["responses"], 3);

    let path = "/api/v1/scores?group_by=month,client&since=2026-01-01&until=2026-04-01";
    let grid = json(app.api_get(&token, path).await).await;
    let cells: Vec<(String, String, i64)> = grid["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["period"].as_str().unwrap().to_owned(),
                g["client_name"].as_str().unwrap().to_owned(),
                g["responses"].as_i64().unwrap(),
            )
        })
        .collect();
    // Every month for every client with responses, zeros included: complete series to chart.
    let expected = [
        ("2026-01", "Globex", 1),
        ("2026-01", "Initech", 1),
        ("2026-02", "Globex", 0),
        ("2026-02", "Initech", 0),
        ("2026-03", "Globex", 0),
        ("2026-03", "Initech", 1),
    ]
    .map(|(p, c, n)| (p.to_owned(), c.to_owned(), n));
    assert_eq!(cells, expected);
    // Generated clients often repeat a list parameter instead of joining it: the same answer.
    let repeated =
        "/api/v1/scores?group_by=month&group_by=client&since=2026-01-01&until=2026-04-01";
    assert_eq!(json(app.api_get(&token, repeated).await).await, grid);

    let csv = body(app.api_get(&token, &format!("{path}&format=csv")).await).await;
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("period,period_start,period_end,client_id,client_name,responses"),
        "{header}"
    );
    assert_eq!(csv.lines().count(), 7);
}

#[tokio::test]
async fn what_scores_cannot_do_is_a_clear_400() {
    let (app, token) = acme_with_feedback(&[("Globex", 10, at("2026-01-05"))]).await;
    for (query, names) in [
        ("group_by=week", "`group_by`"),
        ("group_by=month,quarter", "`group_by`"),
        ("group_by=client,client", "`group_by`"),
        ("group_by=month&group_by=quarter", "`group_by`"),
        ("tz=UTC&tz=UTC", "`tz` is given more than once"),
        ("group_by=", "`group_by`"),
        ("tz=Mars/Olympus_Mons", "`tz`"),
        ("tz=", "`tz`"),
        ("group_by=month&since=1900-01-01", "narrow `since`"),
    ] {
        let response = app
            .api_get(&token, &format!("/api/v1/scores?{query}"))
            .await;
        let problem = assert_problem(response, 400).await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(names), "{query}: {detail}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_new_parameters() {
    let (app, _) = acme_with_feedback(&[]).await;
    let doc = json(reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap()).await;
    let parameters = doc["paths"]["/api/v1/scores"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let named = |name: &str| parameters.iter().find(|p| p["name"] == name).unwrap();
    let group_by = named("group_by");
    assert_eq!(group_by["style"], "form");
    assert_eq!(group_by["explode"], false);
    assert_eq!(
        group_by["schema"]["items"]["$ref"],
        "#/components/schemas/ScoreDimension"
    );
    assert_eq!(
        doc["components"]["schemas"]["ScoreDimension"]["enum"],
        json!(["month", "quarter", "client", "survey"])
    );
    assert_eq!(named("tz")["example"], "Europe/Paris");
    assert_eq!(named("client")["schema"]["minimum"], 1);
}
