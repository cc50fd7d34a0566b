//! The API authentication screen: generate, reveal during the window, regenerate, revoke, end a
//! grace period, copy. Thin handlers over `domain::api_tokens`; see ARCHITECTURE.md for the walk
//! of a request. Every action that issues, reveals or stops a token is behind sudo mode
//! (`web::sudo`); Regenerate, Revoke and End now first show a review page (`review`).
//!
//! A new token is shown in full once, on the page that follows Generate/Regenerate, to whoever
//! generated it in that session (the `pulse_new_token` cookie carries a single-use nonce that the
//! server uses up). Until the reveal window ends, owners and admins may reveal it again after
//! entering their password; the database keeps it sealed under a key that is not in the
//! database.
//!
//! The files: `request` (the request context every handler takes), `screen` (rendering the
//! screen, shared by the handlers), `show`, `review`, `issue`, `actions` (the handlers), `pages`
//! and `view` (what the templates get).
mod actions;
mod issue;
mod pages;
mod request;
mod review;
mod screen;
mod show;
pub mod view;

pub use actions::{copied, end_grace, reveal, revoke, show_revealed};
pub use issue::{generate, regenerate};
pub use review::{review_end_grace, review_regenerate, review_revoke};
pub use show::show;
