//! Several `pulse serve` processes on one PostgreSQL database share one outbox: each message is
//! claimed by one sender at a time (`FOR UPDATE SKIP LOCKED`) and arrives exactly once.
//! PostgreSQL only: ignored on SQLite (README: "PostgreSQL").
use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use diesel::Connection;
use pulse::domain::notices;
use pulse::error::AppError;

use crate::databases::{PgTestDatabase, postgres_required};
use crate::server_process::ServerProcess;
use crate::smtp_sink::SmtpSink;

const MESSAGES: usize = 200;

#[tokio::test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn two_instances_send_each_of_200_queued_messages_exactly_once() {
    let server = postgres_required();
    let database = PgTestDatabase::create(&server);
    let sink = SmtpSink::start();
    // Slow enough that one instance alone would take seconds: both take part.
    sink.take_time(Duration::from_millis(25));
    let url = sink.url();
    let logs: Vec<_> = (0..2)
        .map(|_| tempfile::NamedTempFile::new().unwrap())
        .collect();
    let env = [("PULSE_SMTP_URL", url.as_str()), ("RUST_LOG", "info")];
    let starts = logs
        .iter()
        .map(|log| ServerProcess::start(&database.url, &env, Stdio::from(log.reopen().unwrap())));
    let mut instances = futures_util::future::join_all(starts).await;
    let app = &instances[0].app;
    let ann = app.create_user("ann@example.com", false);
    // All queued in one transaction, so both instances find all of them due at once.
    let now = app.now();
    app.with_conn(|conn| {
        conn.transaction(|conn| {
            for n in 0..MESSAGES {
                let from = format!("10.0.{}.{}", n / 250, n % 250);
                notices::password_changed(conn, &ann, false, &from, now)?;
            }
            Ok::<_, AppError>(())
        })
    })
    .unwrap();

    let settled = || {
        app.outbox_of("password_changed")
            .iter()
            .filter(|(_, status)| status == "sent")
            .count()
    };
    for _ in 0..600 {
        if settled() == MESSAGES {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(settled(), MESSAGES, "every message sent within a minute");
    // A message sent twice would have been sent before its second sender found it settled:
    // give any such straggler a couple of the senders' rounds to arrive.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for mail in sink.arrived() {
        *seen.entry(mail.message_id).or_default() += 1;
    }
    assert_eq!(
        seen.len(),
        MESSAGES,
        "{} distinct messages arrived",
        seen.len()
    );
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "arrived more than once: {twice:?}");

    for instance in &mut instances {
        instance.kill().await;
    }
    let shares: Vec<usize> = logs
        .iter()
        .map(|log| {
            std::fs::read_to_string(log.path())
                .unwrap()
                .matches("mail sent")
                .count()
        })
        .collect();
    assert_eq!(shares.iter().sum::<usize>(), MESSAGES, "{shares:?}");
    assert!(
        shares.iter().all(|n| *n > 0),
        "both instances sent some: {shares:?}"
    );
}
