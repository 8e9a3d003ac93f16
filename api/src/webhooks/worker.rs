//! The delivery worker: one thread per API host. Every poll it claims due deliveries (`FOR
//! UPDATE SKIP LOCKED`, then a lease in `leased_until`, so several hosts never attempt the
//! same delivery at once and a host that dies mid-attempt only delays it until the lease
//! expires), gives the connection back, POSTs each one (in parallel, each with a timeout), and
//! records the outcomes only where the lease still holds.
//!
//! Each request: `Content-Type: application/json`, `User-Agent: HMS-Webhooks/1`,
//! `X-HMS-Event`, `X-HMS-Delivery` (the delivery id, the same on every attempt),
//! `X-HMS-Timestamp` (unix seconds) and `X-HMS-Signature: v1=<hex HMAC-SHA256(secret,
//! "<timestamp>.<body>")>`. 2xx is delivered; anything else is retried after
//! [`retry_delay`], and after the last attempt the delivery is `failed`.
//!
//! Nothing here logs a payload, a URL's query or a secret.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use hmac::{Hmac, Mac};
use prometheus::{IntCounterVec, IntGauge};
use rand::Rng;
use sha2::Sha256;

use super::repo::{self, Attempt, ClaimedRow};
use crate::config::Webhooks;
use crate::db::{DbPool, PgPool};

/// Deliveries claimed per poll (attempted in parallel).
const BATCH: i64 = 16;
/// Retry delays as multiples of the base delay (10 s by default): 10 s, 30 s, 2 min, 10 min,
/// 30 min, 1 h, 2 h, 4 h, 4 h, 6 h, 6 h — 12 attempts over about 24 hours. Beyond the table
/// the last step repeats.
const BACKOFF: [u32; 11] = [1, 3, 12, 60, 180, 360, 720, 1440, 1440, 2160, 2160];

/// The worker's Prometheus collectors (registered by `ops::metrics`).
#[derive(Clone)]
pub struct WebhookMetrics {
    /// Attempts by outcome: `delivered`, `retry`, `failed`.
    pub attempts: IntCounterVec,
    /// Deliveries waiting (pending), as of the last poll.
    pub pending: IntGauge,
}

/// `X-HMS-Signature`'s value for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("v1={hex}")
}

/// The delay before the attempt after `attempts` failed ones: the schedule above times
/// `base`, with ±20% jitter so that many deliveries failing together do not retry together.
pub fn retry_delay(base: Duration, attempts: i32) -> Duration {
    let step = usize::try_from(attempts.max(1) - 1).unwrap_or(0);
    let factor = BACKOFF[step.min(BACKOFF.len() - 1)];
    let nominal = base.saturating_mul(factor);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    nominal.mul_f64(jitter)
}

/// Starts the worker for `pool`. It stops when the pool's state is dropped.
pub fn spawn(pool: &DbPool, settings: Webhooks, metrics: WebhookMetrics) {
    let state = Arc::downgrade(pool.state());
    let primary = pool.primary().clone();
    let agent = agent(settings.timeout);
    std::thread::Builder::new()
        .name("hms-webhooks".into())
        .spawn(move || {
            let mut polls: u64 = 0;
            loop {
                std::thread::sleep(settings.poll);
                let Some(state) = state.upgrade() else { return };
                let paused = state.writes_paused();
                drop(state);
                if paused {
                    continue;
                }
                if let Err(e) = tick(&primary, &agent, &settings, &metrics) {
                    log::warn!("webhook worker: {e}");
                }
                polls += 1;
                if polls % 10 == 1 {
                    if let Ok(mut conn) = primary.get_timeout(Duration::from_secs(1)) {
                        if let Ok(n) = repo::pending_count(&mut conn) {
                            metrics.pending.set(n);
                        }
                    }
                }
            }
        })
        .expect("spawn the webhook worker");
}

fn agent(timeout: Duration) -> ureq::Agent {
    use ureq::tls::{TlsConfig, TlsProvider};
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent("HMS-Webhooks/1")
        .tls_config(
            TlsConfig::builder()
                .provider(TlsProvider::NativeTls)
                .build(),
        )
        .build()
        .into()
}

/// One poll: claim, deliver (no connection held), record.
fn tick(
    pool: &PgPool,
    agent: &ureq::Agent,
    settings: &Webhooks,
    metrics: &WebhookMetrics,
) -> anyhow::Result<()> {
    let lease_ms = i64::try_from((settings.timeout + Duration::from_secs(30)).as_millis())?;
    let claimed = {
        let mut conn = pool.get_timeout(Duration::from_secs(2))?;
        repo::claim_due(&mut conn, BATCH, lease_ms)?
    };
    if claimed.is_empty() {
        return Ok(());
    }
    let attempts: Vec<(ClaimedRow, Attempt)> = std::thread::scope(|scope| {
        let handles: Vec<_> = claimed
            .into_iter()
            .map(|row| {
                scope.spawn(move || {
                    let attempt = attempt(agent, settings, &row);
                    (row, attempt)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut conn = pool.get_timeout(Duration::from_secs(5))?;
    for (row, a) in &attempts {
        let outcome = if a.delivered {
            "delivered"
        } else if a.retry_at.is_some() {
            "retry"
        } else {
            "failed"
        };
        if repo::record_attempt(&mut conn, row.id, row.leased_until, a)? {
            metrics.attempts.with_label_values(&[outcome]).inc();
            log::info!(
                "webhook delivery {} ({}) attempt {}: {}",
                row.id,
                row.event_type,
                row.attempts + 1,
                match (a.status_code, &a.error) {
                    (Some(code), _) => format!("{outcome}, HTTP {code}"),
                    (None, Some(e)) => format!("{outcome}, {e}"),
                    (None, None) => outcome.to_owned(),
                }
            );
        } else {
            log::warn!(
                "webhook delivery {}: lease lost; outcome not recorded",
                row.id
            );
        }
    }
    Ok(())
}

/// POSTs one delivery and says how it went.
fn attempt(agent: &ureq::Agent, settings: &Webhooks, row: &ClaimedRow) -> Attempt {
    let timestamp = Utc::now().timestamp();
    let started = Instant::now();
    let result = agent
        .post(&row.url)
        .header("Content-Type", "application/json")
        .header("X-HMS-Event", &row.event_type)
        .header("X-HMS-Delivery", row.id.to_string())
        .header("X-HMS-Timestamp", timestamp.to_string())
        .header(
            "X-HMS-Signature",
            signature(&row.signing_secret, timestamp, &row.body),
        )
        .send(row.body.as_bytes());
    let response_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    // The receiver's body is never read or stored.
    let (status_code, error) = match result {
        Ok(res) => {
            let code = res.status().as_u16();
            let error = (!(200..300).contains(&code)).then(|| format!("HTTP {code}"));
            (Some(i32::from(code)), error)
        }
        Err(e) => (None, Some(describe(&e))),
    };
    let delivered = error.is_none();
    let done = row.attempts + 1;
    let retry_at = (!delivered && done < settings.max_attempts).then(|| {
        Utc::now()
            + chrono::Duration::from_std(retry_delay(settings.retry_base, done))
                .unwrap_or(chrono::Duration::hours(1))
    });
    Attempt {
        status_code,
        error,
        response_ms,
        at: Utc::now(),
        delivered,
        retry_at,
    }
}

/// A short reason for a failed request (no bodies, no URLs).
fn describe(e: &ureq::Error) -> String {
    use ureq::Error::*;
    let text = match e {
        Timeout(_) => "timed out".to_owned(),
        HostNotFound => "host not found".to_owned(),
        ConnectionFailed => "connection failed".to_owned(),
        Io(io) => format!("connection error: {}", io.kind()),
        Tls(_) | NativeTls(_) => "TLS error".to_owned(),
        BadUri(_) => "bad URL".to_owned(),
        TooManyRedirects | RedirectFailed => "redirects are not followed".to_owned(),
        other => other.to_string(),
    };
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        let sig = signature("whsec_test", 1_700_000_000, r#"{"a":1}"#);
        assert_eq!(
            sig,
            "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
        assert_ne!(sig, signature("whsec_other", 1_700_000_000, r#"{"a":1}"#));
        assert_ne!(sig, signature("whsec_test", 1_700_000_001, r#"{"a":1}"#));
    }

    #[test]
    fn retries_back_off_to_about_a_day_in_all() {
        let base = Duration::from_secs(10);
        let first = retry_delay(base, 1);
        assert!(first >= Duration::from_secs(8) && first <= Duration::from_secs(12));
        let total: f64 = (1..12)
            .map(|n| base.as_secs_f64() * f64::from(BACKOFF[n - 1]))
            .sum();
        assert!((20.0 * 3600.0..30.0 * 3600.0).contains(&total), "{total}");
        // Past the table, the last step repeats.
        assert!(retry_delay(base, 50) <= Duration::from_secs(6 * 3600 * 12 / 10));
    }
}
