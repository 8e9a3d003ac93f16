//! The OpenAPI document, generated from the handlers' annotations.
//!
//! `utoipa-actix-web` collects every path registered in [`crate::routes::mount`]; [`document`]
//! then adds the responses every operation shares (problem bodies for 400, 401, 403, 413, 415,
//! 422, 500, 503) so that each handler only declares its own, and the `Idempotency-Key` header
//! of every mutation (see [`crate::idempotency`]). The committed copy in `openapi/openapi.json`
//! is checked against this by a test.

use actix_web::App;
use hms_api_types::{FieldError, Problem};

use crate::fhir::doc::{IssueDoc, OperationOutcomeDoc, ResourceDoc};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder, Schema, Type,
};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "HMS API",
        description = "Hospital management: patients and records, appointments, inventory, and the \
operations that keep it running while its database fails.\n\n\
Sign in with `POST /api/v1/auth/login` (people) or `POST /api/v1/auth/token` (API clients, \
OAuth 2.0 client credentials), then send `Authorization: Bearer <access_token>`. \
Every error is an RFC 9457 `application/problem+json` body with a stable `type`. \
Lists are paginated with `limit` and an opaque `cursor`. \
Updates need the version you read, as `If-Match` or a `version` field.",
        license(name = "AGPL-3.0-or-later")
    ),
    tags(
        (name = "auth", description = "Sign in, refresh and sign out"),
        (name = "account", description = "Your own account"),
        (name = "users", description = "User accounts (administrators)"),
        (name = "integrations", description = "API clients: OAuth 2.0 client credentials with scopes, rate limits, secret rotation (administrators)"),
        (name = "patients", description = "Patient registry: registration, search, demographics, access log"),
        (name = "records", description = "The medical record: allergies, conditions, medications, vital signs, encounters and notes, lab results, summary"),
        (name = "scheduling", description = "Departments, practitioners, working hours, leave and free slots"),
        (name = "appointments", description = "Booking (never double), browsing, the status workflow"),
        (name = "inventory", description = "Items, locations, lots and expiry, the stock ledger, shortages"),
        (name = "operations", description = "Health checks, metrics, backups with their restore tests, maintenance runs"),
        (name = "status", description = "The public status page, component states and their overrides, incidents with their timeline and postmortem"),
        (name = "webhooks", description = "Webhook subscriptions of API clients, signed deliveries with retries, the delivery log and resend"),
        (name = "FHIR R4", description = "Read-only FHIR R4 (4.0.1) API under /fhir/R4: Patient, Appointment, AllergyIntolerance, Condition, MedicationStatement, Observation (vital signs); `application/fhir+json`; errors are OperationOutcomes"),
    ),
    components(schemas(Problem, FieldError, OperationOutcomeDoc, IssueDoc, ResourceDoc)),
)]
struct ApiDoc;

/// The complete document, as served at `/api-docs/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_app, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::mount)
        .split_for_parts();
    with_idempotency_keys(with_shared_responses(api))
}

/// The document as pretty JSON with a trailing newline, exactly as committed.
pub fn document_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

const SHARED: [(&str, &str, &str); 8] = [
    (
        "400",
        "BadRequest",
        "The request is malformed: bad JSON syntax or an invalid parameter",
    ),
    (
        "401",
        "Unauthorized",
        "No valid access token: sign in, or refresh the token",
    ),
    ("403", "Forbidden", "Your role does not allow this"),
    ("413", "PayloadTooLarge", "The request body is too large"),
    (
        "415",
        "UnsupportedMediaType",
        "The request body must be application/json",
    ),
    (
        "422",
        "ValidationFailed",
        "Some fields are invalid; `errors` lists them",
    ),
    (
        "500",
        "InternalError",
        "Something failed on the server; nothing about it is disclosed",
    ),
    (
        "503",
        "DatabaseUnavailable",
        "The database cannot be reached; nothing was saved. Retry after `Retry-After` seconds",
    ),
];

/// The shared answers that FHIR operations can give, as OperationOutcomes.
const FHIR_SHARED: [&str; 5] = [
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "InternalError",
    "DatabaseUnavailable",
];

fn with_shared_responses(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    for (_, name, description) in SHARED {
        let mut response = ResponseBuilder::new().description(description).content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        );
        if name == "DatabaseUnavailable" {
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::Integer))
                    .description(Some("Seconds to wait before retrying"))
                    .build(),
            );
        }
        components
            .responses
            .insert(name.to_owned(), RefOr::T(response.build()));
        // The same answers under /fhir carry an OperationOutcome (422 becomes 400 there).
        if FHIR_SHARED.contains(&name) {
            let mut response = ResponseBuilder::new().description(description).content(
                "application/fhir+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("FhirOperationOutcome")))
                    .build(),
            );
            if name == "DatabaseUnavailable" {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(ObjectBuilder::new().schema_type(Type::Integer))
                        .description(Some("Seconds to wait before retrying"))
                        .build(),
                );
            }
            components
                .responses
                .insert(format!("Fhir{name}"), RefOr::T(response.build()));
        }
    }

    for (path, item) in api.paths.paths.iter_mut() {
        let touches_database = path != "/health/live" && path != "/fhir/R4/metadata";
        let fhir = path.starts_with("/fhir/");
        let ops = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ];
        for op in ops.into_iter().flatten() {
            let params = op.parameters.as_deref().unwrap_or_default();
            let has_input = op.request_body.is_some()
                || params
                    .iter()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query));
            let mut wanted = vec!["500"];
            if touches_database {
                wanted.push("503");
            }
            if has_input {
                wanted.push("400");
                if !fhir {
                    wanted.push("422");
                }
            }
            if op.request_body.is_some() {
                wanted.extend(["413", "415"]);
            }
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                wanted.extend(["401", "403"]);
            }
            for (status, name, _) in SHARED {
                if wanted.contains(&status) {
                    let name = if fhir {
                        format!("Fhir{name}")
                    } else {
                        name.to_owned()
                    };
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| {
                            RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
                        });
                }
            }
        }
    }
    api
}

/// Adds the optional `Idempotency-Key` header to every POST, PUT, PATCH and DELETE outside
/// `/api/v1/auth/` (sign-in, refresh and sign-out are not resource changes; a refresh token is
/// single-use by itself), and `Idempotent-Replayed` to their 2xx answers. An operation that
/// declares the header itself keeps its description and gets the common schema.
fn with_idempotency_keys(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    for (path, item) in api.paths.paths.iter_mut() {
        if path.starts_with("/api/v1/auth/") {
            continue;
        }
        let mutations = [
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ];
        for op in mutations.into_iter().flatten() {
            add_idempotency_key(op);
        }
    }
    api
}

fn add_idempotency_key(op: &mut Operation) {
    let params = op.parameters.get_or_insert_with(Vec::new);
    match params
        .iter_mut()
        .find(|p| p.name == "Idempotency-Key" && p.parameter_in == ParameterIn::Header)
    {
        Some(declared) => declared.schema = Some(idempotency_key_schema()),
        None => params.push(idempotency_key_parameter()),
    }
    for (status, response) in op.responses.responses.iter_mut() {
        if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
            response
                .headers
                .entry(crate::idempotency::REPLAYED.to_owned())
                .or_insert_with(|| {
                    HeaderBuilder::new()
                        .schema(ObjectBuilder::new().schema_type(Type::String))
                        .description(Some(
                            "`true` when this is the stored answer to an earlier request with \
                             the same `Idempotency-Key`",
                        ))
                        .build()
                });
        }
    }
}

fn idempotency_key_parameter() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Any string unique to this change, e.g. a UUID. A retry with the same key (after a \
             timeout or a lost answer) gets the first answer again, with \
             `Idempotent-Replayed: true`, instead of making the change twice; reusing the key for \
             a different request is a 422. Keys are per account and kept 24 hours.",
        ))
        .schema(Some(idempotency_key_schema()))
        .build()
}

/// What `idempotency::key_from` accepts: 1 to 200 visible ASCII characters.
fn idempotency_key_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(200))
        .pattern(Some("^[!-~]+$"))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secured_operation_documents_401_and_403() {
        let doc = document();

        let item = &doc.paths.paths["/api/v1/users"];
        let get = item.get.as_ref().unwrap();

        assert!(get.responses.responses.contains_key("401"));
        assert!(get.responses.responses.contains_key("403"));
    }

    #[test]
    fn the_login_operation_is_public() {
        let doc = document();

        let login = doc.paths.paths["/api/v1/auth/login"].post.as_ref().unwrap();

        assert!(login.security.is_none());
        assert!(!login.responses.responses.contains_key("403"));
    }

    #[test]
    fn mutations_take_an_idempotency_key_except_the_sign_in_operations() {
        let doc = document();
        let key = |op: &Operation| {
            op.parameters
                .iter()
                .flatten()
                .filter(|p| p.name == "Idempotency-Key")
                .count()
        };

        let allergies = &doc.paths.paths["/api/v1/patients/{patient_id}/allergies"];
        let booking = &doc.paths.paths["/api/v1/appointments"];
        let login = &doc.paths.paths["/api/v1/auth/login"];

        assert_eq!(key(allergies.post.as_ref().unwrap()), 1);
        assert_eq!(key(allergies.get.as_ref().unwrap()), 0);
        assert_eq!(key(booking.post.as_ref().unwrap()), 1, "declared once");
        assert_eq!(key(login.post.as_ref().unwrap()), 0);
    }
}
