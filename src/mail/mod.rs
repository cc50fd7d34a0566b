//! Mail, from the outbox to the recipient. The domain writes notices to the outbox in the
//! transaction of their event (`domain::notices`); here each is composed into words
//! (`compose`), rendered as plain text and HTML (`render`, `templates/mail/`), and delivered
//! (`transport`: SMTP, a folder of `.eml` files, or held) by the sender task that runs in every
//! instance (`sender`).
pub mod compose;
pub mod render;
pub mod sender;
pub mod transport;
