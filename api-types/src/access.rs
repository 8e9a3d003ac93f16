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
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 6] = [
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
        }
    }

    /// Whether this role holds `permission`, according to [`PERMISSIONS`].
    pub fn can(self, permission: Permission) -> bool {
        PERMISSIONS
            .iter()
            .any(|(p, roles)| *p == permission && roles.contains(&self))
    }

    /// Whether this role works for the hospital (every role but `patient`).
    pub fn is_staff(self) -> bool {
        self != Role::Patient
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

use Role::*;

/// The access table: for each permission, the roles that hold it. Nothing else grants access.
pub const PERMISSIONS: &[(Permission, &[Role])] = &[
    (Permission::ManageUsers, &[Admin]),
    (
        Permission::UseOwnAccount,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist, Patient],
    ),
    (
        Permission::ReadDemographics,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist],
    ),
    (Permission::RegisterPatients, &[Doctor, Nurse, Receptionist]),
    (Permission::DeactivatePatients, &[Admin, Receptionist]),
    (Permission::ReadClinical, &[Doctor, Nurse]),
    (Permission::ReadMedications, &[Doctor, Nurse, Pharmacist]),
    (Permission::WriteClinical, &[Doctor, Nurse]),
    (Permission::ReadAccessLog, &[Admin]),
    (Permission::ReadOwnRecord, &[Patient]),
    (
        Permission::ViewDirectory,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist, Patient],
    ),
    (Permission::ManageSchedules, &[Admin]),
    (Permission::ViewAppointments, &[Doctor, Nurse, Receptionist]),
    (Permission::BookAppointments, &[Receptionist]),
    (
        Permission::UpdateAppointmentStatus,
        &[Doctor, Nurse, Receptionist],
    ),
    (Permission::RevertAppointmentStatus, &[Doctor, Receptionist]),
    (Permission::BookOwnAppointments, &[Patient]),
    (
        Permission::ViewInventory,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist],
    ),
    (Permission::ManageItems, &[Admin, Pharmacist]),
    (Permission::ManageLocations, &[Admin]),
    (Permission::MoveStock, &[Pharmacist]),
    (Permission::DispenseStock, &[Nurse, Pharmacist]),
    (
        Permission::ReportShortages,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist],
    ),
    (Permission::ManageShortages, &[Pharmacist]),
    (Permission::ViewOperations, &[Admin]),
    (
        Permission::ViewIncidents,
        &[Admin, Doctor, Nurse, Receptionist, Pharmacist],
    ),
    (Permission::ManageIncidents, &[Admin]),
    (Permission::ManageWebhooks, &[Admin]),
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
        for (i, (p, _)) in PERMISSIONS.iter().enumerate() {
            assert!(
                PERMISSIONS[i + 1..].iter().all(|(q, _)| q != p),
                "{p:?} is listed twice"
            );
        }
    }
}
