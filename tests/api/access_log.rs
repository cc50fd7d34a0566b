//! The access log and the client address in log lines: one INFO line per request with status
//! and duration when `PULSE_ACCESS_LOG` is on; refusals (4xx, the redirect to the sign-in page)
//! never at WARN or ERROR; and the client address in every line follows `PULSE_TRUST_PROXY`, as
//! the audit trail does: forwarded headers are ignored unless the proxy is trusted.
use std::process::Stdio;

use crate::databases::TestDatabase;
use crate::server_process::ServerProcess;

/// The JSON log lines of a server run with `env`, after `requests` were made.
async fn log_of(env: &[(&str, &str)]) -> Vec<serde_json::Value> {
    let database = TestDatabase::fresh();
    let log_file = tempfile::NamedTempFile::new().unwrap();
    let mut all = vec![("RUST_LOG", "info"), ("PULSE_LOG_FORMAT", "json")];
    all.extend_from_slice(env);
    let log = Stdio::from(log_file.reopen().unwrap());
    let mut server = ServerProcess::start(database.url(), &all, log).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (path, header, value) in [
        ("/login", "x-forwarded-for", "8.8.8.8"),
        ("/account", "forwarded", "for=9.9.9.9"),
        ("/no-such-page", "x-forwarded-for", "8.8.8.8"),
        ("/api/v1/whoami", "x-real-ip", "7.7.7.7"),
    ] {
        client
            .get(server.app.url(path))
            .header(header, value)
            .send()
            .await
            .unwrap();
    }
    server.kill().await;
    std::fs::read_to_string(log_file.path())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect()
}

fn access_lines(log: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    log.iter()
        .filter(|l| l["target"] == "pulse::access")
        .collect()
}

#[tokio::test]
async fn one_line_per_request_with_the_real_client_address() {
    let log = log_of(&[("PULSE_ACCESS_LOG", "on")]).await;
    let access = access_lines(&log);
    assert_eq!(access.len(), 4, "{log:#?}");
    let statuses: Vec<i64> = access
        .iter()
        .map(|l| l["fields"]["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 303, 404, 401]);
    for line in &access {
        assert_eq!(line["level"], "INFO");
        assert!(
            line["fields"]["duration_ms"].as_f64().unwrap() >= 0.0,
            "{line}"
        );
        assert_eq!(line["span"]["http.client_ip"], "127.0.0.1", "{line}");
    }
    let text = serde_json::to_string(&log).unwrap();
    for forged in ["8.8.8.8", "9.9.9.9", "7.7.7.7"] {
        let as_client = format!("\"http.client_ip\":\"{forged}\"");
        assert!(!text.contains(&as_client), "{forged} logged as the client");
    }
    for line in log.iter().filter(|l| l.get("span").is_some()) {
        assert!(
            !["WARN", "ERROR"].contains(&line["level"].as_str().unwrap()),
            "refusals are no warnings: {line}"
        );
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let log = log_of(&[("PULSE_ACCESS_LOG", "on"), ("PULSE_TRUST_PROXY", "true")]).await;
    let access = access_lines(&log);
    assert_eq!(access[0]["span"]["http.client_ip"], "8.8.8.8");
}

#[tokio::test]
async fn the_access_log_is_off_by_default() {
    let log = log_of(&[]).await;
    assert!(access_lines(&log).is_empty(), "{log:#?}");
}
