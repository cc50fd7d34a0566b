//! GET /api/v1/feedback: pagination, filters, isolation, bad parameters.
use std::collections::HashSet;

use chrono::Duration;

use crate::data_fixtures::{acme_with_feedback, add_feedback, at};
use crate::helpers::{body, json, spawn_app};

async fn assert_problem_400(response: reqwest::Response, mentions: &str) {
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], 400);
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(mentions),
        "{detail:?} should mention {mentions}"
    );
}

#[tokio::test]
async fn pagination_walks_every_row_once_while_rows_are_inserted() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    // Three responses share each timestamp, so page boundaries fall inside ties.
    let base = at("2026-01-01");
    let rows: Vec<(&str, i32, _)> = (0..100)
        .map(|i| ("Globex", i % 11, base + Duration::minutes(i64::from(i / 3))))
        .collect();
    add_feedback(&app, "acme", &rows);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut previous: Option<(String, i64)> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/feedback?limit=7&cursor={c}"),
            None => "/api/v1/feedback?limit=7".to_owned(),
        };
        let page = json(app.api_get(&token, &path).await).await;
        for item in page["data"].as_array().unwrap() {
            let key = (
                item["submitted_at"].as_str().unwrap().to_owned(),
                item["id"].as_i64().unwrap(),
            );
            if let Some(prev) = &previous {
                assert!(
                    key < *prev,
                    "not strictly newest first: {key:?} after {prev:?}"
                );
            }
            previous = Some(key.clone());
            seen.push(key.1);
        }
        // Someone adds responses between our page requests.
        add_feedback(&app, "acme", &[("Initech", 10, app.now())]);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(seen.len(), 100, "duplicates or gaps");
    assert_eq!(unique.len(), 100);
}

#[tokio::test]
async fn filters_narrow_the_list_and_combine() {
    let (app, token) = acme_with_feedback(&[
        ("Globex", 10, at("2026-01-10")),
        ("Globex", 3, at("2026-02-10")),
        ("Initech", 8, at("2026-02-11")),
        ("Initech", 9, at("2026-03-01")),
    ])
    .await;
    let scores = |v: serde_json::Value| -> Vec<i64> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["score"].as_i64().unwrap())
            .collect()
    };
    let all = json(app.api_get(&token, "/api/v1/feedback").await).await;
    assert_eq!(scores(all.clone()), [9, 8, 3, 10]);
    assert!(all["next_cursor"].is_null());
    let initech = all["data"][0]["client_id"].as_i64().unwrap();

    let cases = [
        ("since=2026-02-01&until=2026-03-01", vec![8, 3]),
        ("since=2026-02-10T12:00:00Z", vec![9, 8, 3]),
        ("since=2026-02-10T13:00:00%2B01:00", vec![9, 8, 3]),
        ("min_score=8&max_score=9", vec![9, 8]),
        (&*format!("client={initech}"), vec![9, 8]),
        (&*format!("client={initech}&max_score=8"), vec![8]),
    ];
    for (query, expected) in cases {
        let page = json(
            app.api_get(&token, &format!("/api/v1/feedback?{query}"))
                .await,
        )
        .await;
        assert_eq!(scores(page), expected, "{query}");
    }
}

#[tokio::test]
async fn a_token_sees_only_its_own_organisation() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    app.create_org("rival", true);
    let token = app.issue_token("acme");
    add_feedback(&app, "acme", &[("Globex", 10, at("2026-01-10"))]);
    add_feedback(&app, "rival", &[("Secret Client", 0, at("2026-01-11"))]);
    let rival_client = app.with_conn(|conn| {
        let org = app.org_id("rival");
        pulse::repo::clients::find_by_name(conn, org, "Secret Client")
            .unwrap()
            .unwrap()
            .id
    });

    for path in [
        "/api/v1/feedback".to_owned(),
        "/api/v1/feedback?format=csv".to_owned(),
        format!("/api/v1/feedback?client={rival_client}"),
        format!("/api/v1/scores?client={rival_client}"),
        "/api/v1/scores?group_by=client".to_owned(),
        "/api/v1/clients".to_owned(),
        "/api/v1/clients?format=csv".to_owned(),
    ] {
        let response = app.api_get(&token, &path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body = body(response).await;
        assert!(!body.contains("Secret Client"), "{path} leaked: {body}");
        assert!(!body.contains("\"score\":0"), "{path} leaked: {body}");
    }
    let filtered = json(
        app.api_get(&token, &format!("/api/v1/feedback?client={rival_client}"))
            .await,
    )
    .await;
    assert_eq!(filtered["data"].as_array().unwrap().len(), 0);
    let scores = json(
        app.api_get(&token, &format!("/api/v1/scores?client={rival_client}"))
            .await,
    )
    .await;
    assert_eq!(scores["overall"]["responses"], 0);
    assert!(scores["overall"]["nps"].is_null());
}

#[tokio::test]
async fn bad_parameters_get_400_problem_json_naming_the_parameter() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    let cases = [
        ("/api/v1/feedback?since=yesterday", "since"),
        ("/api/v1/feedback?until=2026-13-01", "until"),
        (
            "/api/v1/feedback?since=2026-02-01&until=2026-01-01",
            "until",
        ),
        ("/api/v1/feedback?limit=0", "limit"),
        ("/api/v1/feedback?limit=1001", "limit"),
        ("/api/v1/feedback?limit=ten", "limit"),
        ("/api/v1/feedback?min_score=11", "min_score"),
        ("/api/v1/feedback?min_score=9&max_score=2", "min_score"),
        ("/api/v1/feedback?client=abc", "client"),
        ("/api/v1/feedback?cursor=not-a-cursor", "cursor"),
        ("/api/v1/feedback?format=xml", "format"),
        ("/api/v1/feedback?colour=blue", "colour"),
        ("/api/v1/feedback?limit=5&limit=6", "limit"),
        ("/api/v1/scores?group_by=week", "group_by"),
        ("/api/v1/scores?min_score=3", "min_score"),
        ("/api/v1/clients?since=2026-01-01", "since"),
    ];
    for (path, mentions) in cases {
        assert_problem_400(app.api_get(&token, path).await, mentions).await;
    }
}
