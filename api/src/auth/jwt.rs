//! Access tokens: short-lived HS256 JWTs carrying the user id and role.

use std::time::Duration;

use chrono::Utc;
use hms_api_types::Role;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const ISSUER: &str = "hms";
const AUDIENCE: &str = "hms-api";

/// The claims of an HMS access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: Uuid,
    /// For patient accounts: the one patient record the account may read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<Uuid>,
    /// For API clients: the client id (OAuth `client_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<Uuid>,
    /// For API clients: the granted scopes, space-separated (OAuth style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// For API clients: the issue time in milliseconds, compared with the client's
    /// `tokens_valid_after` (`iat` has only whole seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat_ms: Option<i64>,
}

/// Signs and verifies access tokens with the server's secret.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> JwtKeys {
        // Only HS256 is accepted: `alg: none` and algorithm-confusion tokens fail validation.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    /// Lifetime of the tokens this issues.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues a token for `user` with `role` (and, for patient accounts, their patient record),
    /// valid for the configured lifetime.
    pub fn issue(&self, user: Uuid, role: Role, patient: Option<Uuid>) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        self.sign(&Claims {
            sub: user,
            role,
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            jti: Uuid::new_v4(),
            pid: patient,
            cid: None,
            scope: None,
            iat_ms: None,
        })
    }

    /// Issues a token for API client `client`, acting as its service account `user`, with
    /// `scopes` (the OAuth `scope` value).
    pub fn issue_client(&self, user: Uuid, client: Uuid, scopes: &str) -> anyhow::Result<String> {
        let now = Utc::now();
        self.sign(&Claims {
            sub: user,
            role: Role::Integration,
            iat: now.timestamp(),
            exp: now.timestamp() + self.ttl.as_secs() as i64,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            jti: Uuid::new_v4(),
            pid: None,
            cid: Some(client),
            scope: Some(scopes.to_owned()),
            iat_ms: Some(now.timestamp_millis()),
        })
    }

    fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn keys() -> JwtKeys {
        JwtKeys::new(SECRET, Duration::from_secs(60))
    }

    #[test]
    fn a_token_verifies_with_the_key_that_issued_it() {
        let id = Uuid::new_v4();
        let token = keys().issue(id, Role::Nurse, None).unwrap();

        let claims = keys().verify(&token).unwrap();

        assert_eq!(claims.sub, id);
        assert_eq!(claims.role, Role::Nurse);
    }

    #[test]
    fn a_token_signed_with_another_key_is_rejected() {
        let other = JwtKeys::new(b"another-secret-another-secret-xx", Duration::from_secs(60));
        let token = other.issue(Uuid::new_v4(), Role::Admin, None).unwrap();

        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn an_unsigned_alg_none_token_is_rejected() {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let now = Utc::now().timestamp();
        let claims = b64.encode(format!(
            r#"{{"sub":"{}","role":"admin","iat":{now},"exp":{},"iss":"hms","aud":"hms-api","jti":"{}"}}"#,
            Uuid::new_v4(),
            now + 600,
            Uuid::new_v4()
        ));

        assert!(keys().verify(&format!("{header}.{claims}.")).is_err());
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: Uuid::new_v4(),
            role: Role::Doctor,
            iat: now - 120,
            exp: now - 60,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            jti: Uuid::new_v4(),
            pid: None,
            cid: None,
            scope: None,
            iat_ms: None,
        };
        let key = EncodingKey::from_secret(SECRET);
        let token = encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap();

        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn a_tampered_payload_is_rejected() {
        let token = keys().issue(Uuid::new_v4(), Role::Patient, None).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        payload["role"] = "admin".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64.encode(payload.to_string()),
            parts[2]
        );

        assert!(keys().verify(&forged).is_err());
    }
}
