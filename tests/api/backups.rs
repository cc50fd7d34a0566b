//! `pulse backup` of a running SQLite server under writes, and `pulse restore`: every row
//! committed before the backup began comes back, with the reveal key file.
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use pulse::db::Database;
use pulse::db::schema::feedback;

use crate::commands::{pulse, refused, run, succeeded};
use crate::databases::TestDatabase;
use crate::server_process::ServerProcess;

const IMPORT: &str = "/orgs/acme/import";

/// Waits (at most a minute) until the writer has had `count` imports acknowledged.
fn mode_of(path: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn until_written(done: &AtomicUsize, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while done.load(Ordering::Relaxed) < count {
        assert!(
            Instant::now() < deadline,
            "fewer than {count} writes in a minute"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_writes_restores_every_committed_row() {
    let database = TestDatabase::sqlite();
    let server = ServerProcess::start(database.url(), &[], Stdio::null()).await;
    let app = &server.app;
    let client = app.owner_of("acme").await;
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (stop, done) = (stop.clone(), done.clone());
        let app = crate::helpers::TestApp::for_running_server(app.address.clone(), app.db.clone());
        async move {
            // Each import is one committed row, acknowledged when its answer arrives.
            let mut acknowledged = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let csv = format!(
                    "client,respondent_name,respondent_email,score,comment,survey,submitted_at\n\
                     Acme,R,r{n}@example.com,9,,Q1,2026-01-01T10:00:00Z\n"
                );
                let response = app
                    .post_form(
                        &client,
                        IMPORT,
                        IMPORT,
                        &[("csv", &csv), ("new_clients", r#"["Acme"]"#)],
                    )
                    .await;
                assert_eq!(response.status(), 200);
                acknowledged.push((format!("r{n}@example.com"), Instant::now()));
                n += 1;
                done.store(n, Ordering::Relaxed);
            }
            acknowledged
        }
    };
    let writing = tokio::spawn(writer);
    // Counted writes, not time: a loaded machine may take a while for each.
    until_written(&done, 3).await;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db").display().to_string();
    let began = Instant::now();
    succeeded(&run(&mut pulse(database.url(), &["backup", &backup])));
    until_written(&done, done.load(Ordering::Relaxed) + 1).await;
    stop.store(true, Ordering::Relaxed);
    let acknowledged = writing.await.unwrap();
    let before: Vec<&String> = acknowledged
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(email, _)| email)
        .collect();
    assert!(
        before.len() >= 3,
        "writes went on before the backup: {}",
        before.len()
    );
    assert!(acknowledged.len() > before.len(), "and during and after it");
    assert!(
        std::path::Path::new(&format!("{backup}.reveal-key")).exists(),
        "the reveal key goes with the backup"
    );
    // Password hashes, the cookie key and the reveal key: the owner's alone, as the database.
    for file in [backup.clone(), format!("{backup}.reveal-key")] {
        assert_eq!(mode_of(&file), 0o600, "{file}");
    }

    // Restoring while the server runs is refused; once it is stopped, the backup comes back.
    let target = dir.path().join("restored.db").display().to_string();
    refused(
        &run(&mut pulse(database.url(), &["restore", &backup])),
        &["stop pulse serve"],
    );
    succeeded(&run(&mut pulse(&target, &["restore", &backup])));
    assert_eq!(mode_of(&target), 0o600);
    let db = Database::connect(&target).unwrap();
    let emails: Vec<String> = feedback::table
        .select(feedback::respondent_email)
        .load(&mut db.conn().unwrap())
        .unwrap();
    for email in before {
        assert!(
            emails.contains(email),
            "{email} committed before the backup is missing"
        );
    }
    assert_eq!(
        std::fs::read(format!("{target}.reveal-key")).unwrap(),
        std::fs::read(format!("{}.reveal-key", database.url())).unwrap()
    );
    let serving = ServerProcess::start(&target, &[], Stdio::null()).await;
    let page = serving.app.signed_in("owner@acme.example").await;
    assert_eq!(serving.app.status_of(&page, "/orgs/acme").await, 200);
}
