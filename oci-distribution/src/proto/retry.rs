//! Which failures are retried, and how long to wait before the next attempt.

use std::time::{Duration, Instant};

use http::StatusCode;
use http::header::RETRY_AFTER;

/// Whether a request may be sent again after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Replay {
    /// Repeating it changes nothing (GET, HEAD, a manifest PUT, the final PUT of an
    /// upload, POST opening a session): 429, 500, 502, 503, 504 and lost connections are
    /// retried.
    Idempotent,
    /// It must not be repeated once the registry may have taken part of it (a PUT that
    /// carries the whole blob): only 429 and 503, which say nothing was acted on.
    Unprocessed,
    /// Never repeated by the exchange (a PATCH: its machine asks the registry how far it
    /// got instead; a best-effort cancel).
    Never,
}

/// How often and how long to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt. Default: 5.
    pub retries: u32,
    /// The first back-off; it doubles with each retry. Default: 250 ms.
    pub backoff: Duration,
    /// The longest back-off, and the longest `Retry-After` honoured. Default: 8 s.
    pub max_backoff: Duration,
    /// No new attempt starts this long after the first one started: a registry that keeps
    /// failing cannot hold a transfer for `retries` times the longest timeout. Default:
    /// 10 min.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retries: 5,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            budget: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// A policy with these numbers (`max_backoff` at least `backoff`) and the default
    /// budget.
    pub fn new(retries: u32, backoff: Duration, max_backoff: Duration) -> Self {
        Self { retries, backoff, max_backoff: max_backoff.max(backoff), ..Self::default() }
    }

    /// Sets [`RetryPolicy::budget`].
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// The back-off before retry number `attempt` (0 for the first retry), before jitter.
    pub fn backoff_for(&self, attempt: u32) -> Duration {
        self.backoff.saturating_mul(1u32 << attempt.min(16)).min(self.max_backoff)
    }
}

/// The retry state of one operation: how many attempts failed, since when, and a small
/// deterministic generator for jitter (so that clients that failed together do not come
/// back together, and tests still see the same waits).
#[derive(Clone, Debug)]
pub struct Backoff {
    policy: RetryPolicy,
    failures: u32,
    started: Instant,
    seed: u64,
}

impl Backoff {
    /// A fresh state; `seed` varies the jitter (any value).
    pub fn new(policy: RetryPolicy, now: Instant, seed: u64) -> Self {
        Self { policy, failures: 0, started: now, seed: seed | 1 }
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Forgets earlier failures (progress was made): the count starts again, the time
    /// budget does too.
    pub fn reset(&mut self, now: Instant) {
        self.failures = 0;
        self.started = now;
    }

    /// Records a failure and returns how long to wait before the next attempt, or `None`
    /// when the retries or the time budget are spent. `retry_after` (the registry's
    /// `Retry-After`) replaces the back-off, up to the longest one.
    pub fn next(&mut self, now: Instant, retry_after: Option<Duration>) -> Option<Duration> {
        if self.failures >= self.policy.retries {
            return None;
        }
        let wait = match retry_after {
            Some(wait) => wait.min(self.policy.max_backoff),
            None => self.jitter(self.policy.backoff_for(self.failures)),
        };
        if now.saturating_duration_since(self.started) + wait > self.policy.budget {
            return None;
        }
        self.failures += 1;
        Some(wait)
    }

    /// Between half and all of `wait`.
    fn jitter(&mut self, wait: Duration) -> Duration {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let half = wait / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(if nanos == 0 { 0 } else { self.seed % (nanos + 1) })
    }
}

/// Statuses that say "try again later": 429, 500, 502, 503, 504.
pub fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// Whether `status` may be retried for a request of this kind.
pub(crate) fn may_retry(replay: Replay, status: StatusCode) -> bool {
    match replay {
        Replay::Idempotent => retryable_status(status),
        Replay::Unprocessed => matches!(status.as_u16(), 429 | 503),
        Replay::Never => false,
    }
}

/// `Retry-After` in seconds (the HTTP-date form is ignored).
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stops() {
        let now = Instant::now();
        let policy = RetryPolicy::new(4, Duration::from_millis(100), Duration::from_millis(300));
        let mut b = Backoff::new(policy, now, 7);
        let waits: Vec<_> = (0..5).map(|_| b.next(now, None)).collect();
        let bounds = [(50, 100), (100, 200), (150, 300), (150, 300)];
        for (wait, (lo, hi)) in waits.iter().zip(bounds) {
            let ms = wait.unwrap().as_millis();
            assert!((lo..=hi).contains(&ms), "{ms} not in {lo}..={hi}");
        }
        assert_eq!(waits[4], None, "retries spent");
        // The same seed gives the same waits.
        let mut again = Backoff::new(policy, now, 7);
        assert_eq!(again.next(now, None), waits[0]);
    }

    #[test]
    fn retry_after_is_capped_and_budget_bounds_time() {
        let now = Instant::now();
        let policy = RetryPolicy::new(10, Duration::from_millis(10), Duration::from_secs(2))
            .budget(Duration::from_secs(5));
        let mut b = Backoff::new(policy, now, 1);
        assert_eq!(b.next(now, Some(Duration::from_secs(60))), Some(Duration::from_secs(2)));
        assert_eq!(
            b.next(now + Duration::from_secs(4), Some(Duration::from_secs(1))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            b.next(now + Duration::from_secs(4), Some(Duration::from_secs(2))),
            None,
            "past the budget"
        );
        b.reset(now + Duration::from_secs(4));
        assert_eq!(b.failures(), 0);
        assert!(b.next(now + Duration::from_secs(4), None).is_some());
    }

    #[test]
    fn what_is_retried() {
        for s in [429, 500, 502, 503, 504] {
            assert!(may_retry(Replay::Idempotent, StatusCode::from_u16(s).unwrap()));
        }
        assert!(!may_retry(Replay::Idempotent, StatusCode::NOT_FOUND));
        assert!(may_retry(Replay::Unprocessed, StatusCode::SERVICE_UNAVAILABLE));
        assert!(!may_retry(Replay::Unprocessed, StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!may_retry(Replay::Never, StatusCode::TOO_MANY_REQUESTS));
    }
}
