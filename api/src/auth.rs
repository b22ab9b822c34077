//! Who is calling. HTTP Basic: the username/password are the *device* credentials, passed
//! through to the worker sealed; the caller is identified by a keyed hash of them.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use naas_shared::job::DeviceCredentials;
use naas_shared::seal::Sealer;
use naas_shared::secret::Secret;

use crate::error::ApiError;

/// An authenticated caller.
pub struct Caller {
    /// Keyed hash that owns the jobs this caller submits.
    pub owner: String,
    /// Device credentials from Basic auth.
    pub credentials: DeviceCredentials,
}

impl Caller {
    pub fn from_headers(headers: &HeaderMap, sealer: &Sealer) -> Result<Self, ApiError> {
        let value =
            headers.get(AUTHORIZATION).ok_or(ApiError::Unauthenticated("send device credentials with HTTP Basic"))?;
        let value = value.to_str().map_err(|_| ApiError::Unauthenticated("malformed Authorization header"))?;
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(ApiError::Unauthenticated("unsupported Authorization scheme; use Basic"));
        }
        let decoded = B64
            .decode(rest.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(ApiError::Unauthenticated("malformed Basic credentials"))?;
        let (username, password) =
            decoded.split_once(':').ok_or(ApiError::Unauthenticated("malformed Basic credentials"))?;
        if username.is_empty() {
            return Err(ApiError::Unauthenticated("Basic credentials need a username"));
        }
        let owner = sealer.keyed_hash(&[b"basic", username.as_bytes(), password.as_bytes()]);
        Ok(Self {
            owner,
            credentials: DeviceCredentials {
                username: username.to_owned(),
                password: Secret::new(password.to_owned()),
                enable: None,
                jump_password: None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn basic_credentials_pass_through_and_hash() {
        let sealer = Sealer::from_ring(&Sealer::generate_ring()).unwrap();
        let a = Caller::from_headers(&headers(&format!("Basic {}", B64.encode("netops:pa:ss"))), &sealer).unwrap();
        assert_eq!(a.credentials.username, "netops");
        assert_eq!(a.credentials.password.expose(), "pa:ss");
        assert!(!a.owner.contains("pa:ss"));
        let b = Caller::from_headers(&headers(&format!("Basic {}", B64.encode("netops:other"))), &sealer).unwrap();
        assert_ne!(a.owner, b.owner);
        for bad in ["Basic !!!", "Bearer x", "Basic", &format!("Basic {}", B64.encode("nocolon"))] {
            assert!(Caller::from_headers(&headers(bad), &sealer).is_err(), "{bad}");
        }
        assert!(Caller::from_headers(&HeaderMap::new(), &sealer).is_err());
    }
}
