//! Picks one patient by name or MRN: a [`SearchPicker`] of patients.

use std::future::Future;

use hms_api_types::patients::Patient;

use crate::api::{Api, ApiError};
use crate::components::search_picker::{Pickable, SearchPicker};
use crate::display;
use crate::pages::patients::query_for;

/// `<PatientPicker prefix="booking" …/>`: ids `#booking-patient-search`, `li.booking-patient`, …
pub type PatientPicker = SearchPicker<Patient>;

impl Pickable for Patient {
    const NOUN: &'static str = "patient";
    const PLACEHOLDER: &'static str = "Name or MRN";
    const RESULTS_LABEL: &'static str = "Matching patients";
    const NO_MATCH: &'static str = "No patients match.";

    fn search(
        api: Api,
        text: &str,
    ) -> Option<impl Future<Output = Result<Vec<Self>, ApiError>> + 'static> {
        let query = query_for(text, "", false);
        (!query.is_empty())
            .then_some(async move { api.search_patients(&query, None).await.map(|p| p.items) })
    }

    fn id(&self) -> String {
        self.id.to_string()
    }

    fn name(&self) -> String {
        display::patient_name(&self.given_name, &self.family_name)
    }

    fn option_detail(&self) -> String {
        format!("{} · born {}", self.mrn, display::date(self.birth_date))
    }

    fn picked_detail(&self) -> String {
        self.option_detail()
    }
}
