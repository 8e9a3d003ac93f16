//! HMS's domain types → FHIR R4 resources. Pure functions: no database, no HTTP.
//!
//! Code systems used:
//! - the MRN: [`MRN_SYSTEM`] (`urn:hms:mrn`);
//! - departments: [`DEPARTMENT_SYSTEM`] (`urn:hms:department`, code = the department id);
//! - conditions: ICD-10 (`http://hl7.org/fhir/sid/icd-10`);
//! - vital signs: LOINC, units in UCUM.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use hms_api_types::appointments::{Appointment as DomainAppointment, AppointmentStatus};
use hms_api_types::patients::{Patient as DomainPatient, Sex};
use hms_api_types::records::{
    Allergy, AllergySeverity, ClinicalStatus, Condition as DomainCondition, Medication,
    MedicationRoute, MedicationStatus, VitalSigns,
};

use super::model::*;

/// The identifier system of the medical record number.
pub const MRN_SYSTEM: &str = "urn:hms:mrn";
/// The code system of departments (code = department id).
pub const DEPARTMENT_SYSTEM: &str = "urn:hms:department";
pub const LOINC: &str = "http://loinc.org";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const ALLERGY_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
const ALLERGY_VERIFICATION: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const CONDITION_VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const CONDITION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
const PARTICIPATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

/// A FHIR `dateTime`/`instant`: UTC, whole seconds or with fractions as stored.
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn meta(version: Option<i32>, updated: Option<DateTime<Utc>>) -> Meta {
    Meta {
        version_id: version.map(|v| v.to_string()),
        last_updated: updated.map(instant),
    }
}

/// A non-empty, trimmed text (FHIR strings may not be empty).
fn text(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn patient_ref(id: uuid::Uuid, display: Option<&str>) -> Reference {
    Reference {
        reference: Some(format!("Patient/{id}")),
        display: text(display),
    }
}

fn display_ref(display: &str) -> Reference {
    Reference {
        reference: None,
        display: text(Some(display)),
    }
}

fn notes(note: Option<&str>) -> Vec<Annotation> {
    text(note)
        .map(|text| Annotation { text })
        .into_iter()
        .collect()
}

pub fn patient(p: &DomainPatient) -> Patient {
    let mut telecom = Vec::new();
    if let Some(phone) = text(p.phone.as_deref()) {
        telecom.push(ContactPoint {
            system: "phone",
            value: phone,
            use_: None,
        });
    }
    if let Some(email) = text(p.email.as_deref()) {
        telecom.push(ContactPoint {
            system: "email",
            value: email,
            use_: None,
        });
    }
    let address = Address {
        line: text(p.address.line.as_deref()).into_iter().collect(),
        city: text(p.address.city.as_deref()),
        postal_code: text(p.address.postal_code.as_deref()),
        country: text(p.address.country.as_deref()),
    };
    let contact = p
        .emergency_contact
        .as_ref()
        .map(|c| PatientContact {
            relationship: text(c.relationship.as_deref())
                .map(CodeableConcept::text)
                .into_iter()
                .collect(),
            name: HumanName {
                text: text(Some(&c.name)),
                ..HumanName::default()
            },
            telecom: text(Some(&c.phone))
                .map(|value| ContactPoint {
                    system: "phone",
                    value,
                    use_: None,
                })
                .into_iter()
                .collect(),
        })
        .into_iter()
        .collect();
    Patient {
        id: p.id.to_string(),
        meta: meta(Some(p.version), Some(p.updated_at)),
        identifier: vec![Identifier {
            use_: Some("usual"),
            system: MRN_SYSTEM.to_owned(),
            value: p.mrn.clone(),
        }],
        active: p.active,
        name: vec![HumanName {
            use_: Some("official"),
            text: text(Some(&format!("{} {}", p.given_name, p.family_name))),
            family: text(Some(&p.family_name)),
            given: text(Some(&p.given_name)).into_iter().collect(),
        }],
        telecom,
        gender: match p.sex {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        },
        birth_date: date(p.birth_date),
        address: if address.is_empty() {
            Vec::new()
        } else {
            vec![address]
        },
        contact,
        communication: text(p.preferred_language.as_deref())
            .map(|code| PatientCommunication {
                language: CodeableConcept::coded("urn:ietf:bcp:47", &code, None),
            })
            .into_iter()
            .collect(),
    }
}

/// HMS appointment status → FHIR `AppointmentStatus`.
pub fn appointment_status(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::CheckedIn => "checked-in",
        AppointmentStatus::InProgress => "arrived",
        AppointmentStatus::Completed => "fulfilled",
        AppointmentStatus::Cancelled => "cancelled",
        AppointmentStatus::NoShow => "noshow",
    }
}

/// Every FHIR R4 `AppointmentStatus` code.
pub const FHIR_APPOINTMENT_STATUSES: [&str; 10] = [
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
];

/// The department name, when known, for `serviceType`.
pub fn appointment(a: &DomainAppointment, department_name: Option<&str>) -> Appointment {
    Appointment {
        id: a.id.to_string(),
        meta: meta(Some(a.version), Some(a.updated_at)),
        status: appointment_status(a.status),
        cancelation_reason: text(a.cancel_reason.as_deref()).map(CodeableConcept::text),
        service_type: vec![CodeableConcept {
            coding: vec![Coding::new(
                DEPARTMENT_SYSTEM,
                &a.department_id.to_string(),
                department_name,
            )],
            text: text(department_name),
        }],
        description: text(Some(&a.reason)),
        start: instant(a.starts_at),
        end: instant(a.ends_at),
        created: instant(a.created_at),
        participant: vec![
            AppointmentParticipant {
                type_: Vec::new(),
                actor: patient_ref(a.patient_id, Some(&a.patient_name)),
                status: "accepted",
            },
            AppointmentParticipant {
                type_: vec![CodeableConcept::coded(
                    PARTICIPATION_TYPE,
                    "PPRF",
                    Some("primary performer"),
                )],
                actor: Reference {
                    reference: None,
                    display: text(Some(&a.practitioner_name)),
                },
                status: "accepted",
            },
        ],
    }
}

fn clinical(status: ClinicalStatus) -> &'static str {
    match status {
        ClinicalStatus::Active => "active",
        ClinicalStatus::Inactive => "inactive",
        ClinicalStatus::Resolved => "resolved",
    }
}

fn verification(system: &str, in_error: bool) -> CodeableConcept {
    if in_error {
        CodeableConcept::coded(system, "entered-in-error", Some("Entered in Error"))
    } else {
        CodeableConcept::coded(system, "confirmed", Some("Confirmed"))
    }
}

pub fn allergy(a: &Allergy) -> AllergyIntolerance {
    let in_error = a.entered_in_error.is_some();
    AllergyIntolerance {
        id: a.id.to_string(),
        meta: meta(Some(a.version), None),
        clinical_status: (!in_error)
            .then(|| CodeableConcept::coded(ALLERGY_CLINICAL, clinical(a.status), None)),
        verification_status: verification(ALLERGY_VERIFICATION, in_error),
        criticality: match a.severity {
            AllergySeverity::Severe | AllergySeverity::LifeThreatening => "high",
            AllergySeverity::Mild | AllergySeverity::Moderate => "low",
        },
        code: CodeableConcept::text(a.substance.clone()),
        patient: patient_ref(a.patient_id, None),
        onset_date_time: a.onset_date.map(date),
        recorded_date: instant(a.provenance.recorded_at),
        recorder: display_ref(&a.provenance.recorded_by_name),
        note: notes(a.note.as_deref()),
        reaction: text(a.reaction.as_deref())
            .map(|r| AllergyReaction {
                manifestation: vec![CodeableConcept::text(r)],
                severity: Some(match a.severity {
                    AllergySeverity::Mild => "mild",
                    AllergySeverity::Moderate => "moderate",
                    AllergySeverity::Severe | AllergySeverity::LifeThreatening => "severe",
                }),
            })
            .into_iter()
            .collect(),
    }
}

pub fn condition(c: &DomainCondition) -> Condition {
    let in_error = c.entered_in_error.is_some();
    Condition {
        id: c.id.to_string(),
        meta: meta(Some(c.version), None),
        clinical_status: (!in_error)
            .then(|| CodeableConcept::coded(CONDITION_CLINICAL, clinical(c.status), None)),
        verification_status: verification(CONDITION_VERIFICATION, in_error),
        category: vec![CodeableConcept::coded(
            CONDITION_CATEGORY,
            "problem-list-item",
            Some("Problem List Item"),
        )],
        code: CodeableConcept {
            coding: vec![Coding::new(ICD10, &c.icd10_code, Some(&c.description))],
            text: text(Some(&c.description)),
        },
        subject: patient_ref(c.patient_id, None),
        onset_date_time: c.onset_date.map(date),
        abatement_date_time: c.resolved_date.map(date),
        recorded_date: instant(c.provenance.recorded_at),
        recorder: display_ref(&c.provenance.recorded_by_name),
        note: notes(c.note.as_deref()),
    }
}

fn route(r: MedicationRoute) -> &'static str {
    match r {
        MedicationRoute::Oral => "oral",
        MedicationRoute::Intravenous => "intravenous",
        MedicationRoute::Intramuscular => "intramuscular",
        MedicationRoute::Subcutaneous => "subcutaneous",
        MedicationRoute::Topical => "topical",
        MedicationRoute::Inhaled => "inhaled",
        MedicationRoute::Rectal => "rectal",
        MedicationRoute::Sublingual => "sublingual",
        MedicationRoute::Transdermal => "transdermal",
        MedicationRoute::Other => "other",
    }
}

pub fn medication(m: &Medication) -> MedicationStatement {
    MedicationStatement {
        id: m.id.to_string(),
        meta: meta(Some(m.version), None),
        status: if m.entered_in_error.is_some() {
            "entered-in-error"
        } else {
            match m.status {
                MedicationStatus::Active => "active",
                MedicationStatus::Completed => "completed",
                MedicationStatus::Stopped => "stopped",
            }
        },
        medication_codeable_concept: CodeableConcept::text(m.drug.clone()),
        subject: patient_ref(m.patient_id, None),
        effective_period: Period {
            start: Some(date(m.start_date)),
            end: m.end_date.map(date),
        },
        date_asserted: instant(m.provenance.recorded_at),
        information_source: display_ref(&m.prescriber_name),
        dosage: vec![Dosage {
            text: format!("{} {} {}", m.dose, route(m.route), m.frequency),
            route: CodeableConcept::text(route(m.route)),
        }],
        note: notes(m.note.as_deref()),
    }
}

/// One kind of vital sign: the suffix of its Observation id, its LOINC code and display, and
/// its UCUM unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vital {
    pub suffix: &'static str,
    pub loinc: &'static str,
    pub display: &'static str,
    pub unit: &'static str,
    pub ucum: &'static str,
}

pub const BLOOD_PRESSURE: Vital = Vital {
    suffix: "bp",
    loinc: "85354-9",
    display: "Blood pressure panel with all children optional",
    unit: "mmHg",
    ucum: "mm[Hg]",
};
const SYSTOLIC: Vital = Vital {
    suffix: "",
    loinc: "8480-6",
    display: "Systolic blood pressure",
    unit: "mmHg",
    ucum: "mm[Hg]",
};
const DIASTOLIC: Vital = Vital {
    suffix: "",
    loinc: "8462-4",
    display: "Diastolic blood pressure",
    unit: "mmHg",
    ucum: "mm[Hg]",
};

/// Every vital sign HMS records, blood pressure (a panel) first.
pub const VITALS: [Vital; 8] = [
    BLOOD_PRESSURE,
    Vital {
        suffix: "hr",
        loinc: "8867-4",
        display: "Heart rate",
        unit: "beats/minute",
        ucum: "/min",
    },
    Vital {
        suffix: "temp",
        loinc: "8310-5",
        display: "Body temperature",
        unit: "C",
        ucum: "Cel",
    },
    Vital {
        suffix: "spo2",
        loinc: "2708-6",
        display: "Oxygen saturation in Arterial blood",
        unit: "%",
        ucum: "%",
    },
    Vital {
        suffix: "rr",
        loinc: "9279-1",
        display: "Respiratory rate",
        unit: "breaths/minute",
        ucum: "/min",
    },
    Vital {
        suffix: "weight",
        loinc: "29463-7",
        display: "Body weight",
        unit: "kg",
        ucum: "kg",
    },
    Vital {
        suffix: "height",
        loinc: "8302-2",
        display: "Body height",
        unit: "cm",
        ucum: "cm",
    },
    Vital {
        suffix: "bmi",
        loinc: "39156-5",
        display: "Body mass index (BMI) [Ratio]",
        unit: "kg/m2",
        ucum: "kg/m2",
    },
];

impl Vital {
    fn code(&self) -> CodeableConcept {
        CodeableConcept {
            coding: vec![Coding::new(LOINC, self.loinc, Some(self.display))],
            text: Some(self.display.to_owned()),
        }
    }

    fn quantity(&self, value: f64) -> Quantity {
        Quantity {
            value,
            unit: self.unit,
            system: UCUM,
            code: self.ucum,
        }
    }

    /// The value of this vital sign in `v`, if measured (blood pressure: the systolic).
    fn value(&self, v: &VitalSigns) -> Option<f64> {
        match self.suffix {
            "bp" => v.systolic_mmhg.map(f64::from),
            "hr" => v.heart_rate_bpm.map(f64::from),
            "temp" => v.temperature_c,
            "spo2" => v.spo2_percent.map(f64::from),
            "rr" => v.respiratory_rate.map(f64::from),
            "weight" => v.weight_kg,
            "height" => v.height_cm,
            "bmi" => v.bmi.map(|b| (b * 10.0).round() / 10.0),
            _ => None,
        }
    }
}

/// The Observation id of vital sign `vital` in the set `vitals_id`: `<uuid>-<suffix>`.
pub fn observation_id(vitals_id: uuid::Uuid, vital: &Vital) -> String {
    format!("{vitals_id}-{}", vital.suffix)
}

/// Splits an Observation id into the vital-signs set id and the vital.
pub fn parse_observation_id(id: &str) -> Option<(uuid::Uuid, Vital)> {
    let (uuid, suffix) = id.rsplit_once('-')?;
    let vital = VITALS.into_iter().find(|v| v.suffix == suffix)?;
    Some((uuid::Uuid::parse_str(uuid).ok()?, vital))
}

/// One set of vital signs → one Observation per measured vital (blood pressure as a panel
/// with systolic and diastolic components).
pub fn observations(v: &VitalSigns) -> Vec<Observation> {
    VITALS
        .iter()
        .filter_map(|vital| observation(v, vital))
        .collect()
}

/// The Observation of `vital` in the set `v`, if it was measured.
pub fn observation(v: &VitalSigns, vital: &Vital) -> Option<Observation> {
    let value = vital.value(v)?;
    let (value_quantity, component) = if *vital == BLOOD_PRESSURE {
        let mut components = vec![ObservationComponent {
            code: SYSTOLIC.code(),
            value_quantity: SYSTOLIC.quantity(value),
        }];
        if let Some(d) = v.diastolic_mmhg {
            components.push(ObservationComponent {
                code: DIASTOLIC.code(),
                value_quantity: DIASTOLIC.quantity(f64::from(d)),
            });
        }
        (None, components)
    } else {
        (Some(vital.quantity(value)), Vec::new())
    };
    Some(Observation {
        id: observation_id(v.id, vital),
        meta: Meta::default(),
        status: if v.entered_in_error.is_some() {
            "entered-in-error"
        } else {
            "final"
        },
        category: vec![CodeableConcept {
            coding: vec![Coding::new(
                OBSERVATION_CATEGORY,
                "vital-signs",
                Some("Vital Signs"),
            )],
            text: None,
        }],
        code: vital.code(),
        subject: patient_ref(v.patient_id, None),
        effective_date_time: instant(v.measured_at),
        issued: instant(v.provenance.recorded_at),
        performer: vec![display_ref(&v.provenance.recorded_by_name)],
        value_quantity,
        component,
        note: notes(v.note.as_deref()),
    })
}
