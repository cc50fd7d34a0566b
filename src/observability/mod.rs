//! What an operator watches: a span, log lines and metrics for every request (`requests`), and
//! the Prometheus metrics on their own listener (`metrics`).
pub mod metrics;
pub mod requests;
