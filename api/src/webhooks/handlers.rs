//! `/api/v1/webhooks/…`: subscriptions, ping, the delivery log and resend.

use actix_web::{delete, get, http::header, patch, post, web, HttpRequest, HttpResponse};
use hms_api_types::webhooks::{
    DeliveryStatus, NewWebhookSubscription, WebhookDelivery, WebhookDeliveryPage,
    WebhookSubscription, WebhookSubscriptionPage, WebhookSubscriptionPatch,
};
use hms_api_types::Problem;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::service::{self, DeliveryQuery};
use crate::audit::RequestMeta;
use crate::auth::{can, Authorized};
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::{etag, expected_version, Json};
use crate::idempotency::{self, mark_replayed};

/// Mounted at `/webhooks`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_subscriptions)
        .service(create_subscription)
        .service(get_subscription)
        .service(update_subscription)
        .service(delete_subscription)
        .service(ping_subscription)
        .service(list_deliveries)
        .service(get_delivery)
        .service(resend_delivery);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionListParams {
    /// Only this client's subscriptions (administrators).
    client_id: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// Webhook subscriptions, newest first: every client's for an administrator, its own for an
/// API client. The signing secrets are not shown.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(SubscriptionListParams),
    responses((status = 200, description = "One page of subscriptions", body = WebhookSubscriptionPage)),
)]
#[get("/subscriptions")]
async fn list_subscriptions(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageWebhooks>,
    params: web::Query<SubscriptionListParams>,
) -> Result<web::Json<WebhookSubscriptionPage>, ApiError> {
    let user = *user;
    let p = params.into_inner();
    Ok(web::Json(
        db::read(&pool, move |conn| {
            service::list(conn, &user, p.client_id, p.limit, p.cursor)
        })
        .await?,
    ))
}

/// Subscribe a client to events: HMS POSTs each one to `url`, signed with the
/// `signing_secret` of the answer (shown this once). An administrator names the `client_id`;
/// an API client subscribes itself. The client needs the read scope of each event type.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    request_body = NewWebhookSubscription,
    responses(
        (status = 201, description = "Subscribed; the only answer with the signing secret", body = WebhookSubscription,
            headers(("Location" = String), ("ETag" = String))),
        (status = 404, description = "An API client naming another client", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/subscriptions")]
async fn create_subscription(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageWebhooks>,
    meta: RequestMeta,
    req: HttpRequest,
    body: Json<NewWebhookSubscription>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let done = idempotency::run(
        &pool,
        &req,
        user.id,
        body.into_inner(),
        move |conn, input| service::create(conn, &user, &meta, input),
    )
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Created(), done.replayed)
        .insert_header((
            header::LOCATION,
            format!("/api/v1/webhooks/subscriptions/{}", done.value.id),
        ))
        .insert_header((header::ETAG, etag(done.value.version)))
        .json(done.value))
}

/// One subscription (without its secret).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("subscription_id" = Uuid, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "The subscription", body = WebhookSubscription, headers(("ETag" = String))),
        (status = 404, description = "No such subscription (or another client's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/subscriptions/{subscription_id}")]
async fn get_subscription(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageWebhooks>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let id = path.into_inner();
    let found = db::read(&pool, move |conn| service::get(conn, &user, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Change a subscription's URL, events, description or whether it is active (pending
/// deliveries of an inactive subscription wait until it is active again). Needs the version
/// read, as `If-Match` or `version`.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(
        ("subscription_id" = Uuid, Path, description = "Subscription id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the subscription as read"),
    ),
    request_body = WebhookSubscriptionPatch,
    responses(
        (status = 200, description = "Changed", body = WebhookSubscription, headers(("ETag" = String))),
        (status = 404, description = "No such subscription (or another client's)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No version given", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/subscriptions/{subscription_id}")]
async fn update_subscription(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageWebhooks>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<WebhookSubscriptionPatch>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let id = path.into_inner();
    let input = body.into_inner();
    let version = expected_version(&req, input.version)?;
    let done = idempotency::run(&pool, &req, user.id, input, move |conn, input| {
        service::update(conn, &user, &meta, id, version, input)
    })
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Ok(), done.replayed)
        .insert_header((header::ETAG, etag(done.value.version)))
        .json(done.value))
}

/// Delete a subscription and its delivery log. Nothing more is sent to it.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("subscription_id" = Uuid, Path, description = "Subscription id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such subscription (or another client's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/subscriptions/{subscription_id}")]
async fn delete_subscription(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageWebhooks>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let id = path.into_inner();
    let done = idempotency::run(&pool, &req, user.id, (), move |conn, ()| {
        service::delete(conn, &user, &meta, id)
    })
    .await?;
    Ok(mark_replayed(&mut HttpResponse::NoContent(), done.replayed).finish())
}

/// Send a test event (`ping`, data `{subscription_id}`) to this subscription now; answers its
/// delivery, to follow in the log.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("subscription_id" = Uuid, Path, description = "Subscription id")),
    responses(
        (status = 202, description = "Queued", body = WebhookDelivery, headers(("Location" = String))),
        (status = 404, description = "No such subscription (or another client's)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The subscription is not active", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/subscriptions/{subscription_id}/ping")]
async fn ping_subscription(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageWebhooks>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let id = path.into_inner();
    let done = idempotency::run(&pool, &req, user.id, (), move |conn, ()| {
        service::ping(conn, &user, &meta, id)
    })
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Accepted(), done.replayed)
        .insert_header((
            header::LOCATION,
            format!("/api/v1/webhooks/deliveries/{}", done.value.id),
        ))
        .json(done.value))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListParams {
    subscription_id: Option<Uuid>,
    status: Option<DeliveryStatus>,
    /// An event type, e.g. `appointment.booked` (or `ping`).
    #[param(max_length = 100)]
    event_type: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

/// The delivery log, newest first: status, attempts, the last answer's status code, error and
/// time. Payloads are in the single-delivery view.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(DeliveryListParams),
    responses((status = 200, description = "One page of deliveries", body = WebhookDeliveryPage)),
)]
#[get("/deliveries")]
async fn list_deliveries(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageWebhooks>,
    params: web::Query<DeliveryListParams>,
) -> Result<web::Json<WebhookDeliveryPage>, ApiError> {
    let user = *user;
    let p = params.into_inner();
    let query = DeliveryQuery {
        subscription_id: p.subscription_id,
        status: p.status,
        event_type: p.event_type,
        limit: p.limit,
        cursor: p.cursor,
    };
    Ok(web::Json(
        db::read(&pool, move |conn| {
            service::list_deliveries(conn, &user, query)
        })
        .await?,
    ))
}

/// One delivery, with the payload sent.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("delivery_id" = Uuid, Path, description = "Delivery id (X-HMS-Delivery)")),
    responses(
        (status = 200, description = "The delivery", body = WebhookDelivery),
        (status = 404, description = "No such delivery (or another client's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/deliveries/{delivery_id}")]
async fn get_delivery(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageWebhooks>,
    path: web::Path<Uuid>,
) -> Result<web::Json<WebhookDelivery>, ApiError> {
    let user = *user;
    let id = path.into_inner();
    Ok(web::Json(
        db::read(&pool, move |conn| service::get_delivery(conn, &user, id)).await?,
    ))
}

/// Attempt a delivery again now, whatever its status (a failed one gets one more attempt).
/// The receiver gets the same `X-HMS-Delivery` id again.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("delivery_id" = Uuid, Path, description = "Delivery id")),
    responses(
        (status = 202, description = "Due now", body = WebhookDelivery),
        (status = 404, description = "No such delivery (or another client's)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Being attempted right now", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/deliveries/{delivery_id}/resend")]
async fn resend_delivery(
    pool: web::Data<DbPool>,
    user: Authorized<can::ManageWebhooks>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = *user;
    let id = path.into_inner();
    let done = idempotency::run(&pool, &req, user.id, (), move |conn, ()| {
        service::resend(conn, &user, &meta, id)
    })
    .await?;
    Ok(mark_replayed(&mut HttpResponse::Accepted(), done.replayed).json(done.value))
}
