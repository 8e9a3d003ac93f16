//! The URL map: every domain is mounted here and nowhere else. Only handlers registered with
//! `.service(...)` reach the OpenAPI document, so never use `.route(...)`.

use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn mount(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            .service(scope::scope("/auth").configure(crate::auth::configure))
            .service(scope::scope("/me").configure(crate::users::configure_me))
            .service(scope::scope("/users").configure(crate::users::configure))
            .service(
                scope::scope("/departments").configure(crate::scheduling::configure_departments),
            )
            .service(
                scope::scope("/practitioners")
                    .configure(crate::scheduling::configure_practitioners),
            )
            .service(scope::scope("/slots").configure(crate::scheduling::configure_slots))
            .service(scope::scope("/appointments").configure(crate::appointments::configure))
            .service(scope::scope("/inventory").configure(crate::inventory::configure))
            // One scope: actix does not fall through from one matching scope to another.
            .service(
                scope::scope("/patients")
                    .configure(crate::patients::configure)
                    .configure(crate::records::configure),
            ),
    )
    .service(scope::scope("/health").configure(crate::ops::configure));
}
