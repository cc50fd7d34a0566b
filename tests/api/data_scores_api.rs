//! GET /api/v1/scores and /clients, and the OpenAPI document.
use crate::data_fixtures::{acme_with_feedback, add_feedback, at};
use crate::helpers::{json, spawn_app};

#[tokio::test]
async fn scores_overall_and_grouped_with_hand_computed_nps() {
    let (app, token) = acme_with_feedback(&[
        ("Globex", 10, at("2026-01-05")),
        ("Globex", 9, at("2026-01-06")),
        ("Globex", 2, at("2026-01-07")),
        ("Initech", 8, at("2026-04-01")),
        ("Initech", 7, at("2026-05-01")),
        ("Initech", 6, at("2026-05-02")),
    ])
    .await;
    let overall = json(app.api_get(&token, "/api/v1/scores").await).await;
    // 2 promoters, 2 passives, 2 detractors of 6 → 33.3 − 33.3 = 0.
    assert_eq!(
        overall,
        serde_json::json!({"tz": "UTC",
                           "overall": {"responses": 6, "promoters": 2, "passives": 2,
                                       "detractors": 2, "nps": 0.0, "promoter_percent": 33.3,
                                       "passive_percent": 33.3, "detractor_percent": 33.3}})
    );

    let quarters = json(app.api_get(&token, "/api/v1/scores?group_by=quarter").await).await;
    let groups = quarters["groups"].as_array().unwrap();
    assert_eq!(groups[0]["period"], "2026-Q1");
    // 2 promoters, 1 detractor of 3: 66.7 − 33.3 = 33.3 (1/3 = 33.33…).
    assert_eq!(groups[0]["nps"], 33.3);
    assert_eq!(groups[1]["period"], "2026-Q2");
    assert_eq!(groups[1]["nps"], -33.3);

    let months = json(
        app.api_get(&token, "/api/v1/scores?group_by=month&since=2026-04-15")
            .await,
    )
    .await;
    assert_eq!(months["overall"]["responses"], 2);
    // April's responses came before the 15th: the month is there, empty.
    assert_eq!(months["groups"][0]["period"], "2026-04");
    assert_eq!(months["groups"][0]["responses"], 0);
    assert_eq!(months["groups"][0]["nps"], serde_json::Value::Null);
    assert_eq!(months["groups"][1]["period"], "2026-05");
    assert_eq!(months["groups"][1]["nps"], -50.0);

    let by_client = json(app.api_get(&token, "/api/v1/scores?group_by=client").await).await;
    assert_eq!(by_client["groups"][0]["client_name"], "Globex");
    assert_eq!(by_client["groups"][0]["nps"], 33.3);
    assert_eq!(by_client["groups"][1]["client_name"], "Initech");
    assert_eq!(by_client["groups"][1]["nps"], -33.3);

    let clients = json(app.api_get(&token, "/api/v1/clients").await).await;
    let data = clients["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["name"], "Globex");
    assert_eq!(data[0]["responses"], 3);
    assert_eq!(data[1]["passives"], 2);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_each_answers() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    add_feedback(&app, "acme", &[("Globex", 10, at("2026-01-05"))]);
    // Public, like any API description.
    let doc = json(reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap()).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for expected in [
        "/api/v1/feedback",
        "/api/v1/scores",
        "/api/v1/clients",
        "/api/v1/whoami",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.iter().any(|p| *p == expected), "{expected} missing");
    }
    for path in paths
        .into_iter()
        .filter(|p| doc["paths"][*p]["get"].is_object())
    {
        let operation = &doc["paths"][path]["get"];
        assert!(operation["responses"]["200"].is_object(), "{path}");
        let response = app.api_get(&token, path).await;
        assert_eq!(response.status(), 200, "{path}");
        // Without a token: the documented 401, unless the route is documented as public.
        let anonymous = reqwest::get(app.url(path)).await.unwrap();
        if operation["responses"]["401"].is_object() {
            assert_eq!(anonymous.status(), 401, "{path}");
        } else {
            assert_eq!(path, "/api/v1/openapi.json");
            assert_eq!(anonymous.status(), 200);
        }
    }
}
