//! Mail without an SMTP server: as `.eml` files in a folder beside the SQLite database (or in
//! `PULSE_MAIL_DIR`), with a log line naming recipient and subject but never a link's secret;
//! on PostgreSQL without either, held in the outbox, and staff are told.
use std::process::Stdio;
use std::time::Duration;

use crate::databases::{TestDatabase, postgres_required};
use crate::helpers::{TestApp, browser, spawn_app, spawn_app_with};
use crate::server_process::ServerProcess;
use crate::smtp_sink::Arrived;

/// The `.eml` files in `dir`, oldest first.
fn eml_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

async fn ask_for_a_reset(app: &TestApp, email: &str) {
    let asked = app
        .post_form(
            &browser(),
            "/forgot-password",
            "/forgot-password",
            &[("email", email)],
        )
        .await;
    assert_eq!(asked.status(), 200);
}

#[tokio::test]
async fn without_smtp_mail_lands_as_eml_files_beside_the_sqlite_database() {
    let database = TestDatabase::sqlite();
    let folder = format!("{}.mail", database.url());
    let log_path = tempfile::NamedTempFile::new().unwrap();
    let log = Stdio::from(log_path.reopen().unwrap());
    let env = [("RUST_LOG", "info"), ("PULSE_SMTP_URL", "")];
    let mut server = ServerProcess::start(database.url(), &env, log).await;
    assert!(
        server.printed.iter().any(|line| line
            == &format!(
                "Mail is written as .eml files to {folder}/ (set PULSE_SMTP_URL to send it)."
            )),
        "serve says where mail goes: {:?}",
        server.printed
    );
    let app = &server.app;
    app.create_user("ann@example.com", false);
    ask_for_a_reset(app, "ann@example.com").await;
    let dir = std::path::Path::new(&folder);
    for _ in 0..300 {
        if !eml_files(dir).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let files = eml_files(dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let mail = Arrived::parse(Vec::new(), &std::fs::read(&files[0]).unwrap());
    assert_eq!(mail.to, ["ann@example.com"]);
    assert_eq!(mail.subject, "Reset your Pulse password");
    assert!(!mail.html.is_empty());
    let link = mail.link_after("Choose a new password");
    assert_eq!(
        browser().get(&link).send().await.unwrap().status(),
        200,
        "the link works"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(dir),
            0o700,
            "a reset link is a secret: the folder is the owner's"
        );
        assert_eq!(mode(&files[0]), 0o600);
    }
    server.kill().await;
    let logged = std::fs::read_to_string(log_path.path()).unwrap();
    let line = logged
        .lines()
        .find(|l| l.contains("mail written to the mail folder"))
        .unwrap_or_else(|| panic!("no log line for the message:\n{logged}"));
    assert!(
        line.contains("ann@example.com") && line.contains("Reset your Pulse password"),
        "{line}"
    );
    let secret = link.rsplit('=').next().unwrap();
    assert!(
        !logged.contains(secret),
        "the link's secret in the log:\n{logged}"
    );
}

#[tokio::test]
async fn pulse_mail_dir_chooses_the_folder_on_either_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outgoing").display().to_string();
    let app = spawn_app_with(|config| config.mail_dir = Some(path.clone())).await;
    app.create_user("ann@example.com", false);
    ask_for_a_reset(&app, "ann@example.com").await;
    assert_eq!(app.deliver_mail().await.sent, 1);
    assert_eq!(eml_files(&dir.path().join("outgoing")).len(), 1);
}

#[tokio::test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn on_postgresql_without_smtp_mail_waits_and_staff_are_told() {
    postgres_required();
    let app = spawn_app().await;
    app.create_user("staff@pulse.example", true);
    let staff = app.signed_in("staff@pulse.example").await;
    let (_, page) = app.get_html(&staff, "/staff/mail").await;
    assert!(
        page.contains("Mail is not delivered: set PULSE_SMTP_URL"),
        "{page}"
    );
    assert!(
        page.contains("Two-factor sign-in turned on"),
        "the message waits: {page}"
    );
    assert_eq!(app.outbox_of("two_factor_changed")[0].1, "queued");
}
