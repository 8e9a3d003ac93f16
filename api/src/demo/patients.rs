//! A few hundred generated patients with plausible records, and the demo patient account's own
//! record. Deterministic: every fresh database gets the same people.

use chrono::{Days, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{
    allergies, clinical_notes, conditions, encounters, lab_results, medications, patients, users,
    vitals,
};

const GIVEN_F: [&str; 24] = [
    "María",
    "Amara",
    "Zoë",
    "Chloé",
    "Ingrid",
    "Aisha",
    "Mei",
    "Olga",
    "Fatima",
    "Sofía",
    "Hannah",
    "Priya",
    "Léa",
    "Yuki",
    "Grace",
    "Nia",
    "Elena",
    "Ana",
    "Chiara",
    "Emma",
    "Leila",
    "Rosa",
    "Kateřina",
    "Siobhán",
];
const GIVEN_M: [&str; 24] = [
    "José",
    "Samuel",
    "Søren",
    "François",
    "Kwame",
    "Luca",
    "Mateus",
    "Ahmed",
    "Jonas",
    "Tomás",
    "Raj",
    "Hiroshi",
    "Ivan",
    "Oliver",
    "Kofi",
    "Björn",
    "Diego",
    "Noah",
    "Łukasz",
    "Mehmet",
    "Pedro",
    "Emeka",
    "Arjun",
    "Dmitri",
];
const FAMILY: [&str; 40] = [
    "González",
    "Okafor",
    "Müller",
    "Nguyễn",
    "Smith",
    "Haddad",
    "Kowalski",
    "Rossi",
    "Silva",
    "Jensen",
    "Patel",
    "Tanaka",
    "Dubois",
    "Mensah",
    "Ivanova",
    "García",
    "O'Brien",
    "Novák",
    "Andersson",
    "Hernández",
    "Kim",
    "Osei",
    "Fischer",
    "Moreau",
    "Costa",
    "Yılmaz",
    "Schmidt",
    "Papadopoulos",
    "Ferreira",
    "Chen",
    "Martínez",
    "Ahmed",
    "Nowak",
    "Lindqvist",
    "Bianchi",
    "Adeyemi",
    "López",
    "Kovač",
    "Santos",
    "Wójcik",
];
const CITIES: [(&str, &str); 6] = [
    ("Lisbon", "Portugal"),
    ("Accra", "Ghana"),
    ("Lyon", "France"),
    ("Madrid", "Spain"),
    ("Manchester", "United Kingdom"),
    ("Hamburg", "Germany"),
];
const LANGUAGES: [&str; 6] = ["pt", "en", "fr", "es", "en", "de"];
const ALLERGENS: [(&str, &str, &str); 6] = [
    ("Penicillin", "Hives", "moderate"),
    ("Peanuts", "Anaphylaxis", "life_threatening"),
    ("Latex", "Contact dermatitis", "mild"),
    ("Sulfonamides", "Rash", "moderate"),
    ("Iodinated contrast", "Bronchospasm", "severe"),
    ("Aspirin", "Angioedema", "severe"),
];
const CONDITIONS: [(&str, &str); 8] = [
    ("E11.9", "Type 2 diabetes mellitus without complications"),
    ("I10", "Essential (primary) hypertension"),
    ("J45.909", "Unspecified asthma, uncomplicated"),
    ("E78.5", "Hyperlipidemia, unspecified"),
    ("M54.5", "Low back pain"),
    ("F41.1", "Generalized anxiety disorder"),
    (
        "K21.9",
        "Gastro-esophageal reflux disease without esophagitis",
    ),
    ("N18.3", "Chronic kidney disease, stage 3"),
];
const MEDICATIONS: [(&str, &str, &str, &str); 8] = [
    ("Metformin", "500 mg", "oral", "twice daily"),
    ("Amlodipine", "5 mg", "oral", "once daily"),
    ("Salbutamol", "100 micrograms", "inhaled", "as needed"),
    ("Atorvastatin", "20 mg", "oral", "once daily at night"),
    ("Ibuprofen", "400 mg", "oral", "three times daily with food"),
    ("Sertraline", "50 mg", "oral", "once daily"),
    ("Omeprazole", "20 mg", "oral", "once daily before breakfast"),
    ("Furosemide", "40 mg", "oral", "once daily"),
];

/// A small deterministic generator (xorshift64*), so demo data is the same everywhere.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Ids of the demo clinicians who "recorded" the generated entries.
struct Clinicians {
    doctor: Uuid,
    nurse: Uuid,
}

pub fn seed(conn: &mut PgConnection) -> anyhow::Result<()> {
    let by_email = |conn: &mut PgConnection, email: &str| -> QueryResult<Uuid> {
        users::table
            .filter(users::email.eq(email))
            .select(users::id)
            .first(conn)
    };
    let staff = Clinicians {
        doctor: by_email(conn, "doctor@demo.hms")?,
        nurse: by_email(conn, "nurse@demo.hms")?,
    };
    let mut dice = Dice(0x5EED_2026_1126);
    let today = Utc::now().date_naive();

    // The demo patient account's own record: María González, with a full history.
    let maria = insert_patient(
        conn,
        "María",
        "González",
        date(1984, 3, 12),
        "female",
        0,
        &mut dice,
    )?;
    records(conn, maria, &staff, &mut dice, 6)?;
    diesel::update(users::table.filter(users::email.eq("patient@demo.hms")))
        .set(users::patient_id.eq(maria))
        .execute(conn)?;

    for i in 1..320 {
        let female = dice.below(2) == 0;
        let given = if female {
            *dice.pick(&GIVEN_F)
        } else {
            *dice.pick(&GIVEN_M)
        };
        let family = *dice.pick(&FAMILY);
        let age_days = 365 + dice.below(365 * 90) as u64;
        let birth = today - Days::new(age_days);
        let sex = if female { "female" } else { "male" };
        let id = insert_patient(conn, given, family, birth, sex, i, &mut dice)?;
        let depth = dice.below(4);
        records(conn, id, &staff, &mut dice, depth)?;
    }
    Ok(())
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn insert_patient(
    conn: &mut PgConnection,
    given: &str,
    family: &str,
    birth: NaiveDate,
    sex: &str,
    n: usize,
    dice: &mut Dice,
) -> QueryResult<Uuid> {
    let city = dice.below(CITIES.len());
    diesel::insert_into(patients::table)
        .values((
            patients::given_name.eq(given),
            patients::family_name.eq(family),
            patients::birth_date.eq(birth),
            patients::sex.eq(sex),
            patients::phone.eq(format!("+351 21 {:03} {:04}", n % 1000, dice.below(10_000))),
            patients::address_line.eq(format!("{} Rua das Flores", 1 + dice.below(200))),
            patients::city.eq(CITIES[city].0),
            patients::country.eq(CITIES[city].1),
            patients::postal_code.eq(format!(
                "{:04}-{:03}",
                1000 + dice.below(8999),
                dice.below(999)
            )),
            patients::preferred_language.eq(LANGUAGES[city]),
            patients::emergency_contact_name.eq(format!("{} {family}", dice.pick(&GIVEN_F))),
            patients::emergency_contact_relationship.eq("family"),
            patients::emergency_contact_phone.eq(format!(
                "+351 91 {:03} {:04}",
                dice.below(1000),
                dice.below(10_000)
            )),
        ))
        .returning(patients::id)
        .get_result(conn)
}

/// `depth` (0 to 6) decides how much history a patient has.
fn records(
    conn: &mut PgConnection,
    patient: Uuid,
    staff: &Clinicians,
    dice: &mut Dice,
    depth: usize,
) -> QueryResult<()> {
    let now = Utc::now();
    // Distinct allergens: the same allergy twice would read as a duplicate entry.
    for k in 0..depth.min(2) {
        let (substance, reaction, severity) =
            ALLERGENS[(dice.below(ALLERGENS.len()) + k) % ALLERGENS.len()];
        diesel::insert_into(allergies::table)
            .values((
                allergies::patient_id.eq(patient),
                allergies::substance.eq(substance),
                allergies::reaction.eq(reaction),
                allergies::severity.eq(severity),
                allergies::status.eq("active"),
                allergies::recorded_by.eq(staff.nurse),
            ))
            .execute(conn)?;
    }
    for k in 0..depth.min(3) {
        let c = (dice.below(CONDITIONS.len()) + k) % CONDITIONS.len();
        let (code, description) = CONDITIONS[c];
        let (drug, dose, route, frequency) = MEDICATIONS[c];
        let since = now.date_naive() - Days::new(30 + dice.below(2000) as u64);
        diesel::insert_into(conditions::table)
            .values((
                conditions::patient_id.eq(patient),
                conditions::icd10_code.eq(code),
                conditions::description.eq(description),
                conditions::status.eq("active"),
                conditions::onset_date.eq(since),
                conditions::recorded_by.eq(staff.doctor),
            ))
            .execute(conn)?;
        diesel::insert_into(medications::table)
            .values((
                medications::patient_id.eq(patient),
                medications::drug.eq(drug),
                medications::dose.eq(dose),
                medications::route.eq(route),
                medications::frequency.eq(frequency),
                medications::start_date.eq(since),
                medications::status.eq("active"),
                medications::prescriber_id.eq(staff.doctor),
                medications::recorded_by.eq(staff.doctor),
            ))
            .execute(conn)?;
    }
    for visit in 0..depth {
        let at = now - Duration::days(7 + 60 * visit as i64 + dice.below(30) as i64);
        let systolic = 105 + dice.below(50) as i32;
        diesel::insert_into(vitals::table)
            .values((
                vitals::patient_id.eq(patient),
                vitals::measured_at.eq(at),
                vitals::systolic_mmhg.eq(systolic),
                vitals::diastolic_mmhg.eq(systolic - 40 + dice.below(10) as i32),
                vitals::heart_rate_bpm.eq(55 + dice.below(45) as i32),
                vitals::temperature_c.eq(36.1 + dice.below(15) as f64 / 10.0),
                vitals::spo2_percent.eq(94 + dice.below(6) as i32),
                vitals::respiratory_rate.eq(12 + dice.below(8) as i32),
                vitals::weight_kg.eq(50.0 + dice.below(500) as f64 / 10.0),
                vitals::height_cm.eq(150.0 + dice.below(450) as f64 / 10.0),
                vitals::recorded_by.eq(staff.nurse),
            ))
            .execute(conn)?;
        let encounter: Uuid = diesel::insert_into(encounters::table)
            .values((
                encounters::patient_id.eq(patient),
                encounters::encounter_type.eq("outpatient"),
                encounters::started_at.eq(at),
                encounters::ended_at.eq(at + Duration::minutes(20)),
                encounters::reason.eq("Follow-up visit"),
                encounters::clinician_id.eq(staff.doctor),
                encounters::recorded_by.eq(staff.doctor),
            ))
            .returning(encounters::id)
            .get_result(conn)?;
        diesel::insert_into(clinical_notes::table)
            .values((
                clinical_notes::encounter_id.eq(encounter),
                clinical_notes::patient_id.eq(patient),
                clinical_notes::note_type.eq("progress"),
                clinical_notes::body.eq(
                    "Patient reviewed. Symptoms stable on current treatment. Continue medication; \
                     review results at next visit.",
                ),
                clinical_notes::author_id.eq(staff.doctor),
                clinical_notes::written_at.eq(at + Duration::minutes(15)),
            ))
            .execute(conn)?;
        let hba1c = 5.0 + dice.below(40) as f64 / 10.0;
        let flag = if hba1c > 5.6 { "high" } else { "normal" };
        diesel::insert_into(lab_results::table)
            .values((
                lab_results::patient_id.eq(patient),
                lab_results::test_name.eq("Hemoglobin A1c"),
                lab_results::loinc_code.eq("4548-4"),
                lab_results::value_numeric.eq(hba1c),
                lab_results::unit.eq("%"),
                lab_results::reference_low.eq(4.0),
                lab_results::reference_high.eq(5.6),
                lab_results::flag.eq(flag),
                lab_results::collected_at.eq(at),
                lab_results::recorded_by.eq(staff.doctor),
            ))
            .execute(conn)?;
    }
    Ok(())
}
