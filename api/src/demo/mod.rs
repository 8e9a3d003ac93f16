//! Demo data for `hms serve --demo` and `hms seed-demo`: one account per role and a few hundred
//! patients with plausible records, each dataset loaded once.
//! Each dataset is recorded in `demo_seeds`, so restarting never duplicates or resets it.

use diesel::prelude::*;
use hms_api_types::Role;

use crate::auth::password;
use crate::db::schema::{demo_seeds, users};

mod inventory;
mod patients;
mod schedule;

/// The password of every demo account. Demo data is for trying HMS out, never for production.
pub const DEMO_PASSWORD: &str = "hms-demo-password";

/// The demo accounts: role, email, display name.
pub const DEMO_ACCOUNTS: [(Role, &str, &str); 6] = [
    (Role::Admin, "admin@demo.hms", "Amara Nwosu"),
    (Role::Doctor, "doctor@demo.hms", "Dr Samuel Osei"),
    (Role::Nurse, "nurse@demo.hms", "Nia Okafor"),
    (Role::Receptionist, "reception@demo.hms", "Lena Fischer"),
    (Role::Pharmacist, "pharmacist@demo.hms", "Ravi Patel"),
    (Role::Patient, "patient@demo.hms", "Maria Gonzalez"),
];

/// Loads every demo dataset not loaded yet. Returns the names of those it loaded.
pub fn seed(conn: &mut PgConnection) -> anyhow::Result<Vec<&'static str>> {
    let mut loaded = Vec::new();
    if load_once(conn, "accounts", seed_accounts)? {
        loaded.push("accounts");
    }
    if load_once(conn, "patients", patients::seed)? {
        loaded.push("patients");
    }
    if load_once(conn, "schedule", schedule::seed)? {
        loaded.push("schedule");
    }
    if load_once(conn, "inventory", inventory::seed)? {
        loaded.push("inventory");
    }
    Ok(loaded)
}

fn load_once(
    conn: &mut PgConnection,
    name: &str,
    load: fn(&mut PgConnection) -> anyhow::Result<()>,
) -> anyhow::Result<bool> {
    conn.transaction(|conn| {
        let inserted = diesel::insert_into(demo_seeds::table)
            .values(demo_seeds::name.eq(name))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 1 {
            load(conn)?;
        }
        Ok(inserted == 1)
    })
}

fn seed_accounts(conn: &mut PgConnection) -> anyhow::Result<()> {
    let hash = password::hash(DEMO_PASSWORD)?;
    for (role, email, name) in DEMO_ACCOUNTS {
        diesel::insert_into(users::table)
            .values((
                users::email.eq(email),
                users::display_name.eq(name),
                users::role.eq(role.as_str()),
                users::password_hash.eq(&hash),
            ))
            .on_conflict(users::email)
            .do_nothing()
            .execute(conn)?;
    }
    Ok(())
}
