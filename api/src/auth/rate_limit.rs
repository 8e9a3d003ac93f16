//! Sign-in throttling, per account and per client address.
//!
//! Per account: after `max_failures` failed sign-ins the account is locked for `lock` (counted
//! from the last failure), whether or not it exists, so the limiter reveals nothing. Per address:
//! at most `max_per_address` attempts per minute. State is per API process; a restart forgets
//! it, which errs on the side of letting people work.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const ADDRESS_WINDOW: Duration = Duration::from_secs(60);
const PRUNE_ABOVE: usize = 10_000;

pub struct LoginLimiter {
    max_failures: u32,
    lock: Duration,
    max_per_address: u32,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    accounts: HashMap<String, (u32, Instant)>,
    addresses: HashMap<String, (u32, Instant)>,
}

/// A refused attempt: how long to wait and why.
#[derive(Debug, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after_secs: u64,
    pub reason: &'static str,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, lock: Duration, max_per_address: u32) -> Self {
        LoginLimiter {
            max_failures,
            lock,
            max_per_address,
            state: Mutex::new(State::default()),
        }
    }

    /// Counts an attempt for `address` and refuses it if the address or the account is throttled.
    pub fn check(&self, account: &str, address: &str) -> Result<(), Throttled> {
        self.check_at(account, address, Instant::now())
    }

    fn check_at(&self, account: &str, address: &str, now: Instant) -> Result<(), Throttled> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.addresses.len() > PRUNE_ABOVE {
            state
                .addresses
                .retain(|_, (_, start)| now.duration_since(*start) < ADDRESS_WINDOW);
        }
        let entry = state
            .addresses
            .entry(address.to_owned())
            .or_insert((0, now));
        if now.duration_since(entry.1) >= ADDRESS_WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
        if entry.0 > self.max_per_address {
            let wait = ADDRESS_WINDOW.saturating_sub(now.duration_since(entry.1));
            return Err(Throttled {
                retry_after_secs: wait.as_secs().max(1),
                reason: "too many sign-in attempts from this address; wait before trying again",
            });
        }
        if let Some((failures, last)) = state.accounts.get(account) {
            let since = now.duration_since(*last);
            if *failures >= self.max_failures && since < self.lock {
                return Err(Throttled {
                    retry_after_secs: (self.lock - since).as_secs().max(1),
                    reason: "too many failed sign-ins for this account; it is locked for a while",
                });
            }
        }
        Ok(())
    }

    /// Records a failed sign-in for `account`.
    pub fn failed(&self, account: &str) {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.accounts.len() > PRUNE_ABOVE {
            let lock = self.lock;
            state
                .accounts
                .retain(|_, (_, last)| now.duration_since(*last) < lock);
        }
        let entry = state.accounts.entry(account.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) >= self.lock {
            entry.0 = 0;
        }
        entry.0 += 1;
        entry.1 = now;
    }

    /// Clears the failures of `account` after a successful sign-in.
    pub fn succeeded(&self, account: &str) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.accounts.remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_locks_after_the_allowed_failures_and_names_a_wait() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(600), 100);
        for _ in 0..3 {
            assert!(limiter.check("a@x", "1.2.3.4").is_ok());
            limiter.failed("a@x");
        }

        let refused = limiter.check("a@x", "5.6.7.8").unwrap_err();

        assert!(refused.retry_after_secs > 590);
        assert!(
            limiter.check("b@x", "1.2.3.4").is_ok(),
            "other accounts still work"
        );
    }

    #[test]
    fn a_success_clears_the_failures() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(600), 100);
        limiter.failed("a@x");
        limiter.succeeded("a@x");
        limiter.failed("a@x");

        assert!(limiter.check("a@x", "1.2.3.4").is_ok());
    }

    #[test]
    fn an_address_is_limited_per_minute_and_then_forgiven() {
        let limiter = LoginLimiter::new(100, Duration::from_secs(600), 2);
        let start = Instant::now();
        assert!(limiter.check_at("a@x", "1.2.3.4", start).is_ok());
        assert!(limiter.check_at("b@x", "1.2.3.4", start).is_ok());

        assert!(limiter.check_at("c@x", "1.2.3.4", start).is_err());
        assert!(limiter
            .check_at("c@x", "1.2.3.4", start + ADDRESS_WINDOW)
            .is_ok());
    }
}
