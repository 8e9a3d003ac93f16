//! The events and [`emit`], the transactional outbox.

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use hms_api_types::appointments::Appointment;
use hms_api_types::incidents::Incident;
use hms_api_types::inventory::Shortage;
use serde_json::{json, Value};
use uuid::Uuid;

pub const APPOINTMENT_BOOKED: &str = "appointment.booked";
pub const APPOINTMENT_CANCELLED: &str = "appointment.cancelled";
pub const APPOINTMENT_STATUS_CHANGED: &str = "appointment.status_changed";
pub const SHORTAGE_OPENED: &str = "shortage.opened";
pub const SHORTAGE_RESOLVED: &str = "shortage.resolved";
pub const INCIDENT_OPENED: &str = "incident.opened";
pub const INCIDENT_RESOLVED: &str = "incident.resolved";

/// One event: its type and its `data` (ids and non-clinical fields only).
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: &'static str,
    pub data: Value,
}

impl Event {
    /// An appointment event. The free-text reasons are left out (they may be clinical).
    pub fn appointment(kind: &'static str, a: &Appointment) -> Event {
        Event {
            kind,
            data: json!({
                "appointment": {
                    "id": a.id,
                    "patient_id": a.patient_id,
                    "practitioner_id": a.practitioner_id,
                    "department_id": a.department_id,
                    "starts_at": a.starts_at,
                    "ends_at": a.ends_at,
                    "status": a.status.as_str(),
                    "version": a.version,
                }
            }),
        }
    }

    /// A shortage event (`shortage.resolved` also covers a dismissed one: see `status`).
    pub fn shortage(kind: &'static str, s: &Shortage) -> Event {
        Event {
            kind,
            data: json!({
                "shortage": {
                    "id": s.id,
                    "item_id": s.item_id,
                    "item_sku": s.item_sku,
                    "item_name": s.item_name,
                    "location_id": s.location_id,
                    "location_name": s.location_name,
                    "severity": s.severity,
                    "status": s.status,
                    "source": s.source,
                    "critical_item": s.critical_item,
                }
            }),
        }
    }

    /// An incident event.
    pub fn incident(kind: &'static str, i: &Incident) -> Event {
        Event {
            kind,
            data: json!({
                "incident": {
                    "id": i.id,
                    "title": i.title,
                    "severity": i.severity,
                    "status": i.status,
                    "components": i.components,
                    "automatic": i.automatic,
                    "started_at": i.started_at,
                    "resolved_at": i.resolved_at,
                }
            }),
        }
    }

    /// The test event of `POST …/subscriptions/{id}/ping`.
    pub fn ping(subscription_id: Uuid) -> Event {
        Event {
            kind: hms_api_types::webhooks::PING,
            data: json!({ "subscription_id": subscription_id }),
        }
    }

    /// The envelope sent as the body: `{id, type, occurred_at, data}`.
    pub fn envelope(&self, id: Uuid, occurred_at: chrono::DateTime<Utc>) -> Value {
        json!({
            "id": id,
            "type": self.kind,
            "occurred_at": occurred_at,
            "data": self.data,
        })
    }
}

/// Writes `event` into the outbox with one pending delivery per active subscription (of an
/// active client) that lists its type, in one statement and in the caller's transaction.
/// Nothing is stored when nobody subscribes. Answers how many deliveries were created.
pub fn emit(conn: &mut PgConnection, event: Event) -> QueryResult<usize> {
    let id = Uuid::new_v4();
    let occurred_at = Utc::now();
    let payload = event.envelope(id, occurred_at);
    crate::db::prepared(
        "WITH subs AS (
             SELECT s.id FROM webhook_subscriptions s
               JOIN api_clients c ON c.id = s.client_id
              WHERE s.active AND c.active AND s.events @> ARRAY[$2]::text[]
         ), ev AS (
             INSERT INTO webhook_events (id, type, occurred_at, payload)
             SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM subs)
             RETURNING id
         )
         INSERT INTO webhook_deliveries (event_id, subscription_id)
         SELECT ev.id, subs.id FROM ev CROSS JOIN subs",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(event.kind)
    .bind::<Timestamptz, _>(occurred_at)
    .bind::<Jsonb, _>(payload)
    .execute(conn)
}

/// Writes `event` for one subscription only (ping); answers the delivery's id.
pub fn emit_to(conn: &mut PgConnection, event: Event, subscription_id: Uuid) -> QueryResult<Uuid> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let id = Uuid::new_v4();
    let occurred_at = Utc::now();
    let payload = event.envelope(id, occurred_at);
    crate::db::prepared(
        "WITH ev AS (
             INSERT INTO webhook_events (id, type, occurred_at, payload)
             VALUES ($1, $2, $3, $4) RETURNING id
         )
         INSERT INTO webhook_deliveries (event_id, subscription_id)
         SELECT ev.id, $5 FROM ev RETURNING id",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(event.kind)
    .bind::<Timestamptz, _>(occurred_at)
    .bind::<Jsonb, _>(payload)
    .bind::<SqlUuid, _>(subscription_id)
    .get_result::<Id>(conn)
    .map(|r| r.id)
}
