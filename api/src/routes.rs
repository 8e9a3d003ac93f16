//! The URL map: every domain is mounted here and nowhere else. Only handlers registered with
//! `.service(...)` reach the OpenAPI document, so never use `.route(...)`.

use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn mount(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            .service(
                scope::scope("/auth")
                    .configure(crate::auth::configure)
                    .configure(crate::integrations::configure_token),
            )
            // One scope: the status endpoint, the public status page and component overrides.
            .service(
                scope::scope("/status")
                    .configure(crate::ops::status::configure)
                    .configure(crate::incidents::configure_status),
            )
            .service(scope::scope("/incidents").configure(crate::incidents::configure))
            .service(
                scope::scope("/me")
                    .configure(crate::users::configure_me)
                    .configure(crate::journal::configure),
            )
            .service(scope::scope("/users").configure(crate::users::configure))
            .service(scope::scope("/integrations").configure(crate::integrations::configure))
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
            .service(scope::scope("/operations").configure(crate::operations::configure))
            .service(scope::scope("/webhooks").configure(crate::webhooks::configure))
            // One scope: actix does not fall through from one matching scope to another.
            .service(
                scope::scope("/patients")
                    .configure(crate::patients::configure)
                    .configure(crate::records::configure),
            ),
    )
    .service(
        scope::scope("/health")
            .configure(crate::ops::configure)
            .configure(crate::ops::metrics::configure_health),
    )
    .service(scope::scope("/metrics").configure(crate::ops::metrics::configure))
    // FHIR R4: every problem answer of the scope becomes an OperationOutcome.
    .service(
        scope::scope("/fhir/R4")
            .wrap(actix_web::middleware::from_fn(
                crate::fhir::outcome::problems_as_outcomes,
            ))
            .configure(crate::fhir::configure),
    );
}
