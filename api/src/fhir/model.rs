//! The FHIR R4 (4.0.1) resources HMS serves, as typed serde structs: only the elements HMS
//! fills. Every optional element is left out when empty, as FHIR JSON requires (no `null`s, no
//! empty arrays). The tests validate what these produce against the official R4 JSON schema.
//!
//! Why not a FHIR model crate: `fhirbolt` (the R4 one) generates every resource and data type
//! of the specification and did not build within the time budget on the project's 2-core
//! machines; `fhir-sdk` supports R4B and R5, not R4. HMS serves six resources read-only.

use serde::Serialize;

/// `Coding`: a code in a code system.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Coding {
    pub system: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Coding {
    pub fn new(system: &str, code: &str, display: Option<&str>) -> Self {
        Coding {
            system: system.to_owned(),
            code: code.to_owned(),
            display: display.map(str::to_owned),
        }
    }
}

/// `CodeableConcept`: codings and/or text.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    pub fn coded(system: &str, code: &str, display: Option<&str>) -> Self {
        CodeableConcept {
            coding: vec![Coding::new(system, code, display)],
            text: None,
        }
    }

    pub fn text(text: impl Into<String>) -> Self {
        CodeableConcept {
            coding: Vec::new(),
            text: Some(text.into()),
        }
    }
}

/// `Reference`: a literal reference (`Patient/<id>`) and/or a display text.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// `Identifier`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Identifier {
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<&'static str>,
    pub system: String,
    pub value: String,
}

/// `HumanName`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct HumanName {
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
}

/// `ContactPoint`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ContactPoint {
    pub system: &'static str,
    pub value: String,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<&'static str>,
}

/// `Address`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Address {
    pub fn is_empty(&self) -> bool {
        self == &Address::default()
    }
}

/// `Period`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Period {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// `Quantity` with a UCUM unit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Quantity {
    pub value: f64,
    pub unit: &'static str,
    pub system: &'static str,
    pub code: &'static str,
}

/// `Annotation` (text only).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Annotation {
    pub text: String,
}

/// `Meta`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
}

/// `Patient.contact` (the emergency contact).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PatientContact {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relationship: Vec<CodeableConcept>,
    pub name: HumanName,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
}

/// `Patient.communication`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PatientCommunication {
    pub language: CodeableConcept,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    pub id: String,
    pub meta: Meta,
    pub identifier: Vec<Identifier>,
    pub active: bool,
    pub name: Vec<HumanName>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    pub gender: &'static str,
    pub birth_date: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contact: Vec<PatientContact>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub communication: Vec<PatientCommunication>,
}

/// `Appointment.participant`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentParticipant {
    #[serde(rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    pub actor: Reference,
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Appointment {
    pub id: String,
    pub meta: Meta,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelation_reason: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_type: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub start: String,
    pub end: String,
    pub created: String,
    pub participant: Vec<AppointmentParticipant>,
}

/// `AllergyIntolerance.reaction`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AllergyReaction {
    pub manifestation: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AllergyIntolerance {
    pub id: String,
    pub meta: Meta,
    /// Absent when the entry is entered in error (FHIR invariant ait-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical_status: Option<CodeableConcept>,
    pub verification_status: CodeableConcept,
    pub criticality: &'static str,
    pub code: CodeableConcept,
    pub patient: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onset_date_time: Option<String>,
    pub recorded_date: String,
    pub recorder: Reference,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reaction: Vec<AllergyReaction>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    pub id: String,
    pub meta: Meta,
    /// Absent when the entry is entered in error (FHIR invariant con-5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical_status: Option<CodeableConcept>,
    pub verification_status: CodeableConcept,
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    pub subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onset_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abatement_date_time: Option<String>,
    pub recorded_date: String,
    pub recorder: Reference,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
}

/// `Dosage` (as text, with the route).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dosage {
    pub text: String,
    pub route: CodeableConcept,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MedicationStatement {
    pub id: String,
    pub meta: Meta,
    pub status: &'static str,
    pub medication_codeable_concept: CodeableConcept,
    pub subject: Reference,
    pub effective_period: Period,
    pub date_asserted: String,
    pub information_source: Reference,
    pub dosage: Vec<Dosage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
}

/// `Observation.component`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObservationComponent {
    pub code: CodeableConcept,
    pub value_quantity: Quantity,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    pub id: String,
    pub meta: Meta,
    pub status: &'static str,
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    pub subject: Reference,
    pub effective_date_time: String,
    pub issued: String,
    pub performer: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub component: Vec<ObservationComponent>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
}

/// `OperationOutcome.issue`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Issue {
    pub severity: &'static str,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OperationOutcome {
    pub issue: Vec<Issue>,
}

/// Any resource HMS serves, tagged with its `resourceType`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "resourceType")]
pub enum Resource {
    Patient(Patient),
    Appointment(Appointment),
    AllergyIntolerance(AllergyIntolerance),
    Condition(Condition),
    MedicationStatement(MedicationStatement),
    Observation(Observation),
    OperationOutcome(OperationOutcome),
}

impl Resource {
    /// `Type/id`, for `fullUrl`; `None` for an OperationOutcome.
    pub fn local_reference(&self) -> Option<String> {
        let (kind, id) = match self {
            Resource::Patient(r) => ("Patient", &r.id),
            Resource::Appointment(r) => ("Appointment", &r.id),
            Resource::AllergyIntolerance(r) => ("AllergyIntolerance", &r.id),
            Resource::Condition(r) => ("Condition", &r.id),
            Resource::MedicationStatement(r) => ("MedicationStatement", &r.id),
            Resource::Observation(r) => ("Observation", &r.id),
            Resource::OperationOutcome(_) => return None,
        };
        Some(format!("{kind}/{id}"))
    }
}

/// `Bundle.link`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BundleLink {
    pub relation: &'static str,
    pub url: String,
}

/// `Bundle.entry.search`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntrySearch {
    pub mode: &'static str,
}

/// `Bundle.entry`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    pub resource: Resource,
    pub search: EntrySearch,
}

/// A `searchset` Bundle.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub resource_type: &'static str,
    #[serde(rename = "type")]
    pub type_: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    pub link: Vec<BundleLink>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}
