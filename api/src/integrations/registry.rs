//! [`ClientRegistry`]: every API client's state in memory, so that a client token is checked
//! without a database query, plus the per-client rate limit.
//!
//! Each API instance loads the clients at start and reloads them every `HMS_CLIENT_REFRESH_SECS`
//! (default 5) on a background thread; when the database cannot be read it keeps the last state
//! it knew. Changes made through this instance's admin API (and each token issued here) update
//! it at once, so a disabled or rotated client is refused immediately on the instance that made
//! the change and within the refresh interval on the others.
//!
//! The rate limit is a GCRA (generic cell rate algorithm) per client and per API instance: a
//! client with a limit of N per minute may make N requests at once, then one every 60/N
//! seconds. With several instances behind a load balancer a client can make up to N per minute
//! on each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hms_api_types::{Scope, ScopeSet};
use uuid::Uuid;

use super::model::ClientStateRow;
use crate::db::DbPool;
use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(60);

/// What the registry knows of one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientState {
    pub active: bool,
    /// Tokens issued before this instant (milliseconds since the epoch) are refused.
    pub tokens_valid_after_ms: i64,
    pub rate_limit_per_minute: u32,
    pub scopes: ScopeSet,
}

impl ClientState {
    pub fn new(
        active: bool,
        tokens_valid_after: DateTime<Utc>,
        rate_limit_per_minute: i32,
        scopes: &[Option<String>],
    ) -> ClientState {
        ClientState {
            active,
            tokens_valid_after_ms: tokens_valid_after.timestamp_millis(),
            rate_limit_per_minute: rate_limit_per_minute.max(1) as u32,
            scopes: scopes
                .iter()
                .flatten()
                .filter_map(|s| Scope::parse(s))
                .collect(),
        }
    }
}

/// A request's place in its client's rate limit, for the `RateLimit-*` response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateInfo {
    pub limit: u32,
    pub remaining: u32,
}

/// The clients' states and rate-limit counters of this API instance.
#[derive(Default)]
pub struct ClientRegistry {
    clients: RwLock<HashMap<Uuid, ClientState>>,
    /// GCRA: the theoretical arrival time of each client's next request.
    tat: Mutex<HashMap<Uuid, Instant>>,
}

impl ClientRegistry {
    pub fn new() -> ClientRegistry {
        ClientRegistry::default()
    }

    /// Records the current state of one client (after a change or a token exchange).
    pub fn upsert(&self, id: Uuid, state: ClientState) {
        self.clients
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, state);
    }

    /// Replaces every client's state with what the database says.
    pub fn replace_all(&self, rows: Vec<ClientStateRow>) {
        let map = rows
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    ClientState::new(
                        r.active,
                        r.tokens_valid_after,
                        r.rate_limit_per_minute,
                        &r.scopes,
                    ),
                )
            })
            .collect();
        *self.clients.write().unwrap_or_else(|p| p.into_inner()) = map;
    }

    pub fn get(&self, id: Uuid) -> Option<ClientState> {
        self.clients
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .copied()
    }

    /// Admits a request with a token of `client` issued at `issued_ms` for `scopes`: refuses
    /// unknown and disabled clients and tokens issued before the client's `tokens_valid_after`
    /// (401), then counts the request against the client's rate limit (429). The scopes that
    /// apply are the token's that the client still holds.
    pub fn admit(
        &self,
        client: Uuid,
        issued_ms: i64,
        scopes: ScopeSet,
    ) -> Result<(ScopeSet, RateInfo), (ApiError, Option<RateInfo>)> {
        let refused = |why: &str| {
            (
                ApiError::unauthenticated(&format!("the access token is not valid: {why}")),
                None,
            )
        };
        let Some(state) = self.get(client) else {
            return Err(refused("the client is not known"));
        };
        if !state.active {
            return Err(refused("the client is disabled"));
        }
        if issued_ms < state.tokens_valid_after_ms {
            return Err(refused(
                "it was issued before the client's secret was rotated or the client was disabled; get a new token",
            ));
        }
        let effective = scopes
            .iter()
            .filter(|s| state.scopes.contains(*s))
            .collect();
        let rate = self
            .take(client, state.rate_limit_per_minute, Instant::now())
            .map_err(|wait| {
                (
                    ApiError::TooManyRequests {
                        detail: format!(
                            "this client may make {} requests per minute; wait before sending more",
                            state.rate_limit_per_minute
                        ),
                        retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
                    },
                    Some(RateInfo {
                        limit: state.rate_limit_per_minute,
                        remaining: 0,
                    }),
                )
            })?;
        Ok((effective, rate))
    }

    /// GCRA: one request of `client` at `now` under `limit` per minute; `Err` is the wait.
    fn take(&self, client: Uuid, limit: u32, now: Instant) -> Result<RateInfo, Duration> {
        let interval = WINDOW / limit.max(1);
        let tolerance = WINDOW.saturating_sub(interval);
        let mut tats = self.tat.lock().unwrap_or_else(|p| p.into_inner());
        if tats.len() > 10_000 {
            tats.retain(|_, tat| *tat > now);
        }
        let tat = tats.get(&client).copied().unwrap_or(now).max(now);
        let ahead = tat - now;
        if ahead > tolerance {
            return Err(ahead - tolerance);
        }
        let new_tat = tat + interval;
        tats.insert(client, new_tat);
        let used = (new_tat - now).as_secs_f64() / interval.as_secs_f64();
        let remaining = (f64::from(limit) - used.ceil()).max(0.0) as u32;
        Ok(RateInfo { limit, remaining })
    }

    /// Loads every client from the database (the primary, else the standby).
    pub fn reload(&self, pool: &DbPool) -> anyhow::Result<()> {
        let mut conn = match pool.primary().get_timeout(Duration::from_secs(1)) {
            Ok(conn) => conn,
            Err(e) => match pool.standby() {
                Some(standby) => standby.get_timeout(Duration::from_secs(1))?,
                None => return Err(e.into()),
            },
        };
        let rows = super::repo::states(&mut conn)?;
        self.replace_all(rows);
        Ok(())
    }

    /// Reloads `registry` every `every` on a background thread, until the registry is dropped.
    pub fn spawn_refresh(registry: &Arc<ClientRegistry>, pool: DbPool, every: Duration) {
        let weak: Weak<ClientRegistry> = Arc::downgrade(registry);
        let spawned = std::thread::Builder::new()
            .name("hms-client-registry".into())
            .spawn(move || loop {
                std::thread::sleep(every);
                let Some(registry) = weak.upgrade() else {
                    return;
                };
                if let Err(e) = registry.reload(&pool) {
                    log::warn!("cannot reload the API clients (keeping the last known state): {e}");
                }
            });
        if let Err(e) = spawned {
            log::error!("cannot start the API client refresh thread: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(limit: u32) -> ClientState {
        ClientState {
            active: true,
            tokens_valid_after_ms: 1_000,
            rate_limit_per_minute: limit,
            scopes: [Scope::PatientsRead].into_iter().collect(),
        }
    }

    #[test]
    fn a_client_gets_its_limit_at_once_then_one_request_per_interval() {
        let registry = ClientRegistry::new();
        let id = Uuid::new_v4();
        let start = Instant::now();
        for i in 0..3 {
            let info = registry.take(id, 3, start).unwrap();
            assert_eq!(info.remaining, 2 - i);
        }

        let wait = registry.take(id, 3, start).unwrap_err();

        assert!(
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(registry
            .take(id, 3, start + Duration::from_secs(20))
            .is_ok());
        assert!(
            registry.take(Uuid::new_v4(), 3, start).is_ok(),
            "other clients are not affected"
        );
    }

    #[test]
    fn disabled_unknown_and_old_tokens_are_refused_and_scopes_are_narrowed_to_the_clients() {
        let registry = ClientRegistry::new();
        let id = Uuid::new_v4();
        let asked: ScopeSet = [Scope::PatientsRead, Scope::RecordsRead]
            .into_iter()
            .collect();
        assert!(registry.admit(id, 2_000, asked).is_err());
        registry.upsert(id, state(10));

        let (scopes, _) = registry.admit(id, 2_000, asked).unwrap();
        assert_eq!(scopes.to_oauth(), "patients:read");
        assert!(registry.admit(id, 999, asked).is_err());

        registry.upsert(
            id,
            ClientState {
                active: false,
                ..state(10)
            },
        );
        assert!(registry.admit(id, 2_000, asked).is_err());
    }
}
