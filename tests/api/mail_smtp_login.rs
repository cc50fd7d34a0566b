//! SMTP with STARTTLS and a login, from a real `pulse serve` process to a real server that
//! offers AUTH only after STARTTLS (the process trusts the test's self-signed certificate
//! through OpenSSL's `SSL_CERT_FILE`), and the SMTP password as a secret: never in the log, on
//! a page or in an error.
use std::process::{Command, Stdio};
use std::time::Duration;

use pulse::db::DatabaseUrl;

use crate::databases::TestDatabase;
use crate::helpers::TestApp;
use crate::server_process::ServerProcess;
use crate::smtp_sink::{SmtpSink, self_signed_certificate};

const SMTP_PASSWORD: &str = "smtp-Pa55word-never-shown";

/// Waits (for a real process, whose clock the test cannot move) until `done` holds.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 30 s");
}

fn statuses(app: &TestApp, kind: &str) -> Vec<String> {
    app.outbox_of(kind)
        .into_iter()
        .map(|(_, status)| status)
        .collect()
}

async fn serve(
    database: &TestDatabase,
    smtp_url: &str,
    cert: &str,
    log: &std::fs::File,
) -> ServerProcess {
    let env = [
        ("RUST_LOG", "debug"),
        ("PULSE_SMTP_URL", smtp_url),
        ("SSL_CERT_FILE", cert),
    ];
    ServerProcess::start(database.url(), &env, Stdio::from(log.try_clone().unwrap())).await
}

#[tokio::test]
async fn mail_goes_through_starttls_with_a_login_and_the_password_appears_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::with_tls_and_login(dir.path(), "pulse", SMTP_PASSWORD);
    let (cert, _) = self_signed_certificate(dir.path());
    let cert = cert.display().to_string();
    let database = TestDatabase::fresh();
    let log_path = tempfile::NamedTempFile::new().unwrap();
    let log = log_path.reopen().unwrap();
    let url = |password: &str| {
        format!(
            "smtp://pulse:{password}@127.0.0.1:{}?tls=starttls",
            sink.port
        )
    };

    // A wrong password: the server refuses the login (535), the message fails at once, and
    // staff see why without the password.
    let wrong_password = format!("{SMTP_PASSWORD}-but-wrong");
    let mut first = serve(&database, &url(&wrong_password), &cert, &log).await;
    let app = &first.app;
    app.create_org("acme", true);
    app.member(
        "owner@acme.example",
        "acme",
        pulse::domain::role::Role::Owner,
    );
    let staff = app.create_user("staff@pulse.example", true);
    app.set_api_access("acme", false, staff.id);
    eventually("the refused message failing", || {
        statuses(app, "api_access_changed") == ["failed"]
    })
    .await;
    let browser = app.signed_in("staff@pulse.example").await;
    let (status, page) = app.get_html(&browser, "/staff/mail?state=failed").await;
    assert_eq!(status, 200);
    assert!(page.contains("535"), "{page}");
    assert!(
        page.contains("SMTP at 127.0.0.1"),
        "where mail goes: {page}"
    );
    assert!(!page.contains(SMTP_PASSWORD), "{page}");
    first.kill().await;
    assert!(sink.arrived().is_empty());

    // The right one: in through STARTTLS and AUTH.
    let mut second = serve(&database, &url(SMTP_PASSWORD), &cert, &log).await;
    let app = &second.app;
    app.set_api_access("acme", true, staff.id);
    eventually("the message arriving", || {
        sink.to("owner@acme.example").len() == 1
    })
    .await;
    let arrived = sink.one_to("owner@acme.example", "API access switched on for Org acme");
    assert!(
        arrived.text.contains("switched API access on"),
        "{}",
        arrived.text
    );
    assert_eq!(statuses(app, "api_access_changed"), ["failed", "sent"]);
    second.kill().await;

    let logged = std::fs::read_to_string(log_path.path()).unwrap();
    assert!(logged.contains("mail sent"), "{logged}");
    assert!(logged.contains("535"), "the failure is logged: {logged}");
    assert!(
        !logged.contains(SMTP_PASSWORD),
        "the password in the log:\n{logged}"
    );
}

#[test]
fn a_mistaken_smtp_url_stops_start_up_without_showing_the_password() {
    let database = TestDatabase::fresh();
    for (url, why) in [
        (
            format!("smtp://pulse:{SMTP_PASSWORD}@smtp.example.com"),
            "unencrypted",
        ),
        (
            format!("smtp://pulse:{SMTP_PASSWORD}@smtp.example.com?tls=sometimes"),
            "tls=",
        ),
        (
            format!("smpt://pulse:{SMTP_PASSWORD}@smtp.example.com"),
            "smtp://",
        ),
    ] {
        let key = crate::second_factor::reveal_key_for(database.url());
        let output = Command::new(env!("CARGO_BIN_EXE_pulse"))
            .args(["serve", "--create"])
            .envs(key.map(|key| ("PULSE_REVEAL_KEY", key.0)))
            .env("DATABASE_URL", database.url())
            .env("PULSE_BIND", "127.0.0.1:0")
            .env("PULSE_SMTP_URL", &url)
            .output()
            .expect("run pulse");
        assert!(!output.status.success(), "{url} was accepted");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            said.contains("PULSE_SMTP_URL") && said.contains(why),
            "{said}"
        );
        assert!(!said.contains(SMTP_PASSWORD), "{said}");
    }
    // Checked before anything was created or migrated.
    if let DatabaseUrl::Sqlite(path) = DatabaseUrl::parse(database.url()) {
        assert!(!std::path::Path::new(&path).exists(), "{path} was created");
    }
}
