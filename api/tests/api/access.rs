//! Walks the role table: every protected endpoint, every role. A new secured endpoint that is
//! not listed here fails `every_secured_operation_is_covered_by_the_walk`.

use std::ops::Deref;

use hms_api_types::{Permission, Role, Scope, ScopeSet};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::TestApp;

/// One protected operation: method, OpenAPI path, body, the permission it needs, and whether
/// it is about one patient's record (then a patient account is answered 404, not 403).
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub body: Option<Value>,
    pub permission: Permission,
    pub patient_scoped: bool,
}

pub const fn ep(method: &'static str, path: &'static str, permission: Permission) -> Endpoint {
    Endpoint {
        method,
        path,
        body: None,
        permission,
        patient_scoped: false,
    }
}

/// One operation of the walk: an [`Endpoint`] and, for the endpoints a patient account may use
/// on its own appointments, a second permission that grants it too (`or_permission`). A role
/// holding either is allowed; the service then decides whose data it may touch (a patient
/// asking about someone else's appointment gets 404, see `appointments.rs`).
pub struct Operation {
    pub endpoint: Endpoint,
    pub or_permission: Option<Permission>,
}

impl Operation {
    /// Whether the role table lets `role` call this operation at all.
    pub fn allows(&self, role: Role) -> bool {
        role.can(self.endpoint.permission) || self.or_permission.is_some_and(|p| role.can(p))
    }

    /// Whether the role table lets an API client holding `scopes` call this operation.
    pub fn allows_scopes(&self, scopes: ScopeSet) -> bool {
        scopes.can(self.endpoint.permission) || self.or_permission.is_some_and(|p| scopes.can(p))
    }
}

impl Deref for Operation {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl From<Endpoint> for Operation {
    fn from(endpoint: Endpoint) -> Self {
        Operation {
            endpoint,
            or_permission: None,
        }
    }
}

/// `endpoint`, also granted by `or_permission`.
pub fn either(endpoint: Endpoint, or_permission: Permission) -> Operation {
    Operation {
        endpoint,
        or_permission: Some(or_permission),
    }
}

/// Every protected operation. Paths use `{patient_id}` for a patient's record and `{id}` (or
/// `{practitioner_id}`, `{appointment_id}`, …) for any other id; all are filled in by the walk.
pub fn protected() -> Vec<Operation> {
    use Permission::*;
    let with_body = |mut e: Endpoint| {
        e.body = Some(json!({}));
        e
    };
    let scoped = |mut e: Endpoint| {
        e.patient_scoped = true;
        e
    };
    let mut all: Vec<Operation> = vec![
        ep("GET", "/api/v1/users", ManageUsers),
        with_body(ep("POST", "/api/v1/users", ManageUsers)),
        ep("GET", "/api/v1/users/{id}", ManageUsers),
        with_body(ep("PATCH", "/api/v1/users/{id}", ManageUsers)),
        ep("GET", "/api/v1/me", UseOwnAccount),
        with_body(ep("POST", "/api/v1/me/password", UseOwnAccount)),
        ep("GET", "/api/v1/me/pending-writes", UseOwnAccount),
        ep("GET", "/health/db", ViewOperations),
        ep("GET", "/api/v1/patients", ReadDemographics),
        with_body(ep("POST", "/api/v1/patients", RegisterPatients)),
        scoped(ep("GET", "/api/v1/patients/{patient_id}", ReadDemographics)),
        scoped(with_body(ep(
            "PATCH",
            "/api/v1/patients/{patient_id}",
            RegisterPatients,
        ))),
        scoped(ep(
            "POST",
            "/api/v1/patients/{patient_id}/deactivate",
            DeactivatePatients,
        )),
        scoped(ep(
            "POST",
            "/api/v1/patients/{patient_id}/reactivate",
            DeactivatePatients,
        )),
        scoped(ep(
            "GET",
            "/api/v1/patients/{patient_id}/access-log",
            ReadAccessLog,
        )),
        ep("GET", "/api/v1/integrations/clients", ManageIntegrations),
        with_body(ep(
            "POST",
            "/api/v1/integrations/clients",
            ManageIntegrations,
        )),
        ep(
            "GET",
            "/api/v1/integrations/clients/{id}",
            ManageIntegrations,
        ),
        with_body(ep(
            "PATCH",
            "/api/v1/integrations/clients/{id}",
            ManageIntegrations,
        )),
        ep(
            "POST",
            "/api/v1/integrations/clients/{id}/disable",
            ManageIntegrations,
        ),
        ep(
            "POST",
            "/api/v1/integrations/clients/{id}/enable",
            ManageIntegrations,
        ),
        ep(
            "POST",
            "/api/v1/integrations/clients/{id}/rotate-secret",
            ManageIntegrations,
        ),
        ep("GET", "/api/v1/operations/backups", ViewOperations),
        ep("GET", "/api/v1/operations/maintenance", ViewOperations),
    ]
    .into_iter()
    .map(Operation::from)
    .collect::<Vec<_>>();
    all.extend(crate::records::protected().into_iter().map(Operation::from));
    all.extend(crate::appointments::protected());
    all.extend(crate::inventory::protected());
    all.extend(crate::incidents::protected());
    all.extend(crate::webhooks::protected());
    all.extend(crate::fhir::protected());
    all
}

/// The path with `{patient_id}` set to `patient` and every other `{…}` to a fresh id.
fn concrete(path: &str, patient: Uuid) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        if &rest[open..close] == "{patient_id}" {
            out.push_str(&patient.to_string());
        } else {
            out.push_str(&Uuid::new_v4().to_string());
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

#[actix_rt::test]
async fn every_role_gets_exactly_what_the_role_table_grants() {
    let app = TestApp::spawn().await;
    let patient = app.create_patient("Walk", "Through");

    // API clients (role `integration`) are walked by scope below.
    for role in Role::PEOPLE {
        let token = app.token(role);
        for e in protected() {
            let path = concrete(e.path, patient);
            let body = e
                .body
                .as_ref()
                .map(|b| b.to_string().into_bytes())
                .unwrap_or_default();
            let reply = app
                .send_raw(e.method, &path, Some(&token), "application/json", body)
                .await;
            let who = format!("{role} {} {}", e.method, e.path);
            if e.allows(role) {
                assert!(
                    ![401, 403].contains(&reply.status),
                    "{who} must be allowed, got {}",
                    reply.status
                );
                assert!(
                    reply.status < 500,
                    "{who} must not fail, got {}: {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            } else if role == Role::Patient && e.patient_scoped {
                reply.assert_error(e.path, 404, "not-found");
            } else {
                assert_eq!(reply.status, 403, "{who} must be forbidden");
                reply.assert_error(e.path, 403, "forbidden");
            }
        }
    }
}

#[actix_rt::test]
async fn a_client_holding_one_scope_gets_exactly_what_the_table_maps_to_that_scope() {
    let app = TestApp::spawn().await;
    let patient = app.create_patient("Walk", "Through");
    let admin = app.token(Role::Admin);

    for scope in Scope::ALL {
        let client = crate::clients::register(&app, &admin, &[scope.as_str()], 100_000).await;
        let token = crate::clients::token_for(&app, &client).await;
        let scopes: ScopeSet = [scope].into_iter().collect();
        for e in protected() {
            let path = concrete(e.path, patient);
            let body = e
                .body
                .as_ref()
                .map(|b| b.to_string().into_bytes())
                .unwrap_or_default();
            let reply = app
                .send_raw(e.method, &path, Some(&token), "application/json", body)
                .await;
            let who = format!("{scope} {} {}", e.method, e.path);
            if e.allows_scopes(scopes) {
                assert!(
                    ![401, 403].contains(&reply.status),
                    "{who} must be allowed, got {}: {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
                assert!(
                    reply.status < 500,
                    "{who} must not fail, got {}: {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            } else {
                assert_eq!(reply.status, 403, "{who} must be forbidden");
                reply.assert_error(e.path, 403, "forbidden");
            }
        }
    }
}

#[actix_rt::test]
async fn a_patient_account_reads_its_own_record_but_no_one_elses() {
    let app = TestApp::spawn().await;
    let own = app.create_patient("Own", "Record");
    let other = app.create_patient("Someone", "Else");
    let token = app.patient_token(own);

    for e in protected()
        .into_iter()
        .filter(|e| e.patient_scoped && e.method == "GET" && e.permission.is_record_read())
    {
        if e.path.matches('{').count() > 1 {
            continue; // entry-level reads are covered with real entries in records.rs
        }
        let mine = app.get(&concrete(e.path, own), Some(&token)).await;
        let theirs = app.get(&concrete(e.path, other), Some(&token)).await;

        assert_eq!(mine.status, 200, "own {}", e.path);
        theirs.assert_error(e.path, 404, "not-found");
    }
}

#[actix_rt::test]
async fn every_secured_operation_is_covered_by_the_walk() {
    let doc = hms_api::openapi::document();
    let walked: Vec<(String, String)> = protected()
        .into_iter()
        .map(|e| (e.method.to_owned(), e.path.to_owned()))
        .collect();

    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                let normalized = path.replace("{user_id}", "{id}");
                assert!(
                    walked.contains(&(method.to_owned(), normalized.clone())),
                    "{method} {path} is secured but not in the role walk"
                );
            }
        }
    }
}
