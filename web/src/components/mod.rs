//! Reusable pieces of the layout and of forms.

pub mod app_link;
pub mod degraded;
pub mod field;
pub mod nav;
pub mod patient_picker;
pub mod problem_alert;
pub mod search_picker;
