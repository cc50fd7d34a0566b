//! Who is asking: passwords, server-side sessions, CSRF and the extractors that authorise.
pub mod csrf;
pub mod extractors;
pub mod password;
pub mod session_store;
