//! The JSON body extractor every handler uses. Like `web::Json` (same size limit, content type
//! and syntax errors, via `JsonConfig`), but a body must be a JSON object: serde would otherwise
//! accept `[null, null]` for a struct, which the OpenAPI document says is invalid.

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use hms_api_types::FieldError;
use serde::de::DeserializeOwned;

use crate::error::{serde_field_error, ApiError};

pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = value.await?.into_inner();
            if !value.is_object() {
                return Err(ApiError::Validation(vec![FieldError::new(
                    "body",
                    "must be a JSON object",
                )])
                .into());
            }
            serde_json::from_value(value)
                .map(Json)
                .map_err(|e| ApiError::Validation(vec![serde_field_error(&e)]).into())
        })
    }
}
