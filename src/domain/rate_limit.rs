//! Per-token API rate limit, decided in memory so that an API request writes nothing.
//!
//! Each token has a leaky bucket (GCRA) holding up to `per_minute` requests and draining one
//! every `60 s / per_minute`: a fresh token may burst its whole minute's budget, then goes on at
//! the steady rate. An instance keeps the buckets of the tokens it serves in memory; instances
//! share one budget per token by syncing in batches (`sync`, every `Config::api_rate_limit_sync`):
//! each adds the requests it let through since its last sync to the token's shared bucket in the
//! database, in one transaction for all tokens, and takes the shared level back, so it also counts
//! what the other instances let through.
//!
//! The overshoot is bounded: between two syncs an instance does not see the others' requests, so
//! with N instances a token gets at most (N − 1) × `per_minute` requests beyond its budget, and
//! only when a burst reaches every instance within one sync interval. An instance that has not
//! seen a token (lately) reads its shared level before deciding (`admit`), so a budget used up
//! elsewhere before the last sync is never handed out afresh. Every request is charged to
//! the shared bucket all the same, so the token then waits that much longer: over time the rate
//! never exceeds the limit. One instance has no overshoot.
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::error::AppError;
use crate::repo::rate_limits;

const NANOS_PER_SEC: i64 = 1_000_000_000;
/// A token not seen for this long is forgotten by an instance (its bucket has drained anyway).
const FORGET_AFTER_NS: i64 = 60 * NANOS_PER_SEC;

/// The budget a response reports (`RateLimit-Limit`, `-Remaining`, `-Reset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowance {
    /// Requests per minute.
    pub limit: u32,
    /// Requests that would be let through now.
    pub remaining: u32,
    /// Seconds until the bucket has drained, i.e. the whole budget is back.
    pub reset_secs: u64,
}

/// A request over the limit: the budget as it stands, and when one request will fit again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub allowance: Allowance,
    pub retry_after_secs: u64,
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        AppError::TooManyAttempts {
            retry_after_secs: refusal.retry_after_secs,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    /// When the bucket will be empty (GCRA's "theoretical arrival time"), ns since the epoch.
    empty_at: i64,
    /// Requests let through since the last sync, and when the first of them came.
    unsynced: u32,
    unsynced_since: i64,
    seen_at: i64,
}

/// What one token's bucket owes the shared one: `requests` let through since `since_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charge {
    pub token_id: i32,
    pub requests: u32,
    pub since_ns: i64,
}

/// One instance's buckets, by token id (or, for limits kept in this instance only, by any
/// key: a client's place). Shared by every worker of the instance (`AppState`).
pub struct RateLimiter<K = i32> {
    per_minute: u32,
    /// How long one request takes to drain (60 s / per_minute), in ns.
    drain_ns: i64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

/// Beyond this many buckets a limiter that is never synced forgets the drained ones.
const PRUNE_ABOVE: usize = 4096;

fn nanos(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

fn whole_seconds_up(ns: i64) -> u64 {
    (ns.max(0) as u64).div_ceil(NANOS_PER_SEC as u64)
}

impl<K: Hash + Eq> RateLimiter<K> {
    pub fn new(per_minute: u32) -> Self {
        let per_minute = per_minute.max(1);
        Self {
            per_minute,
            drain_ns: (60 * NANOS_PER_SEC / i64::from(per_minute)).max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn capacity_ns(&self) -> i64 {
        i64::from(self.per_minute) * self.drain_ns
    }

    fn buckets(&self) -> std::sync::MutexGuard<'_, HashMap<K, Bucket>> {
        // A panic elsewhere cannot leave a bucket half-updated: every update is one assignment.
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The budget of a request that was not counted (no usable token, or a public route).
    pub fn untouched(&self) -> Allowance {
        Allowance {
            limit: self.per_minute,
            remaining: self.per_minute,
            reset_secs: 0,
        }
    }

    fn allowance(&self, level_ns: i64) -> Allowance {
        let free = (self.capacity_ns() - level_ns).max(0) / self.drain_ns;
        Allowance {
            limit: self.per_minute,
            remaining: u32::try_from(free).unwrap_or(u32::MAX),
            reset_secs: whole_seconds_up(level_ns),
        }
    }

    /// Counts a request of `key` (a token id) at `at`, or refuses it when its bucket is full.
    pub fn check(&self, key: K, at: NaiveDateTime) -> Result<Allowance, Refusal> {
        let now = nanos(at);
        let mut buckets = self.buckets();
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| b.unsynced > 0 || b.empty_at > now);
        }
        let bucket = buckets.entry(key).or_default();
        bucket.seen_at = now;
        let start = bucket.empty_at.max(now);
        let level = start - now + self.drain_ns;
        if level > self.capacity_ns() {
            return Err(Refusal {
                allowance: self.allowance(start - now),
                retry_after_secs: whole_seconds_up(level - self.capacity_ns()).max(1),
            });
        }
        bucket.empty_at = start + self.drain_ns;
        if bucket.unsynced == 0 {
            bucket.unsynced_since = now;
        }
        bucket.unsynced += 1;
        Ok(self.allowance(level))
    }
}

impl RateLimiter<i32> {
    /// Whether this instance has a bucket for `token_id` (it has seen the token lately).
    pub fn knows(&self, token_id: i32) -> bool {
        self.buckets().contains_key(&token_id)
    }

    /// Takes in a token's shared level (when its bucket will be empty, ns) before this instance
    /// first decides about it.
    fn learn(&self, token_id: i32, shared_empty_at: Option<i64>) {
        let mut buckets = self.buckets();
        let bucket = buckets.entry(token_id).or_default();
        bucket.empty_at = bucket.empty_at.max(shared_empty_at.unwrap_or(0));
    }

    /// The requests let through since the last sync (now owed to the shared buckets), and every
    /// token seen recently (whose shared level to read back). Forgets tokens not seen for a while.
    fn take_unsynced(&self, now: i64) -> (Vec<Charge>, Vec<i32>) {
        let mut buckets = self.buckets();
        buckets.retain(|_, b| b.unsynced > 0 || now - b.seen_at < FORGET_AFTER_NS);
        let mut charges = Vec::new();
        for (&token_id, bucket) in buckets.iter_mut().filter(|(_, b)| b.unsynced > 0) {
            charges.push(Charge {
                token_id,
                requests: std::mem::take(&mut bucket.unsynced),
                since_ns: bucket.unsynced_since,
            });
        }
        // One order for every instance, so that concurrent syncs cannot deadlock on rows.
        charges.sort_by_key(|c| c.token_id);
        let mut known: Vec<i32> = buckets.keys().copied().collect();
        known.sort_unstable();
        (charges, known)
    }

    /// Puts back charges a failed sync could not deliver; the next sync tries again.
    fn restore(&self, charges: &[Charge]) {
        let mut buckets = self.buckets();
        for charge in charges {
            let bucket = buckets.entry(charge.token_id).or_default();
            if bucket.unsynced == 0 || charge.since_ns < bucket.unsynced_since {
                bucket.unsynced_since = charge.since_ns;
            }
            bucket.unsynced += charge.requests;
        }
    }

    /// Takes in the shared buckets' levels, which include every instance's synced requests; what
    /// this instance let through during the sync is still owed, so it stays on top.
    fn merge(&self, shared: &[(i32, i64)]) {
        let mut buckets = self.buckets();
        for &(token_id, shared_empty_at) in shared {
            if let Some(bucket) = buckets.get_mut(&token_id) {
                let owed = i64::from(bucket.unsynced) * self.drain_ns;
                bucket.empty_at = bucket.empty_at.max(shared_empty_at.saturating_add(owed));
            }
        }
    }

    /// What the requests of `charge` weigh in the shared bucket, in ns.
    fn weight(&self, charge: &Charge) -> i64 {
        i64::from(charge.requests) * self.drain_ns
    }
}

/// Counts a request of `token_id` at `at`, or refuses it. The first time this instance decides
/// about the token (or the first time since it forgot an idle one), it takes the token's shared
/// level from the database before deciding, so a token the other instances have just used up
/// gets no fresh budget here. Reads, never writes.
pub fn admit(
    conn: &mut DbConn,
    limiter: &RateLimiter,
    token_id: i32,
    at: NaiveDateTime,
) -> Result<Result<Allowance, Refusal>, AppError> {
    if !limiter.knows(token_id) {
        let shared = rate_limits::levels(conn, &[token_id])?;
        limiter.learn(token_id, shared.first().map(|&(_, empty_at)| empty_at));
    }
    Ok(limiter.check(token_id, at))
}

/// Exchanges this instance's counts with the shared buckets (the background task calls it every
/// `Config::api_rate_limit_sync`). Returns how many tokens' requests were charged.
pub fn sync(
    conn: &mut DbConn,
    limiter: &RateLimiter,
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let (charges, known) = limiter.take_unsynced(nanos(at));
    if known.is_empty() {
        return Ok(0);
    }
    let exchanged = conn.write_transaction(|conn| {
        for charge in &charges {
            rate_limits::charge(
                conn,
                charge.token_id,
                charge.since_ns,
                limiter.weight(charge),
            )?;
        }
        rate_limits::levels(conn, &known)
    });
    match exchanged {
        Ok(shared) => {
            limiter.merge(&shared);
            Ok(charges.len())
        }
        Err(e) => {
            limiter.restore(&charges);
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn t0() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    #[test]
    fn a_fresh_token_bursts_its_budget_then_goes_at_the_steady_rate() {
        let limiter = RateLimiter::new(3);
        let first = limiter.check(1, t0()).unwrap();
        assert_eq!(
            first,
            Allowance {
                limit: 3,
                remaining: 2,
                reset_secs: 20
            }
        );
        assert_eq!(limiter.check(1, t0()).unwrap().remaining, 1);
        assert_eq!(limiter.check(1, t0()).unwrap().remaining, 0);
        let refused = limiter.check(1, t0()).unwrap_err();
        // One request drains every 20 s; the bucket is empty 60 s after the burst.
        assert_eq!(refused.retry_after_secs, 20);
        assert_eq!(refused.allowance.remaining, 0);
        assert_eq!(refused.allowance.reset_secs, 60);
        // Another token has its own bucket.
        assert!(limiter.check(2, t0()).is_ok());
        // 20 s later exactly one more fits.
        let later = t0() + Duration::seconds(20);
        assert!(limiter.check(1, later).is_ok());
        assert!(limiter.check(1, later).is_err());
    }

    #[test]
    fn refusals_are_not_counted() {
        let limiter = RateLimiter::new(1);
        limiter.check(1, t0()).unwrap();
        for _ in 0..10 {
            assert!(limiter.check(1, t0()).is_err());
        }
        assert!(limiter.check(1, t0() + Duration::seconds(60)).is_ok());
    }

    #[test]
    fn syncing_charges_what_was_let_through_and_learns_the_shared_level() {
        let limiter = RateLimiter::new(60);
        let now = nanos(t0());
        for _ in 0..5 {
            limiter.check(7, t0()).unwrap();
        }
        let (charges, known) = limiter.take_unsynced(now);
        assert_eq!(
            charges,
            [Charge {
                token_id: 7,
                requests: 5,
                since_ns: now
            }]
        );
        assert_eq!(known, [7]);
        // Nothing is owed twice.
        assert!(limiter.take_unsynced(now).0.is_empty());
        // Another instance let 50 through: the shared bucket is 55 s full.
        limiter.merge(&[(7, now + 55 * NANOS_PER_SEC)]);
        assert_eq!(limiter.check(7, t0()).unwrap().remaining, 4);
        // A failed sync puts its charges back.
        let (charges, _) = limiter.take_unsynced(now);
        limiter.restore(&charges);
        assert_eq!(limiter.take_unsynced(now).0, charges);
    }

    #[test]
    fn idle_tokens_are_forgotten() {
        let limiter = RateLimiter::new(60);
        limiter.check(1, t0()).unwrap();
        let _ = limiter.take_unsynced(nanos(t0()));
        let (_, known) = limiter.take_unsynced(nanos(t0() + Duration::minutes(2)));
        assert!(known.is_empty());
    }
}
