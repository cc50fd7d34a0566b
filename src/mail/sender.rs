//! The sender: every instance runs one. A round claims due messages with a lease
//! (`repo::outbox::claim_due`), delivers each, and settles it: sent; retried later after a
//! temporary failure, with exponential backoff and jitter, for up to 24 hours
//! (`domain::notices::delivery_window`); failed at once on a permanent refusal. An instance that
//! dies between claiming and sending loses nothing: its lease runs out and another instance (or
//! itself, restarted) sends the message. Each message keeps its own `Message-ID` across retries.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use chrono::{Duration, NaiveDateTime};
use lettre::message::{Mailbox, MultiPart};

use crate::clock::Clock;
use crate::db::Database;
use crate::domain::notices::Notice;
use crate::domain::secret::random_base62;
use crate::error::AppError;
use crate::mail::compose::compose;
use crate::mail::render;
use crate::mail::transport::{Delivery, Outcome, Transport};
use crate::repo::outbox::{self, OutboxMessage};

/// How long a claim lasts: far longer than a batch can take (`BATCH` × the SMTP timeout).
pub fn lease() -> Duration {
    Duration::minutes(10)
}

/// Messages claimed at once.
pub const BATCH: i64 = 10;

/// The wait before attempt `attempts + 1`: one minute doubled after each failure, at most an
/// hour, and then between half of that and all of it at random ("equal jitter"), so instances
/// and messages that failed together do not all come back together.
pub fn backoff(attempts: i32, jitter: f64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 6)).unwrap_or(6);
    let full_ms = (60_000_i64 << doublings).min(3_600_000);
    let jitter = jitter.clamp(0.0, 1.0);
    Duration::milliseconds(full_ms / 2 + (full_ms as f64 / 2.0 * jitter) as i64)
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Claimed but not settled by this round: its lease ran out first.
    pub lost: usize,
}

pub struct Sender {
    delivery: Delivery,
    /// Links in messages start with it (`PULSE_PUBLIC_URL`, else the listen address).
    base_url: String,
    /// Set once the instance is stopping (`startup::Shutdown`).
    draining: Arc<AtomicBool>,
}

impl Sender {
    pub fn new(delivery: Delivery, base_url: String, draining: Arc<AtomicBool>) -> Self {
        Self {
            delivery,
            base_url,
            draining,
        }
    }

    /// Where mail goes, in words (never with a password).
    pub fn describe(&self) -> String {
        self.delivery.describe()
    }

    /// False when no delivery is configured and messages stay queued.
    pub fn delivers(&self) -> bool {
        !matches!(self.delivery.transport, Transport::Held)
    }

    /// Claims the messages due at the clock's time and delivers them; nothing once the instance
    /// is draining: a batch it claimed and could not finish before it stops would wait out its
    /// lease, where the other instances (or this one restarted) can send it at once.
    pub async fn round(self: &Arc<Self>, db: &Database, clock: &Clock) -> Result<Round, AppError> {
        if self.draining.load(Ordering::Relaxed) {
            return Ok(Round::default());
        }
        let now = clock.now();
        if !db.run(move |conn| Ok(outbox::any_due(conn, now)?)).await? {
            return Ok(Round::default());
        }
        let owner = random_base62(22);
        let claimer = owner.clone();
        let claimed = db
            .run(move |conn| {
                Ok(outbox::claim_due(
                    conn,
                    &claimer,
                    now,
                    now + lease(),
                    BATCH,
                )?)
            })
            .await?;
        let mut round = Round {
            claimed: claimed.len(),
            ..Round::default()
        };
        for message in claimed {
            let now = clock.now();
            // Taken too long to get to it: another sender may have it by now.
            if message.leased_until.is_none_or(|until| until <= now) {
                round.lost += 1;
                continue;
            }
            let outcome = self.attempt(&message, now).await;
            self.settle(db, &message, &owner, outcome, clock.now(), &mut round)
                .await?;
        }
        Ok(round)
    }

    async fn attempt(self: &Arc<Self>, message: &OutboxMessage, now: NaiveDateTime) -> Outcome {
        let Built {
            message: mail,
            subject,
        } = match self.build(message, now) {
            Ok(built) => built,
            Err(why) => return Outcome::Permanent(why),
        };
        let file_name = format!(
            "{}-{}.eml",
            message.created_at.format("%Y%m%d-%H%M%S"),
            message.id
        );
        let sender = self.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            sender.delivery.transport.deliver(&mail, &file_name)
        })
        .await;
        match outcome {
            Ok(Outcome::Delivered) => {
                self.log_delivered(message, &subject);
                Outcome::Delivered
            }
            Ok(other) => other,
            Err(e) => Outcome::Temporary(format!("the delivery task failed: {e}")),
        }
    }

    fn log_delivered(&self, message: &OutboxMessage, subject: &str) {
        match &self.delivery.transport {
            // Local delivery is for a person reading the folder: name what arrived (never the
            // link, whose secret is only in the file).
            Transport::Folder(dir) => tracing::info!(
                outbox_id = message.id,
                to = %message.recipient,
                subject = %subject,
                folder = %dir.display(),
                "mail written to the mail folder"
            ),
            _ => tracing::info!(
                outbox_id = message.id,
                kind = %message.kind,
                to_domain = %message.recipient.rsplit('@').next().unwrap_or_default(),
                "mail sent"
            ),
        }
    }

    /// The message as it goes out, or why it cannot be built (which no retry would change).
    fn build(&self, message: &OutboxMessage, now: NaiveDateTime) -> Result<Built, String> {
        let notice = Notice::from_payload(&message.payload)
            .map_err(|_| "the stored message could not be read".to_owned())?;
        if notice.carries_link() && message.link_secret.is_none() {
            return Err("its single-use link is no longer stored".into());
        }
        let email = compose(
            &notice,
            &message.recipient_name,
            message.link_secret.as_deref(),
            &self.base_url,
        );
        let (text, html) = render::parts(&email).map_err(|e| format!("rendering failed: {e}"))?;
        let address = message
            .recipient
            .parse()
            .map_err(|e| format!("the recipient's address is not valid: {e}"))?;
        let name = Some(message.recipient_name.clone()).filter(|n| !n.trim().is_empty());
        let built = lettre::Message::builder()
            .from(self.delivery.from.clone())
            .to(Mailbox::new(name, address))
            .subject(email.subject.clone())
            .message_id(Some(format!(
                "<{}@{}>",
                message.message_key,
                self.delivery.message_id_domain()
            )))
            .date(SystemTime::from(now.and_utc()))
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| format!("the message could not be built: {e}"))?;
        Ok(Built {
            message: built,
            subject: email.subject,
        })
    }

    async fn settle(
        &self,
        db: &Database,
        message: &OutboxMessage,
        owner: &str,
        outcome: Outcome,
        now: NaiveDateTime,
        round: &mut Round,
    ) -> Result<(), AppError> {
        let (id, owner, attempts) = (message.id, owner.to_owned(), message.attempts);
        let next = now + backoff(attempts, rand::random());
        let give_up_at = message.give_up_at;
        let changed = match outcome {
            Outcome::Delivered => {
                round.sent += 1;
                db.run(move |conn| Ok(outbox::finish(conn, (id, &owner), outbox::SENT, None, now)?))
                    .await?
            }
            Outcome::Temporary(error) if next <= give_up_at => {
                round.retrying += 1;
                tracing::warn!(outbox_id = id, attempts, %error, retry_at = %next, "mail not delivered; will retry");
                db.run(move |conn| Ok(outbox::retry_later(conn, (id, &owner), next, &error)?))
                    .await?
            }
            Outcome::Temporary(error) => {
                let error = format!("not delivered within 24 hours: {error}");
                self.fail(db, (id, &owner, attempts), error, now, round)
                    .await?
            }
            Outcome::Permanent(error) => {
                self.fail(db, (id, &owner, attempts), error, now, round)
                    .await?
            }
        };
        if changed == 0 {
            round.lost += 1;
            tracing::warn!(
                outbox_id = id,
                "mail lease ran out before the outcome was recorded"
            );
        }
        Ok(())
    }
}

impl Sender {
    /// Settles a claimed message as failed, for good.
    async fn fail(
        &self,
        db: &Database,
        (id, owner, attempts): (i32, &str, i32),
        error: String,
        now: NaiveDateTime,
        round: &mut Round,
    ) -> Result<usize, AppError> {
        round.failed += 1;
        tracing::warn!(outbox_id = id, attempts, %error, "mail failed");
        let owner = owner.to_owned();
        db.run(move |conn| {
            Ok(outbox::finish(
                conn,
                (id, &owner),
                outbox::FAILED,
                Some(&error),
                now,
            )?)
        })
        .await
    }
}

/// A message ready for the transport, and its subject for the log.
struct Built {
    message: lettre::Message,
    subject: String,
}

/// Runs rounds every `every` (and at once again while a round finds a full batch) for as long
/// as the server runs; a failed round is logged and the next one tries again.
pub fn spawn(sender: Arc<Sender>, db: Database, clock: Clock, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            loop {
                match sender.round(&db, &clock).await {
                    Ok(round) if round.claimed as i64 == BATCH => continue,
                    Ok(round) if round.claimed > 0 => tracing::debug!(?round, "mail round"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = ?e, "mail round failed"),
                }
                break;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute_to_an_hour_with_jitter_in_the_upper_half() {
        assert_eq!(backoff(1, 0.0), Duration::seconds(30));
        assert_eq!(backoff(1, 1.0), Duration::seconds(60));
        assert_eq!(backoff(2, 1.0), Duration::seconds(120));
        assert_eq!(backoff(5, 1.0), Duration::minutes(16));
        assert_eq!(backoff(7, 1.0), Duration::minutes(60));
        assert_eq!(backoff(50, 1.0), Duration::minutes(60));
        assert_eq!(backoff(50, 0.0), Duration::minutes(30));
        let jittered = backoff(3, 0.5);
        assert!(jittered > backoff(3, 0.0) && jittered < backoff(3, 1.0));
    }
}
