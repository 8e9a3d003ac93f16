//! Schemas of the OpenAPI document for the FHIR operations. The bodies themselves are FHIR
//! resources (see the FHIR R4 specification); the document describes them as JSON objects and
//! describes the error body, the OperationOutcome, precisely.

use serde::Serialize;
use utoipa::ToSchema;

/// A FHIR R4 resource or searchset Bundle (`application/fhir+json`); its shape is defined by
/// the FHIR R4 specification, <https://hl7.org/fhir/R4/>.
#[derive(Serialize, ToSchema)]
#[schema(as = FhirResource)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDoc {
    /// `Bundle`, `Patient`, `Appointment`, `AllergyIntolerance`, `Condition`,
    /// `MedicationStatement`, `Observation` or `CapabilityStatement`.
    #[schema(example = "Bundle")]
    pub resource_type: String,
}

/// One issue of an OperationOutcome.
#[derive(Serialize, ToSchema)]
#[schema(as = FhirIssue)]
pub struct IssueDoc {
    /// `error` (the request failed) or `warning` (in a search Bundle: an ignored parameter).
    #[schema(example = "error")]
    pub severity: String,
    /// The FHIR IssueType: `invalid` (400), `login` (401), `forbidden` (403), `not-found`
    /// (404), `not-supported` (405), `transient` (503), `exception` (500).
    #[schema(example = "not-found")]
    pub code: String,
    /// What went wrong, for a person.
    #[schema(example = "the patient was not found")]
    pub diagnostics: Option<String>,
    /// `coding[0]`: system `urn:hms:problem`, code = the REST API's problem type slug.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
    /// The parameters a validation issue is about.
    pub expression: Option<Vec<String>>,
}

/// A FHIR R4 OperationOutcome: the body of every error answer under `/fhir/R4`
/// (`application/fhir+json`), with the same status as the REST API would answer.
#[derive(Serialize, ToSchema)]
#[schema(as = FhirOperationOutcome)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcomeDoc {
    #[schema(example = "OperationOutcome")]
    pub resource_type: String,
    pub issue: Vec<IssueDoc>,
}
