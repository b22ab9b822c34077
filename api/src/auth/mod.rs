//! Who is calling, and what they may do.
//!
//! - `Authorization: Basic`: the username/password are the *device* credentials, passed
//!   through sealed; the caller is an operator identified by a keyed hash of them. On the
//!   API key endpoints only, Basic `admin` with the configured admin secret is the
//!   bootstrap administrator.
//! - `Authorization: Bearer <JWT>`: an API key with a role and contexts; device
//!   credentials then come in the body.
//!
//! Roles form a ladder: viewer < operator < admin.

pub mod keys;
pub mod tokens;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use naas_shared::job::{DeviceCredentials, JobRecord};
use naas_shared::lockout::Subject;
use naas_shared::secret::Secret;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;

/// What a caller may do: viewer (read the jobs it may see) < operator (submit, cancel its own)
/// < admin (everything: API keys, every job).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Operator,
    Admin,
}

/// What an endpoint authenticates for: jobs (Basic = device credentials) or API key
/// administration (Basic = the bootstrap admin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Realm {
    Jobs,
    KeyAdmin,
}

/// An authenticated caller.
#[derive(Debug)]
pub struct Caller {
    /// Owns the jobs this caller submits: `basic:<keyed hash>`, `key:<key id>` or `admin`.
    pub owner: String,
    pub role: Role,
    /// Contexts the caller may use; `None` means all.
    pub contexts: Option<Vec<String>>,
    /// Device credentials from Basic auth.
    pub credentials: Option<DeviceCredentials>,
    /// Job results are redacted for this caller (an API key with the `redact` scope).
    pub redact: bool,
}

impl Caller {
    /// Refuses callers below `role` (403, `auth.rbac_denied`).
    pub async fn require(&self, role: Role, state: &AppState, request_id: &str) -> Result<(), ApiError> {
        if self.role >= role {
            return Ok(());
        }
        let fields = json!({"owner": self.owner, "role": self.role, "required": role});
        state.audit.emit("auth.rbac_denied", Some(request_id), fields).await;
        Err(ApiError::Forbidden {
            code: "RBAC_DENIED",
            message: format!("this needs the {role:?} role").to_lowercase(),
        })
    }

    /// Refuses a context the caller's key is not scoped to (403, `auth.context_denied`).
    pub async fn require_context(&self, context: &str, state: &AppState, request_id: &str) -> Result<(), ApiError> {
        if self.contexts.as_ref().is_none_or(|allowed| allowed.iter().any(|c| c == context)) {
            return Ok(());
        }
        let fields = json!({"owner": self.owner, "context": context});
        state.audit.emit("auth.context_denied", Some(request_id), fields).await;
        Err(ApiError::Forbidden {
            code: "CONTEXT_DENIED",
            message: format!("this key may not use context {context:?}"),
        })
    }

    /// Admins see every job; everyone else only the jobs they submitted.
    pub fn may_see(&self, record: &JobRecord) -> bool {
        self.role == Role::Admin || record.owner == self.owner
    }
}

pub async fn authenticate(
    headers: &HeaderMap,
    state: &AppState,
    realm: Realm,
    request_id: &str,
) -> Result<Caller, ApiError> {
    let value = headers
        .get(AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated("send device credentials with HTTP Basic, or an API key as a Bearer token"))?;
    let value = value.to_str().map_err(|_| ApiError::Unauthenticated("malformed Authorization header"))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    // Who the request claims to be, for the user lockout (device credentials are not ours
    // to lock: the device decides about those).
    let claimed = claimed_user(scheme, rest.trim(), realm);
    if let Some(user) = &claimed
        && let Some(seconds) = state.lockouts.locked_for(Subject::User(user)).await.map_err(ApiError::store)?
    {
        let message = format!("too many failed attempts: locked for {seconds} s");
        return Err(ApiError::Forbidden { code: "LOCKED_OUT", message });
    }
    let caller = if scheme.eq_ignore_ascii_case("basic") {
        basic(rest.trim(), state, realm)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        bearer(rest.trim(), state).await
    } else {
        Err(ApiError::Unauthenticated("unsupported Authorization scheme; use Basic or Bearer"))
    };
    match &caller {
        Ok(caller) if caller.credentials.is_none() => {
            let fields = json!({"owner": caller.owner, "role": caller.role});
            state.audit.emit("auth.success", Some(request_id), fields).await;
        }
        Ok(_) => {}
        Err(error) => {
            let fields = json!({"reason": error.to_string(), "scheme": scheme.to_ascii_lowercase()});
            state.audit.emit("auth.failure", Some(request_id), fields).await;
            if let Some(user) = &claimed
                && let Err(e) = state.lockouts.failed(Subject::User(user), state.settings.lockout.user()).await
            {
                tracing::warn!(error = %e, "cannot count a failed authentication");
            }
        }
    }
    caller
}

/// The API identity a request claims with a guessable secret: the Basic user on key
/// administration (the bootstrap admin). Basic on job endpoints is a device login, and
/// Bearer tokens are signed random secrets that cannot be guessed; counting failures against
/// a token's unverified `sub` would only let anyone lock a real key out.
fn claimed_user(scheme: &str, credentials: &str, realm: Realm) -> Option<String> {
    if scheme.eq_ignore_ascii_case("basic") && realm == Realm::KeyAdmin {
        let decoded = String::from_utf8(B64.decode(credentials).ok()?).ok()?;
        return decoded.split_once(':').map(|(user, _)| format!("basic:{user}"));
    }
    None
}

fn basic(encoded: &str, state: &AppState, realm: Realm) -> Result<Caller, ApiError> {
    let decoded = B64
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(ApiError::Unauthenticated("malformed Basic credentials"))?;
    let (username, password) =
        decoded.split_once(':').ok_or(ApiError::Unauthenticated("malformed Basic credentials"))?;
    if username.is_empty() {
        return Err(ApiError::Unauthenticated("Basic credentials need a username"));
    }
    if realm == Realm::KeyAdmin {
        let admin = state.settings.admin_secret.as_ref();
        let matches = admin.is_some_and(|secret| {
            username == "admin"
                && aws_lc_rs::constant_time::verify_slices_are_equal(secret.expose().as_bytes(), password.as_bytes())
                    .is_ok()
        });
        if !matches {
            return Err(ApiError::Unauthenticated("API keys are managed with an admin API key or the admin secret"));
        }
        return Ok(Caller {
            owner: "admin".into(),
            role: Role::Admin,
            contexts: None,
            credentials: None,
            redact: false,
        });
    }
    let owner = format!("basic:{}", state.sealer.keyed_hash(&[b"basic", username.as_bytes(), password.as_bytes()]));
    Ok(Caller {
        owner,
        role: Role::Operator,
        contexts: None,
        credentials: Some(DeviceCredentials {
            username: username.to_owned(),
            password: Secret::new(password.to_owned()),
            enable: None,
            jump_password: None,
        }),
        redact: false,
    })
}

async fn bearer(token: &str, state: &AppState) -> Result<Caller, ApiError> {
    let now = naas_shared::now().unix_timestamp();
    let claims = state.tokens.verify(token, now).map_err(|e| ApiError::InvalidToken(e.to_string()))?;
    let record = state.keys.get(&claims.sub).await.map_err(ApiError::store)?;
    match record {
        Some(key) if key.jti == claims.jti => Ok(Caller {
            owner: format!("key:{}", key.key_id),
            role: key.role,
            contexts: (!key.contexts.iter().any(|c| c == "*")).then_some(key.contexts),
            credentials: None,
            redact: key.scopes.redact,
        }),
        _ => Err(ApiError::InvalidToken("token has been revoked".into())),
    }
}
