//! Medical-record calls (`/patients/{patient_id}/…`): the summary and the record lists.
//!
//! Every list (allergies, conditions, medications, vitals, encounters, lab results) has the same
//! endpoints: list, add, mark entered in error, and for some a `PATCH`. [`Record`] describes
//! one list so that each endpoint is one generic function.

use gloo_net::http::Method;
use hms_api_types::records::{
    Allergy, AllergyPage, ClinicalNote, Condition, ConditionPage, Encounter, EncounterPage,
    EnteredInError, LabResult, LabResultPage, MarkEnteredInError, Medication, MedicationPage,
    NewAllergy, NewClinicalNote, NewCondition, NewEncounter, NewLabResult, NewMedication,
    NewVitalSigns, PatientSummary, UpdateAllergy, UpdateCondition, UpdateEncounter,
    UpdateMedication, VitalSigns, VitalSignsPage,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use super::{Api, ApiError, Call};

/// How many entries one page of a record list holds.
const PAGE_SIZE: i64 = 25;

/// One kind of record entry and its list endpoint.
pub trait Record: Clone + PartialEq + DeserializeOwned + 'static {
    /// The list answer (`{items, next_cursor}`).
    type Page: DeserializeOwned;
    /// The body that adds an entry.
    type New: Serialize + 'static;
    /// The path segment under the patient, e.g. `allergies`.
    const SEGMENT: &'static str;

    fn id(&self) -> Uuid;
    fn entered_in_error(&self) -> Option<&EnteredInError>;
    /// The items of a page and the cursor of the next one.
    fn split(page: Self::Page) -> (Vec<Self>, Option<String>);
}

/// A record entry that can be changed with `PATCH` and `If-Match`.
pub trait Editable: Record {
    type Update: Serialize + 'static;
    fn version(&self) -> i32;
}

macro_rules! record {
    ($entry:ty, $page:ty, $new:ty, $segment:literal) => {
        impl Record for $entry {
            type Page = $page;
            type New = $new;
            const SEGMENT: &'static str = $segment;

            fn id(&self) -> Uuid {
                self.id
            }

            fn entered_in_error(&self) -> Option<&EnteredInError> {
                self.entered_in_error.as_ref()
            }

            fn split(page: $page) -> (Vec<Self>, Option<String>) {
                (page.items, page.next_cursor)
            }
        }
    };
    ($entry:ty, $page:ty, $new:ty, $segment:literal, $update:ty) => {
        record!($entry, $page, $new, $segment);

        impl Editable for $entry {
            type Update = $update;

            fn version(&self) -> i32 {
                self.version
            }
        }
    };
}

record!(Allergy, AllergyPage, NewAllergy, "allergies", UpdateAllergy);
record!(
    Condition,
    ConditionPage,
    NewCondition,
    "conditions",
    UpdateCondition
);
record!(
    Medication,
    MedicationPage,
    NewMedication,
    "medications",
    UpdateMedication
);
record!(VitalSigns, VitalSignsPage, NewVitalSigns, "vitals");
record!(
    Encounter,
    EncounterPage,
    NewEncounter,
    "encounters",
    UpdateEncounter
);
record!(LabResult, LabResultPage, NewLabResult, "lab-results");

fn list_path<R: Record>(patient_id: Uuid) -> String {
    format!("/api/v1/patients/{patient_id}/{}", R::SEGMENT)
}

fn entry_path<R: Record>(patient_id: Uuid, entry_id: Uuid) -> String {
    format!("{}/{entry_id}", list_path::<R>(patient_id))
}

impl Api {
    /// `GET /summary`: active allergies and conditions, current medications, latest vitals.
    pub async fn patient_summary(&self, patient_id: Uuid) -> Result<PatientSummary, ApiError> {
        let path = format!("/api/v1/patients/{patient_id}/summary");
        self.fetch_json(Call::new(Method::GET, &path)).await
    }

    /// `GET /{list}`: one page of entries, newest first, after `cursor` when given.
    pub async fn list_records<R: Record>(
        &self,
        patient_id: Uuid,
        include_entered_in_error: bool,
        cursor: Option<&str>,
    ) -> Result<(Vec<R>, Option<String>), ApiError> {
        let path = list_path::<R>(patient_id);
        let mut call = Call::new(Method::GET, &path);
        call.query.push((
            "include_entered_in_error",
            include_entered_in_error.to_string(),
        ));
        call.query.push(("limit", PAGE_SIZE.to_string()));
        if let Some(cursor) = cursor {
            call.query.push(("cursor", cursor.to_owned()));
        }
        let page: R::Page = self.fetch_json(call).await?;
        Ok(R::split(page))
    }

    /// `POST /{list}`: adds an entry.
    pub async fn add_record<R: Record>(
        &self,
        patient_id: Uuid,
        entry: &R::New,
    ) -> Result<R, ApiError> {
        let path = list_path::<R>(patient_id);
        let call = Call::new(Method::POST, &path).json(entry)?;
        self.fetch_json(call).await
    }

    /// `PATCH /{list}/{id}`: changes an entry based on the `version` the person saw (412 when
    /// it is stale).
    pub async fn update_record<R: Editable>(
        &self,
        patient_id: Uuid,
        entry_id: Uuid,
        version: i32,
        change: &R::Update,
    ) -> Result<R, ApiError> {
        let path = entry_path::<R>(patient_id, entry_id);
        let mut call = Call::new(Method::PATCH, &path).json(change)?;
        call.if_match = Some(version);
        self.fetch_json(call).await
    }

    /// `POST /{list}/{id}/entered-in-error`. `None` when the answer carries no entry (the list
    /// should then be reloaded).
    pub async fn mark_entered_in_error<R: Record>(
        &self,
        patient_id: Uuid,
        entry_id: Uuid,
        reason: &str,
    ) -> Result<Option<R>, ApiError> {
        let path = format!("{}/entered-in-error", entry_path::<R>(patient_id, entry_id));
        let body = MarkEnteredInError {
            reason: reason.to_owned(),
        };
        let call = Call::new(Method::POST, &path).json(&body)?;
        self.fetch_optional(call).await
    }

    /// `POST /encounters/{id}/notes/{note_id}/entered-in-error`: marks one note.
    pub async fn mark_note_entered_in_error(
        &self,
        patient_id: Uuid,
        encounter_id: Uuid,
        note_id: Uuid,
        reason: &str,
    ) -> Result<ClinicalNote, ApiError> {
        let path = format!(
            "{}/notes/{note_id}/entered-in-error",
            entry_path::<Encounter>(patient_id, encounter_id)
        );
        let body = MarkEnteredInError {
            reason: reason.to_owned(),
        };
        let call = Call::new(Method::POST, &path).json(&body)?;
        self.fetch_json(call).await
    }

    /// `POST /encounters/{id}/notes`: adds a clinical note to an encounter.
    pub async fn add_note(
        &self,
        patient_id: Uuid,
        encounter_id: Uuid,
        note: &NewClinicalNote,
    ) -> Result<ClinicalNote, ApiError> {
        let path = format!(
            "{}/notes",
            entry_path::<Encounter>(patient_id, encounter_id)
        );
        let call = Call::new(Method::POST, &path).json(note)?;
        self.fetch_json(call).await
    }
}
