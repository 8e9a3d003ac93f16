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

/// How name matches rank: patients whose family name starts with the query come first,
/// then those whose given name does, each alphabetically; then similar names (typos,
/// fragments inside a name), best match first. The first two tiers come straight from
/// b-tree indexes in order and stop at the page; only the last scores candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Family,
    Given,
    Similar,
}

impl Tier {
    pub fn code(self) -> &'static str {
        match self {
            Tier::Family => "f",
            Tier::Given => "g",
            Tier::Similar => "s",
        }
    }

    pub fn from_code(code: &str) -> Option<Tier> {
        [Tier::Family, Tier::Given, Tier::Similar]
            .into_iter()
            .find(|t| t.code() == code)
    }
}

/// Where the previous page ended.
pub enum After {
    Start,
    /// For name searches: the last row's tier and its place in the tier (the family-first name,
    /// the given-first name, or the score), and its id.
    Match(Tier, String, Uuid),
    /// Otherwise: the last (sort_name, id).
    Name(String, Uuid),
}

#[derive(QueryableByName)]
pub struct FoundRow {
    #[diesel(embed)]
    pub patient: PatientRow,
    /// The row's place in its order: sort_name, search_name or the score, as text.
    #[diesel(sql_type = Text)]
    pub key: String,
    /// The tier of a name match (`f`, `g`, `s`); empty for other lists.
    #[diesel(sql_type = Text)]
    pub tier: String,
}

/// One page of matches: by tier for name searches (see [`Tier`]), else by family then given
/// name.
pub fn search(
    conn: &mut PgConnection,
    search: &Search,
    after: &After,
    limit: i64,
) -> QueryResult<Vec<FoundRow>> {
    let Some(name) = &search.name else {
        let (after_name, after_id) = match after {
            After::Name(n, id) => (Some(n.as_str()), Some(*id)),
            _ => (None, None),
        };
        let sql = format!(
            "SELECT {COLUMNS}, sort_name AS key, '' AS tier
               FROM patients
              WHERE {FILTERS}
                AND ($7::text IS NULL OR (sort_name, id) > ($7, $8))
              ORDER BY sort_name, id
              LIMIT $9"
        );
        return load_page(conn, &sql, "", search, after_name, after_id, limit);
    };
    // Words separated by single spaces, so the first word is everything before the first one.
    let words = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let (from_tier, after_key, after_id) = match after {
        After::Match(tier, key, id) => (*tier, Some(key.as_str()), Some(*id)),
        _ => (Tier::Family, None, None),
    };
    let mut rows = Vec::new();
    for tier in [Tier::Family, Tier::Given, Tier::Similar] {
        let left = limit - rows.len() as i64;
        if tier < from_tier || left <= 0 {
            continue;
        }
        let (key, id) = if tier == from_tier {
            (after_key, after_id)
        } else {
            (None, None)
        };
        rows.extend(tier_page(conn, search, &words, tier, key, id, left)?);
    }
    Ok(rows)
}

/// One tier's rows after (`after_key`, `after_id`), at most `limit`.
fn tier_page(
    conn: &mut PgConnection,
    search: &Search,
    words: &str,
    tier: Tier,
    after_key: Option<&str>,
    after_id: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<FoundRow>> {
    // The prefix patterns are computed from parameters only, so PostgreSQL folds them to
    // constants when it plans the statement and walks the `COLLATE "C"` indexes from the prefix
    // (the database's collation is not C, so a LIKE prefix needs these).
    let other_words = other_words(words);
    let sql = match tier {
        Tier::Family => format!(
            "SELECT {COLUMNS}, sort_name AS key, 'f' AS tier
               FROM patients
              WHERE sort_name COLLATE \"C\" LIKE {FIRST_WORD} || '%'
                AND {other_words} AND {FILTERS}
                AND ($7::text IS NULL OR (sort_name COLLATE \"C\", id) > ($7, $8))
              ORDER BY sort_name COLLATE \"C\", id
              LIMIT $9"
        ),
        Tier::Given => format!(
            "SELECT {COLUMNS}, search_name AS key, 'g' AS tier
               FROM patients
              WHERE search_name COLLATE \"C\" LIKE {FIRST_WORD} || '%'
                AND sort_name COLLATE \"C\" NOT LIKE {FIRST_WORD} || '%'
                AND {other_words} AND {FILTERS}
                AND ($7::text IS NULL OR (search_name COLLATE \"C\", id) > ($7, $8))
              ORDER BY search_name COLLATE \"C\", id
              LIMIT $9"
        ),
        // `<%` (word similarity above the threshold) catches typos, LIKE catches fragments
        // inside a name; both use the trigram index. The rows of the first two tiers are left
        // out.
        Tier::Similar => format!(
            "WITH q AS (SELECT hms_fold($1) AS v)
             SELECT {COLUMNS}, word_similarity(q.v, search_name)::text AS key, 's' AS tier
               FROM patients, q
              WHERE (q.v <% search_name OR search_name LIKE '%' || {LIKE_ESCAPED} || '%')
                AND NOT ((sort_name COLLATE \"C\" LIKE {FIRST_WORD} || '%'
                          OR search_name COLLATE \"C\" LIKE {FIRST_WORD} || '%')
                         AND {other_words})
                AND {FILTERS}
                AND ($7::text IS NULL
                     OR (word_similarity(q.v, search_name), patients.id) < ($7::real, $8))
              ORDER BY word_similarity(q.v, search_name) DESC, patients.id DESC
              LIMIT $9"
        ),
    };
    let page =
        |conn: &mut PgConnection| load_page(conn, &sql, words, search, after_key, after_id, limit);
    if tier != Tier::Similar {
        return page(conn);
    }
    conn.transaction(|conn| {
        for setting in NAME_SEARCH_SETTINGS {
            diesel::sql_query(setting).execute(conn)?;
        }
        page(conn)
    })
}

/// Runs one page query of [`search`]: $1 the words, then [`FILTERS`], $7 and $8 where the
/// previous page ended, $9 the limit.
fn load_page(
    conn: &mut PgConnection,
    sql: &str,
    words: &str,
    search: &Search,
    after_key: Option<&str>,
    after_id: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<FoundRow>> {
    diesel::sql_query(sql)
        .bind::<Text, _>(words)
        .bind::<Nullable<Text>, _>(search.mrn.as_deref())
        .bind::<Nullable<Date>, _>(search.birth_date)
        .bind::<Bool, _>(search.include_inactive)
        .bind::<Nullable<Text>, _>(search.family_prefix.as_deref())
        .bind::<Nullable<Text>, _>(search.given_prefix.as_deref())
        .bind::<Nullable<Text>, _>(after_key)
        .bind::<Nullable<SqlUuid>, _>(after_id)
        .bind::<Int8, _>(limit)
        .load(conn)
}

/// The optional filters of every patient list: $2 MRN, $3 birth date, $4 include inactive,
/// $5 family-name prefix, $6 given-name prefix.
const FILTERS: &str = "($2::text IS NULL OR mrn = $2)
    AND ($3::date IS NULL OR birth_date = $3)
    AND ($4 OR active)
    AND ($5::text IS NULL OR starts_with(hms_fold(family_name), hms_fold($5)))
    AND ($6::text IS NULL OR starts_with(hms_fold(given_name), hms_fold($6)))";

/// The query's first word, folded, with LIKE's wildcards escaped.
const FIRST_WORD: &str =
    r"replace(replace(replace(split_part(hms_fold($1), ' ', 1), '\', '\\'), '%', '\%'), '_', '\_')";

/// The query's other words each start a word of the name (the first word is the tier's
/// prefix). Plain expressions, not a subquery, so the planner keeps walking the prefix index in
/// order and stops at the page.
fn other_words(words: &str) -> String {
    let conditions: Vec<String> = (2..=words.split(' ').count())
        .map(|k| {
            format!("position(' ' || split_part(hms_fold($1), ' ', {k}) IN ' ' || search_name) > 0")
        })
        .collect();
    if conditions.is_empty() {
        "true".to_owned()
    } else {
        conditions.join(" AND ")
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
