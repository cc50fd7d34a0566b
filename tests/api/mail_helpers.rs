//! `TestApp` methods for mail: a server that sends through the test's SMTP server, running the
//! sender's round now (as its task does every few seconds), and reading the outbox.
use diesel::prelude::*;
use pulse::config::{Config, SecretText};
use pulse::db::schema::mail_outbox;
use pulse::mail::sender::Round;

use crate::helpers::{TestApp, spawn_app_with};
use crate::smtp_sink::SmtpSink;

/// A server whose mail goes to `sink` over SMTP.
pub async fn spawn_app_mailing_to(sink: &SmtpSink) -> TestApp {
    spawn_app_mailing_to_with(sink, |_| {}).await
}

/// A server whose mail goes to `sink` over SMTP, with the rest of its configuration tuned.
pub async fn spawn_app_mailing_to_with(sink: &SmtpSink, tune: impl FnOnce(&mut Config)) -> TestApp {
    let url = sink.url();
    spawn_app_with(move |config| {
        config.smtp_url = Some(SecretText(url));
        tune(config);
    })
    .await
}

/// A server whose mail goes to an SMTP server on `port` (which may be down).
pub async fn spawn_app_mailing_to_port(port: u16) -> TestApp {
    spawn_app_with(move |config| {
        config.smtp_url = Some(SecretText(format!("smtp://127.0.0.1:{port}")));
    })
    .await
}

impl TestApp {
    /// Runs the sender's rounds now until nothing more is due, as its task would.
    pub async fn deliver_mail(&self) -> Round {
        let sender = self.mail.as_ref().expect("a server in this process");
        let mut total = Round::default();
        loop {
            let round = sender
                .round(&self.db, &self.clock)
                .await
                .expect("mail round");
            total.claimed += round.claimed;
            total.sent += round.sent;
            total.retrying += round.retrying;
            total.failed += round.failed;
            total.lost += round.lost;
            if round.claimed == 0 {
                return total;
            }
        }
    }

    /// (recipient, kind, status) of every message in the outbox, oldest first.
    pub fn outbox(&self) -> Vec<(String, String, String)> {
        self.with_conn(|conn| {
            mail_outbox::table
                .order(mail_outbox::id.asc())
                .select((
                    mail_outbox::recipient,
                    mail_outbox::kind,
                    mail_outbox::status,
                ))
                .load(conn)
                .unwrap()
        })
    }

    /// The outbox's messages of `kind`, as (recipient, status).
    pub fn outbox_of(&self, kind: &str) -> Vec<(String, String)> {
        self.outbox()
            .into_iter()
            .filter(|(_, k, _)| k == kind)
            .map(|(to, _, status)| (to, status))
            .collect()
    }
}
