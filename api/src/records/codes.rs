//! The record's enumerations as stored in the database: the same snake_case names as on the
//! wire, checked by the tables' CHECK constraints.

use hms_api_types::records::{
    AllergySeverity, ClinicalStatus, EncounterType, LabFlag, MedicationRoute, MedicationStatus,
    NoteType,
};

use crate::error::ApiError;

/// An enumeration stored as text.
pub trait Code: Sized + Copy + 'static {
    /// Every value, for parsing.
    const ALL: &'static [Self];
    /// What this value is called in messages ("allergy severity").
    const WHAT: &'static str;

    /// The stored (and wire) name.
    fn code(self) -> &'static str;

    /// Parses a stored name. A name the code does not know is a data error (500).
    fn parse(stored: &str) -> Result<Self, ApiError> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.code() == stored)
            .ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!(
                    "unknown {} {stored:?} in the database",
                    Self::WHAT
                ))
            })
    }
}

macro_rules! codes {
    ($t:ident, $what:literal { $($v:ident => $s:literal),* $(,)? }) => {
        impl Code for $t {
            const ALL: &'static [Self] = &[$($t::$v),*];
            const WHAT: &'static str = $what;

            fn code(self) -> &'static str {
                match self {
                    $($t::$v => $s),*
                }
            }
        }
    };
}

codes!(ClinicalStatus, "clinical status" {
    Active => "active",
    Inactive => "inactive",
    Resolved => "resolved",
});

codes!(AllergySeverity, "allergy severity" {
    Mild => "mild",
    Moderate => "moderate",
    Severe => "severe",
    LifeThreatening => "life_threatening",
});

codes!(MedicationRoute, "medication route" {
    Oral => "oral",
    Intravenous => "intravenous",
    Intramuscular => "intramuscular",
    Subcutaneous => "subcutaneous",
    Topical => "topical",
    Inhaled => "inhaled",
    Rectal => "rectal",
    Sublingual => "sublingual",
    Transdermal => "transdermal",
    Other => "other",
});

codes!(MedicationStatus, "medication status" {
    Active => "active",
    Completed => "completed",
    Stopped => "stopped",
});

codes!(EncounterType, "encounter type" {
    Outpatient => "outpatient",
    Inpatient => "inpatient",
    Emergency => "emergency",
    Telehealth => "telehealth",
    HomeVisit => "home_visit",
});

codes!(NoteType, "note type" {
    Progress => "progress",
    Admission => "admission",
    Discharge => "discharge",
    Consultation => "consultation",
    Procedure => "procedure",
    Nursing => "nursing",
});

codes!(LabFlag, "lab flag" {
    Normal => "normal",
    Low => "low",
    High => "high",
    CriticalLow => "critical_low",
    CriticalHigh => "critical_high",
    Abnormal => "abnormal",
});

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_names_are_the_wire_names<T: Code + serde::Serialize + std::fmt::Debug>() {
        for value in T::ALL {
            let wire = serde_json::to_value(value).unwrap();
            assert_eq!(wire, value.code(), "{value:?}");
            assert!(matches!(T::parse(value.code()), Ok(v) if v.code() == value.code()));
        }
        assert!(T::parse("nonsense").is_err());
    }

    #[test]
    fn every_stored_name_is_the_wire_name_and_parses_back() {
        stored_names_are_the_wire_names::<ClinicalStatus>();
        stored_names_are_the_wire_names::<AllergySeverity>();
        stored_names_are_the_wire_names::<MedicationRoute>();
        stored_names_are_the_wire_names::<MedicationStatus>();
        stored_names_are_the_wire_names::<EncounterType>();
        stored_names_are_the_wire_names::<NoteType>();
        stored_names_are_the_wire_names::<LabFlag>();
    }
}
