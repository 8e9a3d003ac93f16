//! SQL for `patients`. Plain functions over `&mut PgConnection`; no rules, no HTTP.
//!
//! Name search runs on `search_name` (given + family, lower-cased and accent-free, see
//! `hms_fold` in the migration) with the trigram GIN index: substring matches and
//! word-similarity matches (typos), best match first.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Float4, Int8, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::model::{NewPatientRow, PatientChanges, PatientRow};
use crate::db::schema::patients;

pub fn insert(conn: &mut PgConnection, new: &NewPatientRow) -> QueryResult<PatientRow> {
    diesel::insert_into(patients::table)
        .values(new)
        .returning(PatientRow::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<PatientRow>> {
    patients::table
        .find(id)
        .select(PatientRow::as_select())
        .first(conn)
        .optional()
}

/// Applies `changes` if the row is still at `expected_version`; bumps the version.
pub fn update_if_version(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    changes: &PatientChanges,
) -> QueryResult<Option<PatientRow>> {
    diesel::update(
        patients::table
            .find(id)
            .filter(patients::version.eq(expected_version)),
    )
    .set((
        changes,
        patients::version.eq(patients::version + 1),
        patients::updated_at.eq(diesel::dsl::now),
    ))
    .returning(PatientRow::as_returning())
    .get_result(conn)
    .optional()
}

pub fn set_active(
    conn: &mut PgConnection,
    id: Uuid,
    active: bool,
) -> QueryResult<Option<PatientRow>> {
    diesel::update(patients::table.find(id))
        .set((
            patients::active.eq(active),
            patients::version.eq(patients::version + 1),
            patients::updated_at.eq(diesel::dsl::now),
        ))
        .returning(PatientRow::as_returning())
        .get_result(conn)
        .optional()
}

/// A patient with the same birth date and a similar name.
#[derive(QueryableByName)]
pub struct SimilarRow {
    #[diesel(embed)]
    pub patient: PatientRow,
    #[diesel(sql_type = Float4)]
    pub score: f32,
}

/// Patients born on `birth_date` whose name is similar to `given family` (trigram similarity
/// of at least `threshold`), most similar first.
pub fn similar(
    conn: &mut PgConnection,
    given: &str,
    family: &str,
    birth_date: NaiveDate,
    threshold: f32,
) -> QueryResult<Vec<SimilarRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS}, similarity(search_name, hms_fold($1 || ' ' || $2)) AS score
           FROM patients
          WHERE birth_date = $3
            AND similarity(search_name, hms_fold($1 || ' ' || $2)) >= $4
          ORDER BY score DESC, id
          LIMIT 5"
    ))
    .bind::<Text, _>(given)
    .bind::<Text, _>(family)
    .bind::<Date, _>(birth_date)
    .bind::<Float4, _>(threshold)
    .load(conn)
}

/// Filters of a patient search; every one is optional.
#[derive(Default)]
pub struct Search {
    /// Name text (any part of given or family name, typos tolerated).
    pub name: Option<String>,
    pub mrn: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// Family name starting with this (folded like `search_name`).
    pub family_prefix: Option<String>,
    /// Given name starting with this (folded like `search_name`).
    pub given_prefix: Option<String>,
    pub include_inactive: bool,
}

/// Where the previous page ended.
pub enum After {
    Start,
    /// For name searches: the last (score, id).
    Score(f32, Uuid),
    /// Otherwise: the last (sort_name, id).
    Name(String, Uuid),
}

#[derive(QueryableByName)]
pub struct FoundRow {
    #[diesel(embed)]
    pub patient: PatientRow,
    #[diesel(sql_type = Float4)]
    pub score: f32,
    #[diesel(sql_type = Text)]
    pub sort_name: String,
}

/// One page of matches: by relevance for name searches, else by family then given name.
pub fn search(
    conn: &mut PgConnection,
    search: &Search,
    after: &After,
    limit: i64,
) -> QueryResult<Vec<FoundRow>> {
    match (&search.name, after) {
        (Some(name), after) => {
            let (after_score, after_id) = match after {
                After::Score(s, id) => (Some(*s), Some(*id)),
                _ => (None, None),
            };
            // `<%` (word similarity above the threshold) catches typos, LIKE catches exact
            // fragments; both use the trigram index.
            conn.transaction(|conn| {
                for setting in NAME_SEARCH_SETTINGS {
                    diesel::sql_query(setting).execute(conn)?;
                }
                diesel::sql_query(format!(
                    "WITH q AS (SELECT hms_fold($1) AS v)
                     SELECT {COLUMNS}, word_similarity(q.v, search_name) AS score, sort_name
                       FROM patients, q
                      WHERE (q.v <% search_name
                             OR search_name LIKE '%' || {LIKE_ESCAPED} || '%')
                        AND ($2::text IS NULL OR mrn = $2)
                        AND ($3::date IS NULL OR birth_date = $3)
                        AND ($4 OR active)
                        AND ($5::real IS NULL
                             OR (word_similarity(q.v, search_name), patients.id) < ($5, $6))
                        AND ($8::text IS NULL OR starts_with(hms_fold(family_name), hms_fold($8)))
                        AND ($9::text IS NULL OR starts_with(hms_fold(given_name), hms_fold($9)))
                      ORDER BY score DESC, patients.id DESC
                      LIMIT $7"
                ))
                .bind::<Text, _>(name)
                .bind::<Nullable<Text>, _>(search.mrn.as_deref())
                .bind::<Nullable<Date>, _>(search.birth_date)
                .bind::<Bool, _>(search.include_inactive)
                .bind::<Nullable<Float4>, _>(after_score)
                .bind::<Nullable<SqlUuid>, _>(after_id)
                .bind::<Int8, _>(limit)
                .bind::<Nullable<Text>, _>(search.family_prefix.as_deref())
                .bind::<Nullable<Text>, _>(search.given_prefix.as_deref())
                .load(conn)
            })
        }
        (None, after) => {
            let (after_name, after_id) = match after {
                After::Name(n, id) => (Some(n.as_str()), Some(*id)),
                _ => (None, None),
            };
            diesel::sql_query(format!(
                "SELECT {COLUMNS}, 0::real AS score, sort_name
                   FROM patients
                  WHERE ($1::text IS NULL OR mrn = $1)
                    AND ($2::date IS NULL OR birth_date = $2)
                    AND ($3 OR active)
                    AND ($4::text IS NULL OR (sort_name, id) > ($4, $5))
                    AND ($7::text IS NULL OR starts_with(hms_fold(family_name), hms_fold($7)))
                    AND ($8::text IS NULL OR starts_with(hms_fold(given_name), hms_fold($8)))
                  ORDER BY sort_name, id
                  LIMIT $6"
            ))
            .bind::<Nullable<Text>, _>(search.mrn.as_deref())
            .bind::<Nullable<Date>, _>(search.birth_date)
            .bind::<Bool, _>(search.include_inactive)
            .bind::<Nullable<Text>, _>(after_name)
            .bind::<Nullable<SqlUuid>, _>(after_id)
            .bind::<Int8, _>(limit)
            .bind::<Nullable<Text>, _>(search.family_prefix.as_deref())
            .bind::<Nullable<Text>, _>(search.given_prefix.as_deref())
            .load(conn)
        }
    }
}

/// Session settings of a name search (inside its transaction).
///
/// The planner prices the trigram GIN index by the number of trigrams in the query and often
/// prefers a sequential scan that computes `word_similarity` for every patient: 0.2 s at 100k
/// patients instead of a few milliseconds. Name search is never better off scanning, so the
/// scan is priced out (not forbidden: without a usable index PostgreSQL still scans).
pub const NAME_SEARCH_SETTINGS: [&str; 2] = [
    "SET LOCAL pg_trgm.word_similarity_threshold = 0.45",
    "SET LOCAL enable_seqscan = off",
];

/// `q.v` with LIKE's wildcards escaped, so a search for `50%` matches literally.
const LIKE_ESCAPED: &str = r"replace(replace(replace(q.v, '\', '\\'), '%', '\%'), '_', '\_')";

/// The columns of [`PatientRow`], qualified for raw SQL.
const COLUMNS: &str = "patients.id, mrn, given_name, family_name, birth_date, sex, phone, email, \
    address_line, city, postal_code, country, emergency_contact_name, \
    emergency_contact_relationship, emergency_contact_phone, preferred_language, active, \
    version, created_at, updated_at";
