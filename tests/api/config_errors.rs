//! Configuration mistakes stop `pulse` at once with one clear error naming the variable or the
//! path (as a JSON log line in JSON mode), before anything is created or migrated.
use std::process::{Output, Stdio};

use crate::commands::{pulse, refused, run, succeeded};
use crate::databases::TestDatabase;
use crate::server_process::ServerProcess;

/// `pulse ARGS` on the database `database_url`, with `env` besides.
fn pulse_with(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    run(pulse(database_url, args).envs(env.iter().copied()))
}

#[test]
fn pulse_version_prints_the_version() {
    let stdout = succeeded(&pulse_with("unused.db", &["--version"], &[]));
    assert_eq!(
        stdout.trim(),
        format!("pulse {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unknown_yes_no_and_format_values_are_errors_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pulse.db").display().to_string();
    for (name, value) in [
        ("PULSE_COOKIE_SECURE", "ture"),
        ("PULSE_TRUST_PROXY", "maybe"),
        ("PULSE_LOG_FORMAT", "xml"),
        ("PULSE_ACCESS_LOG", "sometimes"),
        ("PULSE_DB_POOL_SIZE", "0"),
        ("PULSE_METRICS_BIND", "9464"),
    ] {
        let output = pulse_with(&db, &["migrate"], &[(name, value)]);
        refused(&output, &[name, value]);
    }
    assert!(!std::path::Path::new(&db).exists(), "nothing was created");
    // Case does not matter for a known value.
    succeeded(&pulse_with(
        &db,
        &["migrate"],
        &[("PULSE_COOKIE_SECURE", "TRUE")],
    ));
}

#[test]
fn a_fatal_error_is_a_json_line_in_json_mode() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.db").display().to_string();
    let output = pulse_with(&missing, &["serve"], &[("PULSE_LOG_FORMAT", "JSON")]);
    let stderr = refused(&output, &[&missing]);
    let last = stderr.lines().last().unwrap();
    let line: serde_json::Value = serde_json::from_str(last).expect("a JSON line");
    assert_eq!(line["level"], "ERROR");
    assert!(
        line["fields"]["error"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{line}"
    );
}

#[test]
fn sqlite_paths_are_checked_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing_file = dir.path().join("typo.db").display().to_string();
    refused(
        &pulse_with(&missing_file, &["serve"], &[]),
        &[&missing_file, "does not exist", "pulse migrate"],
    );
    for command in [
        &["user", "unlock", "--email", "a@b.example"][..],
        &["rebuild-rollups"],
    ] {
        refused(&pulse_with(&missing_file, command, &[]), &[&missing_file]);
    }
    assert!(!std::path::Path::new(&missing_file).exists());
    let nested = dir
        .path()
        .join("no/such/dir/pulse.db")
        .display()
        .to_string();
    refused(
        &pulse_with(&nested, &["create-org", "--name", "A", "--slug", "a"], &[]),
        &[&nested, "directory"],
    );
    succeeded(&pulse_with(&nested, &["migrate"], &[]));
    assert!(std::path::Path::new(&nested).exists());
    // A directory where the file should be cannot be written.
    let directory = dir.path().display().to_string();
    refused(&pulse_with(&directory, &["migrate"], &[]), &[&directory]);
}

#[test]
fn mail_and_request_settings_are_checked_before_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pulse.db").display().to_string();
    let a_file = dir.path().join("a-file").display().to_string();
    std::fs::write(&a_file, "").unwrap();
    let nowhere = dir.path().join("no/such/mail").display().to_string();
    let missing_pem = dir.path().join("partners.pem").display().to_string();
    for (name, value, says) in [
        ("PULSE_MAIL_DIR", a_file.as_str(), "is not a folder"),
        ("PULSE_MAIL_DIR", nowhere.as_str(), "does not exist"),
        ("PULSE_MAIL_FROM", "Pulse at example.com", "an address"),
        (
            "PULSE_LEAK_REPORT_KEYS",
            missing_pem.as_str(),
            "partners.pem",
        ),
        (
            "PULSE_LEAK_REPORT_KEYS",
            "-----BEGIN PUBLIC KEY-----\nnot one",
            "END PUBLIC KEY",
        ),
        ("PULSE_BODY_TIMEOUT_SECONDS", "ten", "ten"),
        (
            "PULSE_SMTP_URL",
            "smtp://mail.example.com?tls=sometimes",
            "tls=",
        ),
    ] {
        let output = pulse_with(&db, &["serve", "--create"], &[(name, value)]);
        refused(&output, &[name, says]);
    }
    assert!(!std::path::Path::new(&db).exists(), "nothing was migrated");
    // The default folder beside the database must be a folder too.
    std::fs::write(format!("{db}.mail"), "").unwrap();
    refused(
        &pulse_with(&db, &["serve", "--create"], &[]),
        &[".mail is not a folder", "PULSE_MAIL_DIR"],
    );
    assert!(!std::path::Path::new(&db).exists(), "nothing was migrated");
}

#[test]
fn a_bad_reveal_key_stops_the_start_before_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pulse.db").display().to_string();
    refused(
        &pulse_with(
            &db,
            &["serve", "--create"],
            &[("PULSE_REVEAL_KEY", "short")],
        ),
        &["PULSE_REVEAL_KEY"],
    );
    assert!(
        !std::path::Path::new(&db).exists(),
        "not created, not migrated"
    );
    std::fs::write(format!("{db}.reveal-key"), "not a key").unwrap();
    refused(
        &pulse_with(&db, &["serve", "--create"], &[]),
        &[".reveal-key"],
    );
    assert!(!std::path::Path::new(&db).exists());
}

#[test]
fn a_wrong_database_url_is_one_clear_line_without_the_password() {
    // PostgreSQL needs the key, which is checked first.
    let reveal_key = pulse::domain::reveal::RevealKey::generate().to_base64();
    let started = std::time::Instant::now();
    let output = pulse_with(
        "postgres://pulse:s3cret-pw@127.0.0.1:1/pulse",
        &["serve"],
        &[("RUST_LOG", "info"), ("PULSE_REVEAL_KEY", &reveal_key)],
    );
    let stderr = refused(&output, &["cannot connect to PostgreSQL", "127.0.0.1:1"]);
    assert!(!stderr.contains("s3cret-pw"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(started.elapsed().as_secs() < 5, "no retries");
}

#[tokio::test]
async fn a_second_server_on_one_sqlite_file_refuses_to_start() {
    let database = TestDatabase::sqlite();
    let mut first = ServerProcess::start(database.url(), &[], Stdio::null()).await;
    let second = pulse_with(database.url(), &["serve"], &[]);
    refused(&second, &["already serving", database.url()]);
    // A lock left by a crash is taken over.
    first.kill().await;
    let _ = first.exited(std::time::Duration::from_secs(10)).await;
    let third = ServerProcess::start(database.url(), &[], Stdio::null()).await;
    assert_eq!(
        third.app.status_of(&reqwest::Client::new(), "/livez").await,
        200
    );
}
