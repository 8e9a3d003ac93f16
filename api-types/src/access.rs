//! Roles and the one table that says which role may do what.
//!
//! The API checks every protected endpoint against [`Role::can`]; the SPA uses the same
//! function to decide which areas to show. Tests walk [`PERMISSIONS`] against the endpoints.

use serde::{Deserialize, Serialize};

/// What a signed-in account is. A person has exactly one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages accounts and the system; does not browse clinical data.
    Admin,
    /// Reads and writes clinical data.
    Doctor,
    /// Reads and writes clinical data.
    Nurse,
    /// Registers patients and books appointments.
    Receptionist,
    /// Manages stock; reads medications and allergies.
    Pharmacist,
    /// A patient with access to their own record only.
    Patient,
    /// The service account of an API client: its rights come from the client's scopes, never
    /// from this table's role columns.
    Integration,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Doctor,
        Role::Nurse,
        Role::Receptionist,
        Role::Pharmacist,
        Role::Patient,
        Role::Integration,
    ];

    /// The roles people hold (every role but `integration`): what an administrator assigns.
    pub const PEOPLE: [Role; 6] = [
        Role::Admin,
        Role::Doctor,
        Role::Nurse,
        Role::Receptionist,
        Role::Pharmacist,
        Role::Patient,
    ];

    /// The role's name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Doctor => "doctor",
            Role::Nurse => "nurse",
            Role::Receptionist => "receptionist",
            Role::Pharmacist => "pharmacist",
            Role::Patient => "patient",
            Role::Integration => "integration",
        }
    }

    /// Parses the wire name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// A human label ("Receptionist").
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Doctor => "Doctor",
            Role::Nurse => "Nurse",
            Role::Receptionist => "Receptionist",
            Role::Pharmacist => "Pharmacist",
            Role::Patient => "Patient",
            Role::Integration => "Integration client",
        }
    }

    /// Whether this role holds `permission`, according to [`PERMISSIONS`].
    pub fn can(self, permission: Permission) -> bool {
        PERMISSIONS
            .iter()
            .any(|(p, roles, _)| *p == permission && roles.contains(&self))
    }

    /// Whether this role works for the hospital (people other than patients; integration
    /// clients are not staff).
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Patient | Role::Integration)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something an account may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Create, list, update and deactivate user accounts.
    ManageUsers,
    /// Read one's own account and change one's own password.
    UseOwnAccount,
    /// Search patients and read their demographics.
    ReadDemographics,
    /// Register patients and change their demographics.
    RegisterPatients,
    /// Deactivate and reactivate patients (records are never deleted).
    DeactivatePatients,
    /// Read the clinical record: conditions, vitals, encounters and notes, lab results, the
    /// summary, and everything below.
    ReadClinical,
    /// Read medications and allergies (what dispensing needs).
    ReadMedications,
    /// Add to and correct the clinical record.
    WriteClinical,
    /// Read a patient's access log ("who viewed this record").
    ReadAccessLog,
    /// A patient account: the record-reading permissions above, for its own record only.
    ReadOwnRecord,
    /// See departments, practitioners, their working hours and free slots.
    ViewDirectory,
    /// Manage departments, practitioners, working hours and leave.
    ManageSchedules,
    /// See and browse everyone's appointments.
    ViewAppointments,
    /// Book, reschedule and cancel appointments for any patient.
    BookAppointments,
    /// Move appointments through check-in, in progress, completed and no-show.
    UpdateAppointmentStatus,
    /// Undo a wrong status change, with a reason.
    RevertAppointmentStatus,
    /// A patient account: see, book and cancel its own appointments (within the rules).
    BookOwnAppointments,
    /// See items, locations, lots, stock levels, movements and shortages.
    ViewInventory,
    /// Create and change items and their reorder levels.
    ManageItems,
    /// Create and change stock locations.
    ManageLocations,
    /// Receive, transfer, adjust and write off stock.
    MoveStock,
    /// Dispense stock (to a patient or for ward use).
    DispenseStock,
    /// Report a shortage by hand: every staff member.
    ReportShortages,
    /// Work shortages: acknowledge, order, resolve, dismiss.
    ManageShortages,
    /// See database health, backups and maintenance; run and record operations.
    ViewOperations,
    /// See incidents with their timeline and postmortem (the public status page needs nothing).
    ViewIncidents,
    /// Declare, update and resolve incidents, write postmortems, override component states.
    ManageIncidents,
    /// Register API clients (integrations), change their scopes and limits, disable them and
    /// rotate their secrets.
    ManageIntegrations,
    /// Manage webhook subscriptions and see and resend their deliveries (an API client: its
    /// own only).
    ManageWebhooks,
}

impl Permission {
    /// The permissions that [`Permission::ReadOwnRecord`] grants on one's own record.
    pub fn is_record_read(self) -> bool {
        matches!(
            self,
            Permission::ReadDemographics
                | Permission::ReadClinical
                | Permission::ReadMedications
                | Permission::ReadAccessLog
        )
    }
}

/// An OAuth scope an API client may hold. A scope grants the permissions whose row in
/// [`PERMISSIONS`] names it; a client holds nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    PatientsRead,
    PatientsWrite,
    RecordsRead,
    RecordsWrite,
    AppointmentsRead,
    AppointmentsWrite,
    InventoryRead,
    InventoryWrite,
    IncidentsRead,
    WebhooksManage,
}

impl Scope {
    /// Every scope, in display order.
    pub const ALL: [Scope; 10] = [
        Scope::PatientsRead,
        Scope::PatientsWrite,
        Scope::RecordsRead,
        Scope::RecordsWrite,
        Scope::AppointmentsRead,
        Scope::AppointmentsWrite,
        Scope::InventoryRead,
        Scope::InventoryWrite,
        Scope::IncidentsRead,
        Scope::WebhooksManage,
    ];

    /// The scope's name on the wire (OAuth `scope` values) and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::PatientsRead => "patients:read",
            Scope::PatientsWrite => "patients:write",
            Scope::RecordsRead => "records:read",
            Scope::RecordsWrite => "records:write",
            Scope::AppointmentsRead => "appointments:read",
            Scope::AppointmentsWrite => "appointments:write",
            Scope::InventoryRead => "inventory:read",
            Scope::InventoryWrite => "inventory:write",
            Scope::IncidentsRead => "incidents:read",
            Scope::WebhooksManage => "webhooks:manage",
        }
    }

    /// Parses the wire name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// What the scope allows, for people choosing scopes.
    pub fn description(self) -> &'static str {
        match self {
            Scope::PatientsRead => "Search patients and read their demographics",
            Scope::PatientsWrite => "Register patients and change their demographics",
            Scope::RecordsRead => "Read medical records (clinical entries, medications, allergies)",
            Scope::RecordsWrite => "Add to and correct medical records",
            Scope::AppointmentsRead => "Read the directory, free slots and appointments",
            Scope::AppointmentsWrite => {
                "Book, reschedule and cancel appointments; move their status"
            }
            Scope::InventoryRead => "Read items, locations, stock levels, movements and shortages",
            Scope::InventoryWrite => "Move and dispense stock; report shortages",
            Scope::IncidentsRead => "Read incidents with their timeline and postmortem",
            Scope::WebhooksManage => "Manage webhook subscriptions",
        }
    }

    /// The permissions this scope grants, according to [`PERMISSIONS`].
    pub fn permissions(self) -> impl Iterator<Item = Permission> {
        PERMISSIONS
            .iter()
            .filter(move |(_, _, s)| *s == Some(self))
            .map(|(p, _, _)| *p)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes (a bit set, so it is `Copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScopeSet(u32);

impl ScopeSet {
    /// No scope.
    pub const EMPTY: ScopeSet = ScopeSet(0);

    fn bit(scope: Scope) -> u32 {
        1 << (scope as u32)
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & Self::bit(scope) != 0
    }

    pub fn insert(&mut self, scope: Scope) {
        self.0 |= Self::bit(scope);
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every scope of `self` is in `other`.
    pub fn is_subset(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// The scopes, in [`Scope::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Parses an OAuth `scope` value (space-separated); `Err` names the first unknown scope.
    pub fn parse_oauth(s: &str) -> Result<ScopeSet, String> {
        let mut set = ScopeSet::EMPTY;
        for word in s.split_ascii_whitespace() {
            set.insert(Scope::parse(word).ok_or_else(|| word.to_string())?);
        }
        Ok(set)
    }

    /// The OAuth `scope` value: names separated by single spaces.
    pub fn to_oauth(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }

    /// Whether these scopes grant `permission`, according to [`PERMISSIONS`].
    pub fn can(self, permission: Permission) -> bool {
        PERMISSIONS
            .iter()
            .any(|(p, _, s)| *p == permission && s.is_some_and(|s| self.contains(s)))
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = ScopeSet::EMPTY;
        for s in iter {
            set.insert(s);
        }
        set
    }
}

use Role::*;

/// The access table: for each permission, the roles that hold it and the scope that grants it
/// to an API client (`None`: no client ever gets it). Nothing else grants access.
pub const PERMISSIONS: &[(Permission, &[Role], Option<Scope>)] = &[
    (Permission::ManageUsers, &[Admin], None),
    (
        Permission::UseOwnAccount,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist, Patient],
        None,
    ),
    (
        Permission::ReadDemographics,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist],
        Some(Scope::PatientsRead),
    ),
    (
        Permission::RegisterPatients,
        &[Doctor, Nurse, Receptionist],
        Some(Scope::PatientsWrite),
    ),
    (Permission::DeactivatePatients, &[Admin, Receptionist], None),
    (
        Permission::ReadClinical,
        &[Doctor, Nurse],
        Some(Scope::RecordsRead),
    ),
    (
        Permission::ReadMedications,
        &[Doctor, Nurse, Pharmacist],
        Some(Scope::RecordsRead),
    ),
    (
        Permission::WriteClinical,
        &[Doctor, Nurse],
        Some(Scope::RecordsWrite),
    ),
    (Permission::ReadAccessLog, &[Admin], None),
    (Permission::ReadOwnRecord, &[Patient], None),
    (
        Permission::ViewDirectory,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist, Patient],
        Some(Scope::AppointmentsRead),
    ),
    (Permission::ManageSchedules, &[Admin], None),
    (
        Permission::ViewAppointments,
        &[Doctor, Nurse, Receptionist],
        Some(Scope::AppointmentsRead),
    ),
    (
        Permission::BookAppointments,
        &[Receptionist],
        Some(Scope::AppointmentsWrite),
    ),
    (
        Permission::UpdateAppointmentStatus,
        &[Doctor, Nurse, Receptionist],
        Some(Scope::AppointmentsWrite),
    ),
    (
        Permission::RevertAppointmentStatus,
        &[Doctor, Receptionist],
        None,
    ),
    (Permission::BookOwnAppointments, &[Patient], None),
    (
        Permission::ViewInventory,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist],
        Some(Scope::InventoryRead),
    ),
    (Permission::ManageItems, &[Admin, Pharmacist], None),
    (Permission::ManageLocations, &[Admin], None),
    (
        Permission::MoveStock,
        &[Pharmacist],
        Some(Scope::InventoryWrite),
    ),
    (
        Permission::DispenseStock,
        &[Nurse, Pharmacist],
        Some(Scope::InventoryWrite),
    ),
    (
        Permission::ReportShortages,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist],
        Some(Scope::InventoryWrite),
    ),
    (Permission::ManageShortages, &[Pharmacist], None),
    (Permission::ViewOperations, &[Admin], None),
    (
        Permission::ViewIncidents,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist],
        Some(Scope::IncidentsRead),
    ),
    (Permission::ManageIncidents, &[Admin], None),
    (Permission::ManageIntegrations, &[Admin], None),
    (
        Permission::ManageWebhooks,
        &[Admin],
        Some(Scope::WebhooksManage),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_wire_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn only_admins_manage_users() {
        let managers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.can(Permission::ManageUsers))
            .collect();
        assert_eq!(managers, vec![Admin]);
    }

    #[test]
    fn every_staff_member_can_report_a_shortage_and_no_patient_can() {
        for role in Role::ALL {
            assert_eq!(
                role.can(Permission::ReportShortages),
                role.is_staff(),
                "{role}"
            );
        }
    }

    #[test]
    fn admins_manage_but_do_not_browse_clinical_data() {
        assert!(Admin.can(Permission::ReadAccessLog));
        assert!(!Admin.can(Permission::ReadClinical));
        assert!(!Admin.can(Permission::ReadMedications));
    }

    #[test]
    fn every_permission_is_listed_once_in_the_table() {
        for (i, (p, _, _)) in PERMISSIONS.iter().enumerate() {
            assert!(
                PERMISSIONS[i + 1..].iter().all(|(q, _, _)| q != p),
                "{p:?} is listed twice"
            );
        }
    }

    #[test]
    fn every_scope_round_trips_through_its_wire_name() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("admin"), None);
    }

    #[test]
    fn no_scope_grants_user_management_or_integration_management() {
        let all: ScopeSet = Scope::ALL.into_iter().collect();
        for p in [
            Permission::ManageUsers,
            Permission::UseOwnAccount,
            Permission::ManageIntegrations,
            Permission::ReadAccessLog,
            Permission::ReadOwnRecord,
            Permission::BookOwnAppointments,
            Permission::DeactivatePatients,
            Permission::ViewOperations,
            Permission::ManageIncidents,
        ] {
            assert!(!all.can(p), "{p:?} is granted by a scope");
        }
    }

    #[test]
    fn every_scope_grants_at_least_one_permission() {
        for scope in Scope::ALL {
            assert!(
                scope.permissions().next().is_some(),
                "{scope} grants nothing"
            );
        }
    }

    #[test]
    fn the_integration_role_holds_no_permission_of_its_own() {
        for (p, roles, _) in PERMISSIONS {
            assert!(!roles.contains(&Integration), "{p:?}");
        }
        assert!(!Integration.is_staff());
    }

    #[test]
    fn a_scope_set_round_trips_through_the_oauth_form() {
        let set = ScopeSet::parse_oauth("records:read  patients:read").unwrap();
        assert_eq!(set.to_oauth(), "patients:read records:read");
        assert!(set.can(Permission::ReadMedications));
        assert!(!set.can(Permission::WriteClinical));
        assert_eq!(
            ScopeSet::parse_oauth("patients:read nope"),
            Err("nope".into())
        );
    }
}
