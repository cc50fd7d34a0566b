//! What a real `pulse serve` writes to its log: never a token or a password, wherever the
//! request put it, percent-encoded or not.
use std::process::Stdio;

use crate::databases::TestDatabase;
use crate::server_process::ServerProcess;

#[tokio::test]
async fn tokens_and_passwords_in_query_strings_never_reach_the_log() {
    let database = TestDatabase::fresh();
    let log_path = tempfile::NamedTempFile::new().unwrap();
    let log = Stdio::from(log_path.reopen().unwrap());
    let mut server = ServerProcess::start(
        database.url(),
        &[("RUST_LOG", "info"), ("PULSE_ACCESS_LOG", "on")],
        log,
    )
    .await;
    let app = &server.app;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    let with_query = reqwest::get(app.url(&format!("/api/v1/whoami?access_token={token}")))
        .await
        .unwrap();
    assert_eq!(
        with_query.status().as_u16(),
        401,
        "a query token is not accepted either"
    );
    let bearer = reqwest::Client::new()
        .get(app.url("/api/v1/nothing-here"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status().as_u16(), 404);
    let basic = reqwest::Client::new()
        .get(app.url("/api/v1/whoami"))
        .basic_auth("report", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 200);
    let page = reqwest::get(app.url("/no-such-page?password=hunter2hunter2&code=123456"))
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 404);
    // Percent-encoded, in a query string or a User-Agent, whichever character is encoded.
    let underscore = token.replacen('_', "%5F", 1);
    let first = token.replacen('p', "%70", 1);
    for (query, agent) in [
        (&underscore, &first),
        (&first, &token),
        (&token, &underscore),
    ] {
        let encoded = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/whoami?key={query}")))
            .header("User-Agent", format!("report-tool/1.0 ({agent})"))
            .send()
            .await
            .unwrap();
        assert_eq!(encoded.status().as_u16(), 401);
    }
    server.kill().await;

    let log = std::fs::read_to_string(log_path.path()).unwrap();
    assert!(
        log.contains("/api/v1/whoami?access_token="),
        "the request is logged: {log}"
    );
    assert!(log.contains("[redacted]"), "{log}");
    assert!(
        log.contains("report-tool/1.0"),
        "the User-Agent is logged: {log}"
    );
    let encoded = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("report:{token}"))
    };
    for secret in [&token[10..], &encoded[12..], "hunter2hunter2", "123456"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}
