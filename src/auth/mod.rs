//! Who is asking: the client's address, server-side sessions, CSRF, and the extractors that
//! authorise browser requests. Failures are `AuthError`s; the web layer decides how they look.
pub mod client_addr;
pub mod csrf;
pub mod error;
pub mod extractors;
pub mod origin;
pub mod pending_sign_in;
pub mod session_marker;
pub mod session_store;
pub mod sign_in;
pub mod sudo;
