//! [`ForPatient`]: the caller, checked against the role table for one patient's record.
//!
//! Staff roles act on any patient their role allows. A patient account holds
//! `ReadOwnRecord`, which covers the record-reading permissions for its own patient only;
//! for any other patient it gets 404, so it cannot even learn that the patient exists.

use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use hms_api_types::{Permission, Role};
use uuid::Uuid;

use crate::audit::RequestMeta;
use crate::auth::{authenticate, AuthUser, Requirement};
use crate::error::ApiError;

/// The signed-in caller, allowed `R` on the patient named by the `{patient_id}` path segment.
pub struct ForPatient<R: Requirement> {
    pub user: AuthUser,
    pub patient_id: Uuid,
    pub meta: RequestMeta,
    _requirement: PhantomData<fn() -> R>,
}

/// Whether `user` may use `permission` on `patient_id`'s record.
pub fn allowed(user: &AuthUser, permission: Permission, patient_id: Uuid) -> bool {
    user.can(permission)
        || (permission.is_record_read()
            && user.can(Permission::ReadOwnRecord)
            && user.patient_id == Some(patient_id))
}

impl<R: Requirement> FromRequest for ForPatient<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let user = authenticate(req)?;
            let patient_id = req
                .match_info()
                .get("patient_id")
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| {
                    ApiError::BadRequest("invalid path parameter: patient_id must be a UUID".into())
                })?;
            if !allowed(&user, R::PERMISSION, patient_id) {
                return Err(if user.role == Role::Patient {
                    ApiError::not_found("the patient")
                } else {
                    ApiError::Forbidden
                });
            }
            Ok(ForPatient {
                user,
                patient_id,
                meta: RequestMeta::of(req),
                _requirement: PhantomData,
            })
        })())
    }
}

/// The signed-in caller, allowed `R` on at least one patient's record, for reads that find
/// the patient only later (FHIR reads name an entry, not its patient; searches may name no
/// patient). Staff need `R`; a patient account passes when `R` is a record read and is then
/// limited to its own record by [`ForSomePatient::check`] and [`ForSomePatient::patient_filter`].
pub struct ForSomePatient<R: Requirement> {
    pub user: AuthUser,
    pub meta: RequestMeta,
    _requirement: PhantomData<fn() -> R>,
}

impl<R: Requirement> ForSomePatient<R> {
    /// The same decision as [`ForPatient`] for `patient_id`: 404 for a patient account asking
    /// about someone else, 403 for a role without `R`.
    pub fn check(&self, patient_id: Uuid) -> Result<(), ApiError> {
        if allowed(&self.user, R::PERMISSION, patient_id) {
            Ok(())
        } else if self.user.role == Role::Patient {
            Err(ApiError::not_found("the patient"))
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Whose entries a search may return: the patient asked for (checked), or, for a patient
    /// account that names none, its own.
    pub fn patient_filter(&self, requested: Option<Uuid>) -> Result<Option<Uuid>, ApiError> {
        match requested {
            Some(id) => self.check(id).map(|()| Some(id)),
            None if self.user.can(R::PERMISSION) => Ok(None),
            None => Ok(self.user.patient_id),
        }
    }
}

impl<R: Requirement> FromRequest for ForSomePatient<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|user| {
            let own_record = R::PERMISSION.is_record_read()
                && user.can(Permission::ReadOwnRecord)
                && user.patient_id.is_some();
            if !(user.can(R::PERMISSION) || own_record) {
                return Err(ApiError::Forbidden);
            }
            Ok(ForSomePatient {
                user,
                meta: RequestMeta::of(req),
                _requirement: PhantomData,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, patient_id: Option<Uuid>) -> AuthUser {
        AuthUser::person(Uuid::new_v4(), role, patient_id)
    }

    #[test]
    fn a_patient_reads_only_their_own_record_and_never_writes_it() {
        let own = Uuid::new_v4();
        let patient = user(Role::Patient, Some(own));

        assert!(allowed(&patient, Permission::ReadClinical, own));
        assert!(allowed(&patient, Permission::ReadAccessLog, own));
        assert!(!allowed(&patient, Permission::ReadClinical, Uuid::new_v4()));
        assert!(!allowed(&patient, Permission::WriteClinical, own));
    }

    #[test]
    fn receptionists_read_demographics_but_not_clinical_data() {
        let anyone = Uuid::new_v4();
        let receptionist = user(Role::Receptionist, None);

        assert!(allowed(&receptionist, Permission::ReadDemographics, anyone));
        assert!(!allowed(&receptionist, Permission::ReadClinical, anyone));
        assert!(!allowed(&receptionist, Permission::ReadMedications, anyone));
    }
}
