//! The time every decision is made at. Production reads the system clock; a test moves its own
//! server's clock forward instead of sleeping (`tests/api/helpers.rs`).
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{Duration, NaiveDateTime, Utc};

/// The system clock plus an offset that only `advance` changes. Clones share the offset, so the
/// handlers, the session store and housekeeping of one server always agree on the time.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// The current time as stored in the database: UTC, without offset.
    pub fn now(&self) -> NaiveDateTime {
        Utc::now().naive_utc() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone() {
        let clock = Clock::system();
        let shared = clock.clone();
        let before = shared.now();
        clock.advance(Duration::hours(1));
        assert!(shared.now() - before >= Duration::hours(1));
    }
}
