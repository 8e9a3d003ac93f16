//! Sign-in, sign-out and own-account calls (`/auth/*`, `/me`).

use gloo_net::http::Method;
use hms_api_types::auth::{LoginRequest, RefreshRequest, TokenResponse};
use hms_api_types::users::{ChangePassword, User};

use super::{Api, ApiError, Call};
use crate::session;

/// Shown on the login page after a successful password change (every session was ended).
pub const PASSWORD_CHANGED: &str = "Password changed; sign in again.";

impl Api {
    /// Signs in; on success the session holds the new tokens and the user.
    pub async fn login(&self, request: &LoginRequest) -> Result<(), ApiError> {
        let call = Call::new(Method::POST, "/api/v1/auth/login")
            .anonymous()
            .json(request)?;
        let tokens: TokenResponse = self.fetch_json(call).await?;
        self.signed_in(tokens);
        Ok(())
    }

    /// Revokes the refresh token on the server (best effort) and forgets the session.
    pub async fn logout(&self) {
        if let Some(refresh_token) = session::stored_refresh_token() {
            let call = Call::new(Method::POST, "/api/v1/auth/logout")
                .anonymous()
                .json(&RefreshRequest { refresh_token });
            if let Ok(call) = call {
                // Signing out locally must work even when the server cannot be reached.
                let _ = self.fetch_empty(call).await;
            }
        }
        self.end_session(None);
    }

    /// The signed-in account, fresh from the server; the session's copy is updated too.
    pub async fn me(&self) -> Result<User, ApiError> {
        let user: User = self
            .fetch_json(Call::new(Method::GET, "/api/v1/me"))
            .await?;
        self.user_changed(user.clone());
        Ok(user)
    }

    /// Changes the own password. The server ends every session, so this one ends too.
    pub async fn change_password(&self, request: &ChangePassword) -> Result<(), ApiError> {
        let call = Call::new(Method::POST, "/api/v1/me/password").json(request)?;
        self.fetch_empty(call).await?;
        self.end_session(Some(PASSWORD_CHANGED));
        Ok(())
    }
}
