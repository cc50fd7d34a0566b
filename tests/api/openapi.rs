//! The OpenAPI document is what generators and linters read: unique operation ids, one media type
//! per answer (JSON and CSV operations apart), time parameters as one string schema, enums,
//! formats, bounds, `required` where always present, every status and header the server sends,
//! links, both ways to send the token, and this server as `servers`. (contract/run feeds it to
//! openapi-spec-validator, Redocly, Spectral, schemathesis and to Python, Go and Java client
//! generators.)
use std::collections::HashSet;

use serde_json::{Value, json};

use crate::data_fixtures::{acme_with_feedback, at};
use crate::helpers::{json, spawn_app, spawn_app_with};

async fn document(app: &crate::helpers::TestApp) -> Value {
    json(reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap()).await
}

fn parameter<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{path} has no parameter {name}"))
}

fn names(doc: &Value, path: &str) -> Vec<String> {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn json_and_csv_are_separate_operations_with_one_media_type_each() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let mut ids = HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            assert!(ids.insert(id.clone()), "operationId {id} twice");
            let ok = operation["responses"]["200"]["content"]
                .as_object()
                .unwrap();
            assert_eq!(ok.len(), 1, "{path}: one media type, not {ok:?}");
            if path.ends_with(".csv") {
                assert_eq!(
                    ok["text/csv"]["schema"],
                    json!({"type": "string", "format": "binary",
                           "description": ok["text/csv"]["schema"]["description"]}),
                    "{path}"
                );
            } else {
                assert!(ok["application/json"]["schema"].is_object(), "{path}");
            }
        }
    }
    assert_eq!(ids.len(), 9);
    for (json_path, csv_path) in [
        ("/api/v1/feedback", "/api/v1/feedback.csv"),
        ("/api/v1/scores", "/api/v1/scores.csv"),
        ("/api/v1/clients", "/api/v1/clients.csv"),
    ] {
        // The old `format`/`bom` parameters are not offered to generators on the JSON URLs.
        let json_names = names(&doc, json_path);
        assert!(
            !json_names.iter().any(|n| n == "format" || n == "bom"),
            "{json_names:?}"
        );
        let csv_names = names(&doc, csv_path);
        assert!(csv_names.ends_with(&["bom".to_owned(), "escape_formulas".to_owned()]));
        let filters: Vec<_> = json_names
            .iter()
            .filter(|n| !["limit", "cursor"].contains(&n.as_str()))
            .collect();
        assert_eq!(
            filters,
            csv_names[..csv_names.len() - 2].iter().collect::<Vec<_>>()
        );
    }
    let whoami = &doc["paths"]["/api/v1/whoami"]["get"]["responses"]["200"];
    assert_eq!(
        whoami["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/WhoAmI"
    );
}

#[tokio::test]
async fn time_parameters_are_one_string_schema_whose_examples_the_server_takes() {
    let (app, token) = acme_with_feedback(&[("Globex", 9, at("2026-01-05"))]).await;
    let doc = document(&app).await;
    for (path, name) in [
        ("/api/v1/feedback", "since"),
        ("/api/v1/feedback", "until"),
        ("/api/v1/feedback", "updated_since"),
        ("/api/v1/feedback", "updated_until"),
        ("/api/v1/feedback.csv", "updated_until"),
        ("/api/v1/scores", "since"),
        ("/api/v1/scores.csv", "until"),
    ] {
        let schema = &parameter(&doc, path, name)["schema"];
        assert_eq!(schema["type"], "string", "{path} {name}");
        assert!(schema.get("anyOf").is_none() && schema.get("format").is_none());
        let pattern = regex::Regex::new(schema["pattern"].as_str().unwrap()).unwrap();
        let examples = schema["examples"].as_array().unwrap().iter();
        let forms = examples.map(|e| e.as_str().unwrap()).chain([
            "2026-03-01T10:00:00.250+01:00",
            "1772355600.5",
            "2026-12-31",
        ]);
        for value in forms {
            assert!(pattern.is_match(value), "{value} fits the pattern");
            let url = format!("{path}?{name}={}", value.replace('+', "%2B"));
            assert_eq!(app.api_get(&token, &url).await.status(), 200, "{url}");
        }
        for wrong in ["2026-13-01", "yesterday", "2026-03-01 09:00:00", "-1"] {
            assert!(!pattern.is_match(wrong), "{wrong} does not fit");
        }
    }
}

#[tokio::test]
async fn parameters_have_enums_formats_and_bounds() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    // Enums are named components, so that generated clients give them types of their own.
    let schemas = &doc["components"]["schemas"];
    let named_enum = |schema: &Value| {
        let name = schema["$ref"].as_str().unwrap();
        schemas[name.trim_start_matches("#/components/schemas/")]["enum"].clone()
    };
    assert_eq!(
        named_enum(&parameter(&doc, "/api/v1/feedback", "sort")["schema"]),
        json!(["submitted_at", "updated_at"])
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
    let group_by = &parameter(&doc, "/api/v1/scores", "group_by");
    assert_eq!(
        (&group_by["style"], &group_by["explode"]),
        (&json!("form"), &json!(false))
    );
    let schema = &group_by["schema"];
    assert_eq!(
        (
            &schema["minItems"],
            &schema["maxItems"],
            &schema["uniqueItems"]
        ),
        (&json!(1), &json!(3), &json!(true))
    );
    assert_eq!(
        named_enum(&schema["items"]),
        json!(["month", "quarter", "client", "survey"])
    );
    let fields = &parameter(&doc, "/api/v1/feedback", "fields")["schema"];
    assert_eq!(
        (&fields["maxItems"], &fields["uniqueItems"]),
        (&json!(11), &json!(true))
    );
    assert_eq!(named_enum(&fields["items"]).as_array().unwrap().len(), 11);
    let survey = &parameter(&doc, "/api/v1/scores", "survey")["schema"];
    assert_eq!(survey["minLength"], 1);
    let item = &schemas["FeedbackItem"]["properties"];
    assert_eq!(item["updated_at"]["format"], "date-time");
    assert_eq!(item["score"]["maximum"], 10);
    assert_eq!(
        schemas["LeakLabel"]["enum"],
        json!(["true_positive", "false_positive"])
    );
    assert_eq!(
        schemas["LeakVerdict"]["properties"]["label"]["$ref"],
        "#/components/schemas/LeakLabel"
    );
}

#[tokio::test]
async fn fields_always_sent_are_required_even_when_null() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    let required = |schema: &Value| -> Vec<String> {
        let own = schema["required"].as_array().cloned().unwrap_or_default();
        let inherited = schema["allOf"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|part| part["required"].as_array().cloned().unwrap_or_default());
        own.into_iter()
            .chain(inherited)
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(required(&schemas["FeedbackPage"]), ["data", "next_cursor"]);
    assert_eq!(
        schemas["FeedbackPage"]["properties"]["next_cursor"]["type"],
        json!(["string", "null"])
    );
    let score = required(&schemas["Score"]);
    for name in [
        "nps",
        "promoter_percent",
        "passive_percent",
        "detractor_percent",
    ] {
        assert!(score.contains(&name.to_owned()), "{name} in {score:?}");
    }
    // With `fields`, only `id` is certain.
    assert_eq!(required(&schemas["FeedbackItem"]), ["id"]);
}

#[tokio::test]
async fn every_status_and_header_the_server_sends_is_described() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let operation = |path: &str| doc["paths"][path]["get"].clone();
    for path in ["/api/v1/feedback", "/api/v1/scores.csv", "/api/v1/whoami"] {
        let responses = &operation(path)["responses"];
        for status in ["200", "401", "403", "404", "405", "406", "429", "503"] {
            let response = &responses[status];
            assert!(response.is_object(), "{path} {status}");
            for header in ["RateLimit-Policy", "RateLimit", "Vary"] {
                assert!(
                    response["headers"][header].is_object(),
                    "{path} {status} {header}"
                );
            }
        }
        let headers = |status: &str| responses[status]["headers"].clone();
        assert!(headers("401")["WWW-Authenticate"].is_object());
        assert!(headers("429")["Retry-After"].is_object());
        assert!(headers("503")["Retry-After"].is_object());
        assert!(headers("405")["Allow"].is_object());
        assert!(headers("200")["Pulse-Token-Expires"].is_object());
        assert_eq!(
            responses["404"]["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
    }
    let feedback = operation("/api/v1/feedback")["responses"].clone();
    for header in ["ETag", "Last-Modified", "Link"] {
        assert!(feedback["200"]["headers"][header].is_object(), "{header}");
    }
    assert!(feedback["304"]["headers"]["ETag"].is_object());
    let csv = operation("/api/v1/scores.csv")["responses"].clone();
    assert!(csv["200"]["headers"]["Content-Disposition"].is_object());
    assert!(csv["304"].is_object() && csv["400"].is_object());
    // The streamed export has no digest, hence no 304.
    assert!(operation("/api/v1/feedback.csv")["responses"]["304"].is_null());
    let whoami = operation("/api/v1/whoami")["responses"].clone();
    assert!(whoami["304"].is_null() && whoami["400"].is_null());
}

#[tokio::test]
async fn links_lead_to_the_next_page_and_to_a_clients_data() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let links = |path: &str| doc["paths"][path]["get"]["responses"]["200"]["links"].clone();
    assert_eq!(
        links("/api/v1/feedback")["nextPage"]["operationId"],
        "listFeedback"
    );
    assert_eq!(
        links("/api/v1/feedback")["nextPage"]["parameters"],
        json!({"cursor": "$response.body#/next_cursor"})
    );
    let clients = links("/api/v1/clients");
    for (name, target) in [
        ("clientFeedback", "listFeedback"),
        ("clientFeedbackCsv", "exportFeedbackCsv"),
        ("clientScores", "getScores"),
    ] {
        assert_eq!(clients[name]["operationId"], target);
        assert_eq!(
            clients[name]["parameters"]["client"],
            "$response.body#/data/0/id"
        );
    }
}

#[tokio::test]
async fn the_token_goes_as_bearer_or_basic_credentials() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["basic"]["scheme"], "basic");
    assert_eq!(doc["security"], json!([{"bearer": []}, {"basic": []}]));
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
