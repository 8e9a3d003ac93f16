//! SQL for the record tables. Plain functions over `&mut PgConnection`; no rules, no HTTP.
//!
//! Every query is scoped to one patient (`patient_id`), so an entry id of another patient is
//! simply not found. Lists are keyset-paginated, newest first: `(time DESC, id DESC)` where
//! the time is `recorded_at` (allergies, conditions, medications), `measured_at` (vitals),
//! `started_at` (encounters) or `collected_at` (lab results). Display names come from `users`
//! in the same query.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::model::{
    AllergyChanges, AllergyRow, ConditionChanges, ConditionRow, EncounterChanges, EncounterRow,
    LabResultRow, MedicationChanges, MedicationRow, NewAllergyRow, NewConditionRow,
    NewEncounterRow, NewLabResultRow, NewMedicationRow, NewNoteRow, NewVitalsRow, NoteRow,
    VitalsRow,
};
use crate::db::schema::{
    allergies, clinical_notes, conditions, encounters, lab_results, medications, users, vitals,
};

/// Where the previous page ended: the sort time and id of its last entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Keyset {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

/// Which entries of a list to load.
#[derive(Debug, Clone, Copy)]
pub struct ListFilter {
    pub include_entered_in_error: bool,
    /// Only entries with this status (for the summary).
    pub status: Option<&'static str>,
    pub after: Option<Keyset>,
    pub limit: i64,
}

/// Why and by whom an entry is marked as entered in error.
pub struct Correction<'a> {
    pub by: Uuid,
    pub reason: &'a str,
}

/// An entry with the display name of who recorded it.
pub type Recorded<T> = (T, String);

/// List, find and mark-in-error functions for a table whose only name is the recorder's.
macro_rules! recorded_entries {
    (
        $table:ident, $row:ty, time = $time:ident,
        list = $list:ident, find = $find:ident, mark = $mark:ident $(, status = $status:ident)?
    ) => {
        /// One page of the patient's entries with the recorder's name, newest first.
        pub fn $list(
            conn: &mut PgConnection,
            patient_id: Uuid,
            filter: &ListFilter,
        ) -> QueryResult<Vec<Recorded<$row>>> {
            let mut query = $table::table
                .inner_join(users::table.on(users::id.eq($table::recorded_by)))
                .filter($table::patient_id.eq(patient_id))
                .select((<$row>::as_select(), users::display_name))
                .order(($table::$time.desc(), $table::id.desc()))
                .limit(filter.limit)
                .into_boxed();
            if !filter.include_entered_in_error {
                query = query.filter($table::entered_in_error_at.is_null());
            }
            $(
                if let Some(status) = filter.status {
                    query = query.filter($table::$status.eq(status));
                }
            )?
            if let Some(k) = filter.after {
                query = query.filter(
                    $table::$time
                        .lt(k.at)
                        .or($table::$time.eq(k.at).and($table::id.lt(k.id))),
                );
            }
            query.load(conn)
        }

        /// The patient's entry `id` with the recorder's name.
        pub fn $find(
            conn: &mut PgConnection,
            patient_id: Uuid,
            id: Uuid,
        ) -> QueryResult<Option<Recorded<$row>>> {
            $table::table
                .inner_join(users::table.on(users::id.eq($table::recorded_by)))
                .filter($table::id.eq(id))
                .filter($table::patient_id.eq(patient_id))
                .select((<$row>::as_select(), users::display_name))
                .first(conn)
                .optional()
        }

        /// Marks the entry as entered in error; `false` when it is not the patient's or is
        /// already marked.
        pub fn $mark(
            conn: &mut PgConnection,
            patient_id: Uuid,
            id: Uuid,
            correction: &Correction<'_>,
        ) -> QueryResult<bool> {
            diesel::update(
                $table::table
                    .filter($table::id.eq(id))
                    .filter($table::patient_id.eq(patient_id))
                    .filter($table::entered_in_error_at.is_null()),
            )
            .set((
                $table::entered_in_error_at.eq(diesel::dsl::now),
                $table::entered_in_error_by.eq(correction.by),
                $table::entered_in_error_reason.eq(correction.reason),
                $table::version.eq($table::version + 1),
            ))
            .execute(conn)
            .map(|n| n == 1)
        }
    };
}

recorded_entries!(
    allergies,
    AllergyRow,
    time = recorded_at,
    list = list_allergies,
    find = find_allergy,
    mark = mark_allergy,
    status = status
);
recorded_entries!(
    conditions,
    ConditionRow,
    time = recorded_at,
    list = list_conditions,
    find = find_condition,
    mark = mark_condition,
    status = status
);
recorded_entries!(
    vitals,
    VitalsRow,
    time = measured_at,
    list = list_vitals,
    find = find_vitals,
    mark = mark_vitals
);
recorded_entries!(
    lab_results,
    LabResultRow,
    time = collected_at,
    list = list_lab_results,
    find = find_lab_result,
    mark = mark_lab_result
);

// ----- Allergies -----

pub fn insert_allergy(conn: &mut PgConnection, new: &NewAllergyRow) -> QueryResult<Uuid> {
    diesel::insert_into(allergies::table)
        .values(new)
        .returning(allergies::id)
        .get_result(conn)
}

/// Applies `changes` if the entry is still at `version` and not entered in error; bumps the
/// version. `false` when nothing matched.
pub fn update_allergy(
    conn: &mut PgConnection,
    patient_id: Uuid,
    id: Uuid,
    version: i32,
    changes: &AllergyChanges,
) -> QueryResult<bool> {
    diesel::update(
        allergies::table
            .filter(allergies::id.eq(id))
            .filter(allergies::patient_id.eq(patient_id))
            .filter(allergies::version.eq(version))
            .filter(allergies::entered_in_error_at.is_null()),
    )
    .set((changes, allergies::version.eq(allergies::version + 1)))
    .execute(conn)
    .map(|n| n == 1)
}

// ----- Conditions -----

pub fn insert_condition(conn: &mut PgConnection, new: &NewConditionRow) -> QueryResult<Uuid> {
    diesel::insert_into(conditions::table)
        .values(new)
        .returning(conditions::id)
        .get_result(conn)
}

pub fn update_condition(
    conn: &mut PgConnection,
    patient_id: Uuid,
    id: Uuid,
    version: i32,
    changes: &ConditionChanges,
) -> QueryResult<bool> {
    diesel::update(
        conditions::table
            .filter(conditions::id.eq(id))
            .filter(conditions::patient_id.eq(patient_id))
            .filter(conditions::version.eq(version))
            .filter(conditions::entered_in_error_at.is_null()),
    )
    .set((changes, conditions::version.eq(conditions::version + 1)))
    .execute(conn)
    .map(|n| n == 1)
}

// ----- Medications -----

/// A medication with the names of who recorded and who prescribed it.
pub type NamedMedication = (MedicationRow, String, String);

/// One page of the patient's medications, newest first.
pub fn list_medications(
    conn: &mut PgConnection,
    patient_id: Uuid,
    filter: &ListFilter,
) -> QueryResult<Vec<NamedMedication>> {
    let (recorder, prescriber) = diesel::alias!(users as recorder, users as prescriber);
    let mut query = medications::table
        .inner_join(recorder.on(recorder.field(users::id).eq(medications::recorded_by)))
        .inner_join(prescriber.on(prescriber.field(users::id).eq(medications::prescriber_id)))
        .filter(medications::patient_id.eq(patient_id))
        .select((
            MedicationRow::as_select(),
            recorder.field(users::display_name),
            prescriber.field(users::display_name),
        ))
        .order((medications::recorded_at.desc(), medications::id.desc()))
        .limit(filter.limit)
        .into_boxed();
    if !filter.include_entered_in_error {
        query = query.filter(medications::entered_in_error_at.is_null());
    }
    if let Some(status) = filter.status {
        query = query.filter(medications::status.eq(status));
    }
    if let Some(k) = filter.after {
        query = query.filter(
            medications::recorded_at
                .lt(k.at)
                .or(medications::recorded_at
                    .eq(k.at)
                    .and(medications::id.lt(k.id))),
        );
    }
    query.load(conn)
}

pub fn find_medication(
    conn: &mut PgConnection,
    patient_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<NamedMedication>> {
    let (recorder, prescriber) = diesel::alias!(users as recorder, users as prescriber);
    medications::table
        .inner_join(recorder.on(recorder.field(users::id).eq(medications::recorded_by)))
        .inner_join(prescriber.on(prescriber.field(users::id).eq(medications::prescriber_id)))
        .filter(medications::id.eq(id))
        .filter(medications::patient_id.eq(patient_id))
        .select((
            MedicationRow::as_select(),
            recorder.field(users::display_name),
            prescriber.field(users::display_name),
        ))
        .first(conn)
        .optional()
}

pub fn insert_medication(conn: &mut PgConnection, new: &NewMedicationRow) -> QueryResult<Uuid> {
    diesel::insert_into(medications::table)
        .values(new)
        .returning(medications::id)
        .get_result(conn)
}

pub fn update_medication(
    conn: &mut PgConnection,
    patient_id: Uuid,
    id: Uuid,
    version: i32,
    changes: &MedicationChanges,
) -> QueryResult<bool> {
    diesel::update(
        medications::table
            .filter(medications::id.eq(id))
            .filter(medications::patient_id.eq(patient_id))
            .filter(medications::version.eq(version))
            .filter(medications::entered_in_error_at.is_null()),
    )
    .set((changes, medications::version.eq(medications::version + 1)))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn mark_medication(
    conn: &mut PgConnection,
    patient_id: Uuid,
    id: Uuid,
    correction: &Correction<'_>,
) -> QueryResult<bool> {
    diesel::update(
        medications::table
            .filter(medications::id.eq(id))
            .filter(medications::patient_id.eq(patient_id))
            .filter(medications::entered_in_error_at.is_null()),
    )
    .set((
        medications::entered_in_error_at.eq(diesel::dsl::now),
        medications::entered_in_error_by.eq(correction.by),
        medications::entered_in_error_reason.eq(correction.reason),
        medications::version.eq(medications::version + 1),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

// ----- Vitals -----

pub fn insert_vitals(conn: &mut PgConnection, new: &NewVitalsRow) -> QueryResult<Uuid> {
    diesel::insert_into(vitals::table)
        .values(new)
        .returning(vitals::id)
        .get_result(conn)
}

// ----- Encounters and notes -----

/// An encounter with the names of who recorded it and of the clinician.
pub type NamedEncounter = (EncounterRow, String, String);

pub fn list_encounters(
    conn: &mut PgConnection,
    patient_id: Uuid,
    filter: &ListFilter,
) -> QueryResult<Vec<NamedEncounter>> {
    let (recorder, clinician) = diesel::alias!(users as recorder, users as clinician);
    let mut query = encounters::table
        .inner_join(recorder.on(recorder.field(users::id).eq(encounters::recorded_by)))
        .inner_join(clinician.on(clinician.field(users::id).eq(encounters::clinician_id)))
        .filter(encounters::patient_id.eq(patient_id))
        .select((
            EncounterRow::as_select(),
            recorder.field(users::display_name),
            clinician.field(users::display_name),
        ))
        .order((encounters::started_at.desc(), encounters::id.desc()))
        .limit(filter.limit)
        .into_boxed();
    if !filter.include_entered_in_error {
        query = query.filter(encounters::entered_in_error_at.is_null());
    }
    if let Some(k) = filter.after {
        query = query.filter(
            encounters::started_at
                .lt(k.at)
                .or(encounters::started_at.eq(k.at).and(encounters::id.lt(k.id))),
        );
    }
    query.load(conn)
}

pub fn find_encounter(
    conn: &mut PgConnection,
    patient_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<NamedEncounter>> {
    let (recorder, clinician) = diesel::alias!(users as recorder, users as clinician);
    encounters::table
        .inner_join(recorder.on(recorder.field(users::id).eq(encounters::recorded_by)))
        .inner_join(clinician.on(clinician.field(users::id).eq(encounters::clinician_id)))
        .filter(encounters::id.eq(id))
        .filter(encounters::patient_id.eq(patient_id))
        .select((
            EncounterRow::as_select(),
            recorder.field(users::display_name),
            clinician.field(users::display_name),
        ))
        .first(conn)
        .optional()
}

pub fn insert_encounter(conn: &mut PgConnection, new: &NewEncounterRow) -> QueryResult<Uuid> {
    diesel::insert_into(encounters::table)
        .values(new)
        .returning(encounters::id)
        .get_result(conn)
}

pub fn update_encounter(
    conn: &mut PgConnection,
    patient_id: Uuid,
    id: Uuid,
    version: i32,
    changes: &EncounterChanges,
) -> QueryResult<bool> {
    diesel::update(
        encounters::table
            .filter(encounters::id.eq(id))
            .filter(encounters::patient_id.eq(patient_id))
            .filter(encounters::version.eq(version))
            .filter(encounters::entered_in_error_at.is_null()),
    )
    .set((changes, encounters::version.eq(encounters::version + 1)))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn mark_encounter(
    conn: &mut PgConnection,
    patient_id: Uuid,
    id: Uuid,
    correction: &Correction<'_>,
) -> QueryResult<bool> {
    diesel::update(
        encounters::table
            .filter(encounters::id.eq(id))
            .filter(encounters::patient_id.eq(patient_id))
            .filter(encounters::entered_in_error_at.is_null()),
    )
    .set((
        encounters::entered_in_error_at.eq(diesel::dsl::now),
        encounters::entered_in_error_by.eq(correction.by),
        encounters::entered_in_error_reason.eq(correction.reason),
        encounters::version.eq(encounters::version + 1),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// A note with its author's name, as read by [`notes_of`].
#[derive(QueryableByName)]
struct NoteByName {
    #[diesel(embed)]
    note: NoteRow,
    #[diesel(sql_type = diesel::sql_types::Text)]
    author_name: String,
}

/// The newest `per_encounter` notes of each of `encounter_ids` (one query for a whole page),
/// with the author's name, grouped by encounter and oldest first within each.
pub fn notes_of(
    conn: &mut PgConnection,
    encounter_ids: &[Uuid],
    include_entered_in_error: bool,
    per_encounter: i64,
) -> QueryResult<Vec<Recorded<NoteRow>>> {
    use diesel::sql_types::{Array, BigInt, Bool};
    if encounter_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Per encounter: the newest notes through clinical_notes_encounter_idx, then oldest first.
    let rows: Vec<NoteByName> = diesel::sql_query(
        "SELECT n.id, n.encounter_id, n.patient_id, n.note_type, n.body, n.author_id, \
                n.written_at, n.entered_in_error_at, n.entered_in_error_by, \
                n.entered_in_error_reason, u.display_name AS author_name \
         FROM unnest($1) AS e(id) \
         CROSS JOIN LATERAL ( \
             SELECT c.* FROM clinical_notes c \
             WHERE c.encounter_id = e.id AND ($2 OR c.entered_in_error_at IS NULL) \
             ORDER BY c.written_at DESC, c.id DESC \
             LIMIT $3 \
         ) AS n \
         JOIN users u ON u.id = n.author_id \
         ORDER BY n.encounter_id, n.written_at, n.id",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(encounter_ids)
    .bind::<Bool, _>(include_entered_in_error)
    .bind::<BigInt, _>(per_encounter)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.note, r.author_name)).collect())
}

/// The note `id` of the patient's encounter `encounter_id`, with the author's name.
pub fn find_note(
    conn: &mut PgConnection,
    patient_id: Uuid,
    encounter_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<Recorded<NoteRow>>> {
    clinical_notes::table
        .inner_join(users::table.on(users::id.eq(clinical_notes::author_id)))
        .filter(clinical_notes::id.eq(id))
        .filter(clinical_notes::encounter_id.eq(encounter_id))
        .filter(clinical_notes::patient_id.eq(patient_id))
        .select((NoteRow::as_select(), users::display_name))
        .first(conn)
        .optional()
}

pub fn insert_note(conn: &mut PgConnection, new: &NewNoteRow) -> QueryResult<Uuid> {
    diesel::insert_into(clinical_notes::table)
        .values(new)
        .returning(clinical_notes::id)
        .get_result(conn)
}

pub fn mark_note(
    conn: &mut PgConnection,
    patient_id: Uuid,
    encounter_id: Uuid,
    id: Uuid,
    correction: &Correction<'_>,
) -> QueryResult<bool> {
    diesel::update(
        clinical_notes::table
            .filter(clinical_notes::id.eq(id))
            .filter(clinical_notes::encounter_id.eq(encounter_id))
            .filter(clinical_notes::patient_id.eq(patient_id))
            .filter(clinical_notes::entered_in_error_at.is_null()),
    )
    .set((
        clinical_notes::entered_in_error_at.eq(diesel::dsl::now),
        clinical_notes::entered_in_error_by.eq(correction.by),
        clinical_notes::entered_in_error_reason.eq(correction.reason),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

// ----- Lab results -----

pub fn insert_lab_result(conn: &mut PgConnection, new: &NewLabResultRow) -> QueryResult<Uuid> {
    diesel::insert_into(lab_results::table)
        .values(new)
        .returning(lab_results::id)
        .get_result(conn)
}

// ----- Ownership (for reads that name an entry without its patient, e.g. FHIR) -----

/// The patient whose allergy, condition, medication or vital signs `id` is; `None` when no
/// such entry exists. `table` is one of `allergies`, `conditions`, `medications`, `vitals`.
pub fn owner_of(conn: &mut PgConnection, table: &str, id: Uuid) -> QueryResult<Option<Uuid>> {
    match table {
        "allergies" => allergies::table
            .filter(allergies::id.eq(id))
            .select(allergies::patient_id)
            .first(conn)
            .optional(),
        "conditions" => conditions::table
            .filter(conditions::id.eq(id))
            .select(conditions::patient_id)
            .first(conn)
            .optional(),
        "medications" => medications::table
            .filter(medications::id.eq(id))
            .select(medications::patient_id)
            .first(conn)
            .optional(),
        "vitals" => vitals::table
            .filter(vitals::id.eq(id))
            .select(vitals::patient_id)
            .first(conn)
            .optional(),
        _ => Ok(None),
    }
}
