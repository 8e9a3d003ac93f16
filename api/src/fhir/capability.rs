//! What the FHIR API implements, in one table: the `metadata` CapabilityStatement is built
//! from it and every search takes its known parameters from it, so the two cannot disagree.

use serde_json::{json, Value};

/// One search parameter: name, FHIR type, documentation.
pub type Param = (&'static str, &'static str, &'static str);

/// One resource type: its name, its search parameters and what it says.
pub struct ResourceCapability {
    pub kind: &'static str,
    pub params: &'static [Param],
    pub documentation: &'static str,
}

const PATIENT_REF: &str =
    "The patient: `Patient/<id>` or `<id>`. A patient account may name only itself (default).";

pub const RESOURCES: [ResourceCapability; 6] = [
    ResourceCapability {
        kind: "Patient",
        params: &[
            ("name", "string", "Any part of the name (given or family), case and accents ignored; typos tolerated; family, then given names starting with it first, then similar names"),
            ("family", "string", "Family name starts with (case and accents ignored)"),
            ("given", "string", "Given name starts with (case and accents ignored)"),
            ("identifier", "token", "The MRN: `urn:hms:mrn|<MRN>` or `<MRN>`"),
            ("birthdate", "date", "Exact birth date `YYYY-MM-DD` (prefix `eq` or none)"),
        ],
        documentation: "The patient registry. identifier: the MRN with system urn:hms:mrn.",
    },
    ResourceCapability {
        kind: "Appointment",
        params: &[
            ("patient", "reference", PATIENT_REF),
            ("date", "date", "Start date, in the hospital's time zone, at day precision; prefixes eq, ge, gt, le, lt; repeat for a range"),
            ("status", "token", "FHIR AppointmentStatus: booked, checked-in, arrived (in progress), fulfilled, cancelled, noshow"),
            ("practitioner", "reference", "`Practitioner/<id>` or `<id>`: the practitioner id of /api/v1/practitioners"),
        ],
        documentation: "Appointments, in start order.",
    },
    ResourceCapability {
        kind: "AllergyIntolerance",
        params: &[("patient", "reference", PATIENT_REF)],
        documentation: "Allergies, newest first; entries entered in error are readable by id (verificationStatus entered-in-error) and left out of searches.",
    },
    ResourceCapability {
        kind: "Condition",
        params: &[("patient", "reference", PATIENT_REF)],
        documentation: "Problems and diagnoses (ICD-10), newest first; entries entered in error are readable by id (verificationStatus entered-in-error) and left out of searches.",
    },
    ResourceCapability {
        kind: "MedicationStatement",
        params: &[("patient", "reference", PATIENT_REF)],
        documentation: "Medications, newest first; entries entered in error are readable by id (status entered-in-error) and left out of searches.",
    },
    ResourceCapability {
        kind: "Observation",
        params: &[
            ("patient", "reference", PATIENT_REF),
            ("category", "token", "Only `vital-signs` (system http://terminology.hl7.org/CodeSystem/observation-category)"),
            ("code", "token", "LOINC code, `http://loinc.org|<code>` or `<code>`: 85354-9 (blood pressure panel), 8867-4, 8310-5, 2708-6, 9279-1, 29463-7, 8302-2, 39156-5"),
            ("date", "date", "When measured (UTC); prefixes eq, ge, gt, le, lt; repeat for a range"),
        ],
        documentation: "Vital signs, newest first: one Observation per measured value (blood pressure as a panel with systolic and diastolic components); id `<vital signs id>-<bp|hr|temp|spo2|rr|weight|height|bmi>`.",
    },
];

/// The known search parameters of `kind`.
pub fn params_of(kind: &str) -> Vec<&'static str> {
    RESOURCES
        .iter()
        .find(|r| r.kind == kind)
        .map(|r| r.params.iter().map(|p| p.0).collect())
        .unwrap_or_default()
}

/// The CapabilityStatement served at `/fhir/R4/metadata`; `base` is the API's absolute base.
pub fn statement(base: &str, date: &str) -> Value {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .map(|r| {
            json!({
                "type": r.kind,
                "documentation": r.documentation,
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "versioning": "no-version",
                "readHistory": false,
                "updateCreate": false,
                "searchParam": r.params.iter().map(|(name, kind, doc)| json!({
                    "name": name,
                    "type": kind,
                    "documentation": doc,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "HMS",
        "kind": "instance",
        "software": {"name": "HMS", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {
            "description": "HMS hospital management system: read-only FHIR R4 API",
            "url": base,
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Read and search only. Results are searchset Bundles with `_count` (default 20, at most 100) and absolute self/first/previous/next links carrying an opaque `_cursor`. Unknown search parameters are ignored with a warning (an OperationOutcome entry), or refused with 400 under `Prefer: handling=strict`. Errors are OperationOutcomes.",
            "security": {
                "cors": false,
                "service": [{
                    "coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "OAuth",
                        "display": "OAuth",
                    }],
                    "text": "Bearer token (no SMART on FHIR)",
                }],
                "description": "Send `Authorization: Bearer <access token>`: a user's token from POST /api/v1/auth/login, or an integration client's token. The same role table as the REST API decides what each caller may read; a patient account reads only its own record. Only this statement is public.",
            },
            "resource": resources,
        }],
    })
}
