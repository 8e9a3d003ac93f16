//! Errors on `/fhir`: the one place where [`ApiError`]'s problem bodies become FHIR
//! `OperationOutcome`s. Handlers and extractors under `/fhir` return `ApiError` like everywhere
//! else; this middleware rewrites every `application/problem+json` answer of the scope, keeping
//! the status and the headers (`WWW-Authenticate`, `Retry-After`, `Allow`). A 422 (invalid
//! search parameters) becomes a 400, as FHIR search expects.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use hms_api_types::Problem;

use super::model::{CodeableConcept, Coding, Issue, OperationOutcome, Resource};
use super::FHIR_JSON;

/// The system of the `details` coding: the problem type's slug (`not-found`, `forbidden`, …),
/// the same catalogue as the REST API's problems.
pub const PROBLEM_SYSTEM: &str = "urn:hms:problem";

/// The FHIR `IssueType` for an HTTP status.
pub fn issue_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "invalid",
        401 => "login",
        403 => "forbidden",
        404 => "not-found",
        405 | 406 | 415 => "not-supported",
        409 | 412 => "conflict",
        413 => "too-costly",
        429 => "throttled",
        503 => "transient",
        _ => "exception",
    }
}

/// The OperationOutcome of a problem.
pub fn from_problem(problem: &Problem) -> OperationOutcome {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let slug = problem.kind.rsplit('/').next().unwrap_or("internal");
    let mut issue = vec![Issue {
        severity: "error",
        code: issue_code(status),
        details: Some(CodeableConcept {
            coding: vec![Coding::new(PROBLEM_SYSTEM, slug, Some(&problem.title))],
            text: None,
        }),
        diagnostics: problem
            .detail
            .clone()
            .filter(|d| !d.trim().is_empty())
            .or_else(|| Some(problem.title.clone())),
        expression: Vec::new(),
    }];
    issue.extend(problem.errors.iter().map(|e| Issue {
        severity: "error",
        code: "invalid",
        details: None,
        diagnostics: Some(format!("{}: {}", e.field, e.message)),
        expression: vec![e.field.clone()],
    }));
    OperationOutcome { issue }
}

/// A warning issue (for search parameters that were ignored).
pub fn warning(diagnostics: String) -> Issue {
    Issue {
        severity: "warning",
        code: "not-supported",
        details: None,
        diagnostics: Some(diagnostics),
        expression: Vec::new(),
    }
}

/// Middleware of the `/fhir` scope: problem bodies become OperationOutcomes.
pub async fn problems_as_outcomes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if !is_problem {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let mut status = res.status();
    let headers = res.headers().clone();
    let bytes = body::to_bytes(res.into_body()).await.unwrap_or_default();
    let problem: Problem = serde_json::from_slice(&bytes).unwrap_or(Problem {
        kind: "/problems/internal".to_owned(),
        title: "Internal Server Error".to_owned(),
        status: status.as_u16(),
        detail: None,
        errors: Vec::new(),
        candidates: Vec::new(),
        error: None,
    });
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        status = StatusCode::BAD_REQUEST;
    }
    let mut out = HttpResponse::build(status);
    for (name, value) in headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.append_header((name.clone(), value.clone()));
        }
    }
    let outcome = Resource::OperationOutcome(from_problem(&problem));
    let response = out
        .content_type(FHIR_JSON)
        .body(serde_json::to_vec(&outcome).unwrap_or_default());
    Ok(ServiceResponse::new(req, response))
}
