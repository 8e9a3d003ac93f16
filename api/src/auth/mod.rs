//! Authentication and authorization: who is calling ([`AuthUser`]), what their role allows
//! (the table in `hms_api_types::access`), and sign-in sessions (`/api/v1/auth/*`).

pub mod handlers;
pub mod jwt;
pub mod password;
pub mod rate_limit;
pub mod repo;
pub mod service;

use std::future::{ready, Ready};
use std::marker::PhantomData;
use std::ops::Deref;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use hms_api_types::{Permission, Role};
use uuid::Uuid;

use crate::error::ApiError;
pub use handlers::configure;
pub use jwt::JwtKeys;

/// The signed-in caller, from a valid `Authorization: Bearer <access token>` header.
/// Extracting it from a request without one answers 401.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
    /// For patient accounts: their own patient record.
    pub patient_id: Option<Uuid>,
}

impl AuthUser {
    /// Succeeds when the caller's role holds `permission`; otherwise 403.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

/// A permission as a type, so that handlers state what they require in their signature.
pub trait Requirement {
    const PERMISSION: Permission;
}

/// The signed-in caller, already checked against the role table for `R`'s permission.
///
/// Extractors run in argument order and stop at the first failure, so putting this before the
/// body means a caller without the permission gets 401/403 before the body is even parsed.
pub struct Authorized<R: Requirement> {
    user: AuthUser,
    _requirement: PhantomData<fn() -> R>,
}

impl<R: Requirement> Deref for Authorized<R> {
    type Target = AuthUser;

    fn deref(&self) -> &AuthUser {
        &self.user
    }
}

impl<R: Requirement> FromRequest for Authorized<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|user| {
            user.require(R::PERMISSION)?;
            Ok(Authorized {
                user,
                _requirement: PhantomData,
            })
        }))
    }
}

/// The signed-in caller, whose role holds `A` or `B` (e.g. staff booking for anyone, or a
/// patient booking for themself). The service then checks which one applies.
pub struct AuthorizedEither<A: Requirement, B: Requirement> {
    user: AuthUser,
    _requirements: PhantomData<fn() -> (A, B)>,
}

impl<A: Requirement, B: Requirement> Deref for AuthorizedEither<A, B> {
    type Target = AuthUser;

    fn deref(&self) -> &AuthUser {
        &self.user
    }
}

impl<A: Requirement, B: Requirement> FromRequest for AuthorizedEither<A, B> {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|user| {
            if user.role.can(A::PERMISSION) || user.role.can(B::PERMISSION) {
                Ok(AuthorizedEither {
                    user,
                    _requirements: PhantomData,
                })
            } else {
                Err(ApiError::Forbidden)
            }
        }))
    }
}

/// One marker type per [`Permission`], for [`Authorized`].
pub mod can {
    use super::{Permission, Requirement};

    macro_rules! requirements {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("Requires [`Permission::", stringify!($name), "`].")]
            pub struct $name;
            impl Requirement for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }

    requirements!(
        ManageUsers,
        UseOwnAccount,
        ReadDemographics,
        RegisterPatients,
        DeactivatePatients,
        ReadClinical,
        ReadMedications,
        WriteClinical,
        ReadAccessLog,
        ViewDirectory,
        ManageSchedules,
        ViewAppointments,
        BookAppointments,
        UpdateAppointmentStatus,
        RevertAppointmentStatus,
        BookOwnAppointments,
        ViewInventory,
        ManageItems,
        ManageLocations,
        MoveStock,
        DispenseStock,
        ReportShortages,
        ManageShortages,
        ViewOperations,
        ViewIncidents,
        ManageIncidents,
        ManageWebhooks,
    );
}

/// Reads and verifies the bearer token of `req`.
pub fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let keys = req
        .app_data::<web::Data<JwtKeys>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("JwtKeys are not configured")))?;
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthenticated("sign in first: send Authorization: Bearer <token>")
    })?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unauthenticated("the Authorization header must be Bearer <token>")
        })?;
    let claims = keys.verify(token).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        match e.kind() {
            ErrorKind::ExpiredSignature => {
                ApiError::unauthenticated("the access token has expired; refresh it")
            }
            _ => ApiError::unauthenticated("the access token is not valid"),
        }
    })?;
    Ok(AuthUser {
        id: claims.sub,
        role: claims.role,
        patient_id: claims.pid,
    })
}
