//! Webhook queries. No rules here: see `service.rs`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    BigInt, Bool, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

use crate::db::schema::webhook_subscriptions;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub url: String,
    pub events: Vec<Option<String>>,
    pub signing_secret: String,
    pub active: bool,
    pub description: String,
    pub created_by: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct NewSubscriptionRow<'a> {
    pub client_id: Uuid,
    pub url: &'a str,
    pub events: &'a [String],
    pub signing_secret: &'a str,
    pub active: bool,
    pub description: &'a str,
    pub created_by: Uuid,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionChanges {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// The API client whose service account is `user_id`, if any.
pub fn client_of_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<Option<Uuid>> {
    use crate::db::schema::api_clients::dsl as c;
    c::api_clients
        .filter(c::user_id.eq(user_id))
        .select(c::id)
        .first(conn)
        .optional()
}

/// A client's scopes, or `None` when there is no such client.
pub fn client_scopes(conn: &mut PgConnection, client_id: Uuid) -> QueryResult<Option<Vec<String>>> {
    use crate::db::schema::api_clients::dsl as c;
    let scopes: Option<Vec<Option<String>>> = c::api_clients
        .find(client_id)
        .select(c::scopes)
        .first(conn)
        .optional()?;
    Ok(scopes.map(|s| s.into_iter().flatten().collect()))
}

pub fn insert(
    conn: &mut PgConnection,
    row: &NewSubscriptionRow<'_>,
) -> QueryResult<SubscriptionRow> {
    diesel::insert_into(webhook_subscriptions::table)
        .values(row)
        .returning(SubscriptionRow::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<SubscriptionRow>> {
    webhook_subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()
}

pub fn lock(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<SubscriptionRow>> {
    webhook_subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn update(
    conn: &mut PgConnection,
    id: Uuid,
    changes: &SubscriptionChanges,
) -> QueryResult<SubscriptionRow> {
    use webhook_subscriptions::dsl as s;
    diesel::update(s::webhook_subscriptions.find(id))
        .set((
            changes,
            s::version.eq(s::version + 1),
            s::updated_at.eq(diesel::dsl::now),
        ))
        .returning(SubscriptionRow::as_returning())
        .get_result(conn)
}

pub fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::delete(webhook_subscriptions::table.find(id)).execute(conn)
}

/// Subscriptions newest first, after the keyset `(created_at, id)` when given.
pub fn list(
    conn: &mut PgConnection,
    client_id: Option<Uuid>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<SubscriptionRow>> {
    use webhook_subscriptions::dsl as s;
    let mut q = s::webhook_subscriptions
        .select(SubscriptionRow::as_select())
        .order((s::created_at.desc(), s::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(c) = client_id {
        q = q.filter(s::client_id.eq(c));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            s::created_at
                .lt(at)
                .or(s::created_at.eq(at).and(s::id.lt(id))),
        );
    }
    q.load(conn)
}

/// A delivery with its event and subscription, as the log shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct DeliveryRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    #[diesel(sql_type = SqlUuid)]
    pub subscription_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub client_id: Uuid,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub next_attempt_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub leased_until: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_attempt_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub last_status_code: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub response_ms: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub delivered_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub payload: Option<serde_json::Value>,
}

const DELIVERY_COLUMNS: &str = "d.id, d.event_id, e.type AS event_type, d.subscription_id,
    s.client_id, s.url, d.status, d.attempts, d.next_attempt_at, d.leased_until,
    d.last_attempt_at, d.last_status_code, d.last_error, d.response_ms, d.delivered_at,
    d.created_at";

pub struct DeliveryFilter {
    pub client_id: Option<Uuid>,
    pub subscription_id: Option<Uuid>,
    pub status: Option<String>,
    pub event_type: Option<String>,
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// Deliveries newest first (no payloads).
pub fn list_deliveries(
    conn: &mut PgConnection,
    f: &DeliveryFilter,
) -> QueryResult<Vec<DeliveryRow>> {
    diesel::sql_query(format!(
        "SELECT {DELIVERY_COLUMNS}, NULL::jsonb AS payload
           FROM webhook_deliveries d
           JOIN webhook_events e ON e.id = d.event_id
           JOIN webhook_subscriptions s ON s.id = d.subscription_id
          WHERE ($1::uuid IS NULL OR s.client_id = $1)
            AND ($2::uuid IS NULL OR d.subscription_id = $2)
            AND ($3::text IS NULL OR d.status = $3)
            AND ($4::text IS NULL OR e.type = $4)
            AND ($5::timestamptz IS NULL OR (d.created_at, d.id) < ($5, $6))
          ORDER BY d.created_at DESC, d.id DESC
          LIMIT $7"
    ))
    .bind::<Nullable<SqlUuid>, _>(f.client_id)
    .bind::<Nullable<SqlUuid>, _>(f.subscription_id)
    .bind::<Nullable<Text>, _>(f.status.as_deref())
    .bind::<Nullable<Text>, _>(f.event_type.as_deref())
    .bind::<Nullable<Timestamptz>, _>(f.after.map(|a| a.0))
    .bind::<SqlUuid, _>(f.after.map_or(Uuid::nil(), |a| a.1))
    .bind::<BigInt, _>(f.limit)
    .load(conn)
}

/// One delivery with its payload.
pub fn find_delivery(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<DeliveryRow>> {
    diesel::sql_query(format!(
        "SELECT {DELIVERY_COLUMNS}, e.payload
           FROM webhook_deliveries d
           JOIN webhook_events e ON e.id = d.event_id
           JOIN webhook_subscriptions s ON s.id = d.subscription_id
          WHERE d.id = $1"
    ))
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .optional()
}

/// Makes a delivery due now, whatever its status (resend), unless a worker holds it.
/// Answers whether it changed.
pub fn resend(conn: &mut PgConnection, id: Uuid) -> QueryResult<bool> {
    diesel::sql_query(
        "UPDATE webhook_deliveries
            SET status = 'pending', next_attempt_at = now(), leased_until = NULL,
                delivered_at = NULL
          WHERE id = $1 AND (leased_until IS NULL OR leased_until < now())",
    )
    .bind::<SqlUuid, _>(id)
    .execute(conn)
    .map(|n| n == 1)
}

// ---------------------------------------------------------------------------------------------
// The worker's queries

/// A claimed delivery: what the worker needs to POST it.
#[derive(Debug, Clone, QueryableByName)]
pub struct ClaimedRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// The lease: the outcome is recorded only while the row still carries it.
    #[diesel(sql_type = Timestamptz)]
    pub leased_until: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub signing_secret: String,
}

/// Claims up to `limit` due deliveries of active subscriptions for `lease_ms`: rows another
/// transaction is claiming are skipped (`SKIP LOCKED`), rows under a live lease are not due.
pub fn claim_due(
    conn: &mut PgConnection,
    limit: i64,
    lease_ms: i64,
) -> QueryResult<Vec<ClaimedRow>> {
    diesel::sql_query(
        "UPDATE webhook_deliveries d
            SET leased_until = clock_timestamp() + make_interval(secs => $2::float8 / 1000)
           FROM webhook_events e, webhook_subscriptions s
          WHERE d.id IN (
                SELECT d2.id FROM webhook_deliveries d2
                  JOIN webhook_subscriptions s2 ON s2.id = d2.subscription_id AND s2.active
                  JOIN api_clients c2 ON c2.id = s2.client_id AND c2.active
                 WHERE d2.status = 'pending' AND d2.next_attempt_at <= now()
                   AND (d2.leased_until IS NULL OR d2.leased_until < now())
                 ORDER BY d2.next_attempt_at
                 LIMIT $1
                   FOR UPDATE OF d2 SKIP LOCKED)
            AND e.id = d.event_id AND s.id = d.subscription_id
      RETURNING d.id, d.attempts, d.leased_until, e.type AS event_type, e.payload::text AS body,
                s.url, s.signing_secret",
    )
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(lease_ms)
    .load(conn)
}

/// How one attempt went.
pub struct Attempt {
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub response_ms: i32,
    pub at: DateTime<Utc>,
    /// Delivered (2xx).
    pub delivered: bool,
    /// When not delivered: the next attempt, or `None` when attempts are exhausted (failed).
    pub retry_at: Option<DateTime<Utc>>,
}

/// Records an attempt on a delivery still under lease `lease`; answers whether it did (a
/// worker that lost its lease records nothing).
pub fn record_attempt(
    conn: &mut PgConnection,
    id: Uuid,
    lease: DateTime<Utc>,
    a: &Attempt,
) -> QueryResult<bool> {
    let status = if a.delivered {
        "delivered"
    } else if a.retry_at.is_some() {
        "pending"
    } else {
        "failed"
    };
    diesel::sql_query(
        "UPDATE webhook_deliveries
            SET status = $3, attempts = attempts + 1, leased_until = NULL,
                last_attempt_at = $4, last_status_code = $5, last_error = $6, response_ms = $7,
                delivered_at = CASE WHEN $8 THEN $4 ELSE delivered_at END,
                next_attempt_at = coalesce($9, next_attempt_at)
          WHERE id = $1 AND leased_until = $2",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(lease)
    .bind::<Text, _>(status)
    .bind::<Timestamptz, _>(a.at)
    .bind::<Nullable<Integer>, _>(a.status_code)
    .bind::<Nullable<Text>, _>(a.error.as_deref())
    .bind::<Integer, _>(a.response_ms)
    .bind::<Bool, _>(a.delivered)
    .bind::<Nullable<Timestamptz>, _>(a.retry_at)
    .execute(conn)
    .map(|n| n == 1)
}

/// Pending deliveries (for the gauge).
pub fn pending_count(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query("SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'")
        .get_result::<N>(conn)
        .map(|r| r.n)
}
