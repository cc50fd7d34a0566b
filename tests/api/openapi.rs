//! The OpenAPI document is what generators and linters read: unique operation ids, enums,
//! formats, bounds, this server as `servers`, and a schema for every answer. (contract/run feeds
//! it to openapi-spec-validator, Redocly, Spectral, schemathesis and openapi-python-client.)
use std::collections::HashSet;

use crate::helpers::{json, spawn_app, spawn_app_with};

async fn document(app: &crate::helpers::TestApp) -> serde_json::Value {
    json(reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap()).await
}

fn parameter<'a>(doc: &'a serde_json::Value, path: &str, name: &str) -> &'a serde_json::Value {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{path} has no parameter {name}"))
}

#[tokio::test]
async fn operation_ids_are_unique_and_every_answer_has_a_schema() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let mut ids = HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            assert!(ids.insert(id.clone()), "operationId {id} twice");
            let ok = &operation["responses"]["200"]["content"]["application/json"]["schema"];
            assert!(ok.is_object(), "{path} 200 has no JSON schema");
        }
    }
    assert_eq!(ids.len(), 6);
    let whoami = &doc["paths"]["/api/v1/whoami"]["get"]["responses"]["200"];
    assert_eq!(
        whoami["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/WhoAmI"
    );
}

#[tokio::test]
async fn parameters_have_enums_formats_and_bounds() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let enum_of = |path, name| parameter(&doc, path, name)["schema"]["enum"].clone();
    assert_eq!(
        enum_of("/api/v1/feedback", "format"),
        serde_json::json!(["json", "csv"])
    );
    assert_eq!(
        enum_of("/api/v1/feedback", "sort"),
        serde_json::json!(["submitted_at", "updated_at"])
    );
    let limit = &parameter(&doc, "/api/v1/feedback", "limit")["schema"];
    assert_eq!(
        (limit["minimum"].as_i64(), limit["maximum"].as_i64()),
        (Some(1), Some(1000))
    );
    let score = &parameter(&doc, "/api/v1/feedback", "min_score")["schema"];
    assert_eq!(
        (score["minimum"].as_i64(), score["maximum"].as_i64()),
        (Some(0), Some(10))
    );
    let since = &parameter(&doc, "/api/v1/feedback", "updated_since")["schema"]["anyOf"][0];
    assert_eq!(since["format"], "date-time");
    let item = &doc["components"]["schemas"]["FeedbackItem"]["properties"];
    assert_eq!(item["updated_at"]["format"], "date-time");
    assert_eq!(item["score"]["maximum"], 10);
}

#[tokio::test]
async fn servers_name_this_servers_public_address() {
    let app = spawn_app().await;
    assert_eq!(
        document(&app).await["servers"][0]["url"],
        app.address.as_str()
    );
    let public = spawn_app_with(|c| c.public_url = Some("https://pulse.example.com".into())).await;
    assert_eq!(
        document(&public).await["servers"][0]["url"],
        "https://pulse.example.com"
    );
}
