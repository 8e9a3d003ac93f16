//! The demo hospital's schedule: four departments, eight practitioners (the demo doctor and
//! nurse and six generated doctors) with weekday hours, one of them on leave next week, and
//! appointments for the demo patients over the past three weeks (completed, no-show, cancelled,
//! each with its status history) and the next three (booked). María González, the demo patient
//! account's record, has a past and an upcoming appointment with the demo doctor.
//!
//! Deterministic apart from "today": the same clinicians, hours and pattern of appointments
//! everywhere. Times are wall-clock times in the hospital's time zone, turned into instants by
//! PostgreSQL, as the scheduling code does. Every practitioner's appointments sit on their own
//! slot grid and every patient has at most one appointment a day, so the exclusion constraints
//! are never violated.

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Nullable, Text, Timestamp, Uuid as SqlUuid};
use uuid::Uuid;

use crate::config::Settings;
use crate::db::schema::{availability_rules, departments, patients, practitioners, users};

const DEPARTMENTS: [(&str, &str); 4] = [
    (
        "General Practice",
        "Family medicine, check-ups, vaccinations and practice nursing",
    ),
    (
        "Cardiology",
        "Heart and circulation: assessments, ECG and follow-up",
    ),
    ("Paediatrics", "Children and adolescents up to 16"),
    ("Orthopaedics", "Bones, joints and fracture clinics"),
];

/// A bookable clinician: account, department (index into [`DEPARTMENTS`]), specialty, slot.
struct Clinician {
    email: &'static str,
    /// For the generated accounts; the demo doctor and nurse keep theirs.
    name: &'static str,
    role: &'static str,
    department: usize,
    specialty: &'static str,
    slot_minutes: i32,
}

const CLINICIANS: [Clinician; 8] = [
    Clinician {
        email: "doctor@demo.hms",
        name: "Dr Samuel Osei",
        role: "doctor",
        department: 0,
        specialty: "Family medicine",
        slot_minutes: 15,
    },
    Clinician {
        email: "nurse@demo.hms",
        name: "Nia Okafor",
        role: "nurse",
        department: 0,
        specialty: "Practice nursing",
        slot_minutes: 15,
    },
    Clinician {
        email: "dr.hernandez@demo.hms",
        name: "Dr Diego Hernández",
        role: "doctor",
        department: 0,
        specialty: "Family medicine",
        slot_minutes: 15,
    },
    Clinician {
        email: "dr.haddad@demo.hms",
        name: "Dr Aisha Haddad",
        role: "doctor",
        department: 1,
        specialty: "Cardiology",
        slot_minutes: 20,
    },
    Clinician {
        email: "dr.lindqvist@demo.hms",
        name: "Dr Jonas Lindqvist",
        role: "doctor",
        department: 1,
        specialty: "Cardiology",
        slot_minutes: 20,
    },
    Clinician {
        email: "dr.tanaka@demo.hms",
        name: "Dr Mei Tanaka",
        role: "doctor",
        department: 2,
        specialty: "Paediatrics",
        slot_minutes: 20,
    },
    Clinician {
        email: "dr.mensah@demo.hms",
        name: "Dr Kwame Mensah",
        role: "doctor",
        department: 2,
        specialty: "Paediatrics",
        slot_minutes: 20,
    },
    Clinician {
        email: "dr.rossi@demo.hms",
        name: "Dr Chiara Rossi",
        role: "doctor",
        department: 3,
        specialty: "Orthopaedic surgery",
        slot_minutes: 20,
    },
];

/// The clinician on annual leave next week (Dr Jonas Lindqvist).
const ON_LEAVE: usize = 4;

/// Working windows, Monday to Friday, local time.
const WINDOWS: [((u32, u32), (u32, u32)); 2] = [((9, 0), (12, 30)), ((14, 0), (17, 0))];

const REASONS: [&[&str]; 4] = [
    &[
        "Annual check-up",
        "Follow-up visit",
        "Persistent cough",
        "Blood pressure review",
        "Medication review",
        "Vaccination",
        "Blood test",
    ],
    &[
        "Chest pain assessment",
        "ECG review",
        "Palpitations",
        "Hypertension follow-up",
        "Heart failure review",
    ],
    &[
        "Child wellness visit",
        "Vaccination",
        "Fever and ear pain",
        "Growth check",
        "Asthma review",
    ],
    &[
        "Knee pain",
        "Fracture follow-up",
        "Lower back pain",
        "Post-operative review",
        "Shoulder stiffness",
    ],
];

const CANCEL_REASONS: [&str; 3] = [
    "Patient called to cancel",
    "Patient unwell",
    "Rescheduled at the patient's request",
];

/// A small deterministic generator (xorshift64*), like the patients' one.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One appointment to insert: local start, length, status and texts.
struct Planned {
    patient: Uuid,
    practitioner: Uuid,
    local_start: NaiveDateTime,
    minutes: i32,
    status: &'static str,
    reason: &'static str,
    cancel_reason: Option<&'static str>,
}

pub fn seed(conn: &mut PgConnection) -> anyhow::Result<()> {
    let time_zone = hospital_time_zone(conn)?;
    let now = local_now(conn, &time_zone)?;
    let today = now.date();
    let account = |conn: &mut PgConnection, email: &str| -> QueryResult<Uuid> {
        users::table
            .filter(users::email.eq(email))
            .select(users::id)
            .first(conn)
    };
    let admin = account(conn, "admin@demo.hms")?;
    let reception = account(conn, "reception@demo.hms")?;
    // The demo password's hash, shared by the generated doctors (hashing again is slow).
    let hash: String = users::table
        .filter(users::email.eq("doctor@demo.hms"))
        .select(users::password_hash)
        .first(conn)?;

    let department_ids: Vec<Uuid> = diesel::insert_into(departments::table)
        .values(
            DEPARTMENTS
                .iter()
                .map(|(name, description)| {
                    (
                        departments::name.eq(*name),
                        departments::description.eq(Some(*description)),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .returning(departments::id)
        .get_results(conn)?;

    let new_accounts: Vec<_> = CLINICIANS
        .iter()
        .filter(|c| c.email.starts_with("dr."))
        .map(|c| {
            (
                users::email.eq(c.email),
                users::display_name.eq(c.name),
                users::role.eq(c.role),
                users::password_hash.eq(&hash),
            )
        })
        .collect();
    diesel::insert_into(users::table)
        .values(new_accounts)
        .on_conflict(users::email)
        .do_nothing()
        .execute(conn)?;

    let mut practitioner_ids = Vec::new();
    for c in &CLINICIANS {
        let user = account(conn, c.email)?;
        let id: Uuid = diesel::insert_into(practitioners::table)
            .values((
                practitioners::user_id.eq(user),
                practitioners::department_id.eq(department_ids[c.department]),
                practitioners::specialty.eq(c.specialty),
            ))
            .returning(practitioners::id)
            .get_result(conn)?;
        practitioner_ids.push(id);
    }

    let mut rules = Vec::new();
    for (c, id) in CLINICIANS.iter().zip(&practitioner_ids) {
        for weekday in 1..=5i16 {
            for (open, close) in WINDOWS {
                rules.push((
                    availability_rules::practitioner_id.eq(*id),
                    availability_rules::weekday.eq(weekday),
                    availability_rules::starts_at.eq(time(open)),
                    availability_rules::ends_at.eq(time(close)),
                    availability_rules::slot_minutes.eq(c.slot_minutes),
                ));
            }
        }
    }
    diesel::insert_into(availability_rules::table)
        .values(rules)
        .execute(conn)?;

    // Annual leave next week, Monday 00:00 to Saturday 00:00 local time.
    let next_monday = today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
    let leave = (next_monday, next_monday + Duration::days(5));
    diesel::sql_query(
        "INSERT INTO availability_exceptions (practitioner_id, period, reason, created_by)
         VALUES ($1, tstzrange($2::timestamp AT TIME ZONE $4, $3::timestamp AT TIME ZONE $4, '[)'),
                 'Annual leave', $5)",
    )
    .bind::<SqlUuid, _>(practitioner_ids[ON_LEAVE])
    .bind::<Timestamp, _>(leave.0.and_time(NaiveTime::MIN))
    .bind::<Timestamp, _>(leave.1.and_time(NaiveTime::MIN))
    .bind::<Text, _>(&time_zone)
    .bind::<SqlUuid, _>(admin)
    .execute(conn)?;

    let plan = plan_appointments(conn, &practitioner_ids, now, leave)?;
    insert_appointments(conn, &time_zone, reception, &plan)?;
    Ok(())
}

/// The hospital's time zone as the server reads it (`HMS_TIMEZONE`, through `config`), or UTC
/// when the settings are incomplete (e.g. `hms seed-demo` without a JWT secret) or name a zone
/// PostgreSQL does not know.
fn hospital_time_zone(conn: &mut PgConnection) -> QueryResult<String> {
    let zone = Settings::from_env()
        .map(|s| s.time_zone)
        .unwrap_or_else(|_| "UTC".into());
    if crate::scheduling::repo::time_zone_exists(conn, &zone)? {
        Ok(zone)
    } else {
        Ok("UTC".into())
    }
}

/// The wall-clock time now in `time_zone`.
fn local_now(conn: &mut PgConnection, time_zone: &str) -> QueryResult<NaiveDateTime> {
    #[derive(QueryableByName)]
    struct Now {
        #[diesel(sql_type = Timestamp)]
        now: NaiveDateTime,
    }
    diesel::sql_query("SELECT (now() AT TIME ZONE $1) AS now")
        .bind::<Text, _>(time_zone)
        .get_result::<Now>(conn)
        .map(|n| n.now)
}

fn time((h, m): (u32, u32)) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

fn is_weekday(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The slot starts of one clinician on one day, as the free-slot search makes them.
fn slots(day: NaiveDate, slot_minutes: i32) -> Vec<NaiveDateTime> {
    let step = Duration::minutes(i64::from(slot_minutes));
    let mut out = Vec::new();
    for (open, close) in WINDOWS {
        let close = day.and_time(time(close));
        let mut at = day.and_time(time(open));
        while at + step <= close {
            out.push(at);
            at += step;
        }
    }
    out
}

/// Three weeks back and three ahead: each slot taken with a probability that falls with the
/// distance ahead; past ones mostly completed, some no-shows and cancellations.
fn plan_appointments(
    conn: &mut PgConnection,
    practitioner_ids: &[Uuid],
    now: NaiveDateTime,
    leave: (NaiveDate, NaiveDate),
) -> anyhow::Result<Vec<Planned>> {
    let maria: Uuid = users::table
        .filter(users::email.eq("patient@demo.hms"))
        .select(users::patient_id)
        .first::<Option<Uuid>>(conn)?
        .ok_or_else(|| anyhow::anyhow!("the demo patient account has no record"))?;
    let others: Vec<Uuid> = patients::table
        .filter(patients::active.eq(true))
        .filter(patients::id.ne(maria))
        .order(patients::mrn.asc())
        .select(patients::id)
        .load(conn)?;
    anyhow::ensure!(!others.is_empty(), "the demo patients are not loaded");
    let today = now.date();
    let mut dice = Dice(0x5C4E_D01E_2026);
    let mut plan = Vec::new();
    // (patient, day): one appointment a day per patient, so patients never overlap.
    let mut busy: HashSet<(Uuid, NaiveDate)> = HashSet::new();
    // (clinician, start) already planned.
    let mut taken: HashSet<(usize, NaiveDateTime)> = HashSet::new();

    // María: a completed visit at least a week ago and a booked follow-up a few days ahead,
    // both with the demo doctor.
    let mut past_day = today - Duration::days(7);
    while !is_weekday(past_day) {
        past_day -= Duration::days(1);
    }
    let mut next_day = today + Duration::days(3);
    while !is_weekday(next_day) {
        next_day += Duration::days(1);
    }
    for (day, hm, status, reason) in [
        (past_day, (10, 0), "completed", "Blood pressure review"),
        (next_day, (10, 30), "booked", "Follow-up visit"),
    ] {
        let start = day.and_time(time(hm));
        busy.insert((maria, day));
        taken.insert((0, start));
        plan.push(Planned {
            patient: maria,
            practitioner: practitioner_ids[0],
            local_start: start,
            minutes: CLINICIANS[0].slot_minutes,
            status,
            reason,
            cancel_reason: None,
        });
    }

    for offset in -21..=21i64 {
        let day = today + Duration::days(offset);
        if !is_weekday(day) {
            continue;
        }
        for (k, c) in CLINICIANS.iter().enumerate() {
            if k == ON_LEAVE && day >= leave.0 && day < leave.1 {
                continue;
            }
            let fill = match offset {
                ..=0 => 35,
                1..=7 => 40,
                8..=14 => 25,
                _ => 12,
            };
            for start in slots(day, c.slot_minutes) {
                let end = start + Duration::minutes(i64::from(c.slot_minutes));
                // Skip what is going on right now; it is neither past nor ahead.
                let past = end <= now;
                if (!past && start < now) || taken.contains(&(k, start)) || !dice.chance(fill) {
                    continue;
                }
                let Some(patient) = (0..20)
                    .map(|_| others[dice.below(others.len())])
                    .find(|p| !busy.contains(&(*p, day)))
                else {
                    continue;
                };
                busy.insert((patient, day));
                taken.insert((k, start));
                let roll = dice.below(100);
                let (status, cancel_reason) = match (past, roll) {
                    (true, 0..=9) => ("no_show", None),
                    (true, 10..=19) | (false, 0..=4) => (
                        "cancelled",
                        Some(CANCEL_REASONS[dice.below(CANCEL_REASONS.len())]),
                    ),
                    (true, _) => ("completed", None),
                    (false, _) => ("booked", None),
                };
                let reasons = REASONS[c.department];
                plan.push(Planned {
                    patient,
                    practitioner: practitioner_ids[k],
                    local_start: start,
                    minutes: c.slot_minutes,
                    status,
                    reason: reasons[dice.below(reasons.len())],
                    cancel_reason,
                });
            }
        }
    }
    Ok(plan)
}

/// Inserts the appointments and their status histories in one statement: booked by the demo
/// receptionist a week ahead (or three days ago); checked in by reception, started and completed
/// by the clinician; no-shows marked by reception after 15 minutes; cancellations a day after
/// booking.
fn insert_appointments(
    conn: &mut PgConnection,
    time_zone: &str,
    reception: Uuid,
    plan: &[Planned],
) -> QueryResult<usize> {
    diesel::sql_query(
        "WITH input AS (
             SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::timestamp[], $5::int4[], $6::text[],
                                  $7::text[], $8::text[])
                      AS t(patient_id, practitioner_id, local_start, minutes, status, reason, cancel_reason)
         ), timed AS (
             SELECT i.*, pr.department_id,
                    i.local_start AT TIME ZONE $1 AS starts_at,
                    (i.local_start + make_interval(mins => i.minutes)) AT TIME ZONE $1 AS ends_at
               FROM input i JOIN practitioners pr ON pr.id = i.practitioner_id
         ), stamped AS (
             SELECT t.*, least(t.starts_at - interval '7 days', now() - interval '3 days') AS booked_at
               FROM timed t
         ), ins AS (
             INSERT INTO appointments (patient_id, practitioner_id, department_id, starts_at, ends_at,
                                       status, reason, cancel_reason, booked_by, version, created_at,
                                       updated_at)
             SELECT patient_id, practitioner_id, department_id, starts_at, ends_at, status, reason,
                    cancel_reason, $9,
                    CASE status WHEN 'completed' THEN 4 WHEN 'booked' THEN 1 ELSE 2 END,
                    booked_at,
                    CASE status WHEN 'completed' THEN ends_at
                                WHEN 'no_show' THEN starts_at + interval '15 minutes'
                                WHEN 'cancelled' THEN booked_at + interval '1 day'
                                ELSE booked_at END
               FROM stamped
             RETURNING id, practitioner_id, status, starts_at, ends_at, cancel_reason, created_at
         )
         INSERT INTO appointment_status_changes (appointment_id, from_status, to_status, changed_by,
                                                 changed_at, reason)
         SELECT ins.id, step.from_status, step.to_status, step.changed_by, step.changed_at, step.reason
           FROM ins
           JOIN practitioners pr ON pr.id = ins.practitioner_id
          CROSS JOIN LATERAL (VALUES
                (1, NULL::text, 'booked', $9::uuid, ins.created_at, NULL::text),
                (2, 'booked', 'checked_in', $9, ins.starts_at - interval '10 minutes', NULL),
                (3, 'checked_in', 'in_progress', pr.user_id, ins.starts_at + interval '2 minutes', NULL),
                (4, 'in_progress', 'completed', pr.user_id, ins.ends_at, NULL),
                (2, 'booked', 'no_show', $9, ins.starts_at + interval '15 minutes', NULL),
                (2, 'booked', 'cancelled', $9, ins.created_at + interval '1 day', ins.cancel_reason)
             ) AS step(n, from_status, to_status, changed_by, changed_at, reason)
          WHERE step.to_status = 'booked'
             OR (ins.status = 'completed' AND step.to_status IN ('checked_in', 'in_progress', 'completed'))
             OR (ins.status IN ('no_show', 'cancelled') AND step.to_status = ins.status)
          ORDER BY ins.starts_at, ins.id, step.n",
    )
    .bind::<Text, _>(time_zone)
    .bind::<Array<SqlUuid>, _>(plan.iter().map(|p| p.patient).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(plan.iter().map(|p| p.practitioner).collect::<Vec<_>>())
    .bind::<Array<Timestamp>, _>(plan.iter().map(|p| p.local_start).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(plan.iter().map(|p| p.minutes).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(plan.iter().map(|p| p.status).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(plan.iter().map(|p| p.reason).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(plan.iter().map(|p| p.cancel_reason).collect::<Vec<_>>())
    .bind::<SqlUuid, _>(reception)
    .execute(conn)
}
