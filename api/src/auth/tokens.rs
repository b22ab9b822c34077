//! API key tokens: HS256 JWTs with a `kid`. Several verification keys can be live at
//! once, so the signing key rotates without invalidating tokens already issued. Only HS256
//! is accepted (no `none`, no algorithm swaps); `exp`, `iat`, `sub`, `iss`, `aud` and `jti`
//! are required; an `iat` in the future is refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use naas_shared::config::AuthSettings;
use naas_shared::seal::Sealer;
use serde::{Deserialize, Serialize};

use super::Role;

/// How far a token's `iat` may lie in the future (clock skew between replicas).
const IAT_SKEW_SECS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub contexts: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub iss: String,
    pub aud: String,
}

struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

pub struct Tokens {
    keys: Vec<SigningKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token was not signed with a current key or algorithm")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid here (issuer, audience or issue time)")]
    NotValidHere,
}

impl Tokens {
    pub fn new(settings: &AuthSettings, sealer: &Sealer) -> Result<Self, String> {
        let mut keys = Vec::new();
        match &settings.jwt_keys {
            Some(ring) => {
                for entry in ring.expose().split(',').map(str::trim).filter(|e| !e.is_empty()) {
                    let (kid, material) = entry.split_once(':').ok_or("auth.jwt_keys: each entry is kid:BASE64")?;
                    let secret =
                        B64.decode(material).map_err(|_| format!("auth.jwt_keys: key {kid:?} is not base64"))?;
                    if secret.len() < 32 {
                        return Err(format!("auth.jwt_keys: key {kid:?} must be at least 32 bytes"));
                    }
                    keys.push(key(kid, &secret));
                }
            }
            None => keys.push(key("derived", sealer.derive("jwt").expose())),
        }
        if keys.is_empty() {
            return Err("auth.jwt_keys: no key".into());
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud", "jti"]);
        validation.set_issuer(&[&settings.jwt_issuer]);
        validation.set_audience(&[&settings.jwt_audience]);
        // Expiry is checked against the caller's clock below, so tests can inject time.
        validation.validate_exp = false;
        Ok(Self { keys, validation, issuer: settings.jwt_issuer.clone(), audience: settings.jwt_audience.clone() })
    }

    pub fn issue(&self, sub: &str, role: Role, contexts: &[String], iat: i64, exp: i64, jti: &str) -> String {
        let signer = &self.keys[0];
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(signer.kid.clone());
        let claims = Claims {
            sub: sub.to_owned(),
            role,
            contexts: contexts.to_vec(),
            iat,
            exp,
            jti: jti.to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        jsonwebtoken::encode(&header, &claims, &signer.encoding).expect("HS256 signing cannot fail")
    }

    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::BadSignature);
        }
        let key = match &header.kid {
            Some(kid) => self.keys.iter().find(|k| &k.kid == kid).ok_or(TokenError::BadSignature)?,
            None => return Err(TokenError::BadSignature),
        };
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience | ErrorKind::ImmatureSignature => {
                    TokenError::NotValidHere
                }
                ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => TokenError::BadSignature,
                _ => TokenError::Malformed,
            }
        })?;
        if data.claims.exp <= now {
            return Err(TokenError::Expired);
        }
        if data.claims.iat > now + IAT_SKEW_SECS {
            return Err(TokenError::NotValidHere);
        }
        Ok(data.claims)
    }
}

fn key(kid: &str, secret: &[u8]) -> SigningKey {
    SigningKey {
        kid: kid.to_owned(),
        encoding: EncodingKey::from_secret(secret),
        decoding: DecodingKey::from_secret(secret),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use naas_shared::config::Settings;

    fn tokens() -> Tokens {
        let sealer = Sealer::from_ring(&Sealer::generate_ring()).unwrap();
        Tokens::new(&Settings::defaults().auth, &sealer).unwrap()
    }

    fn forge(header: &str, claims: &serde_json::Value, signature: &str) -> String {
        let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!("{}.{}.{signature}", enc(header), enc(&claims.to_string()))
    }

    #[test]
    fn issued_tokens_verify_and_tampering_is_refused() {
        let t = tokens();
        let token = t.issue("k1", Role::Operator, &["lab".into()], 1_000, 2_000, "j1");
        let claims = t.verify(&token, 1_500).unwrap();
        assert_eq!((claims.sub.as_str(), claims.role), ("k1", Role::Operator));
        assert_eq!(t.verify(&token, 3_000), Err(TokenError::Expired));
        assert_eq!(t.verify(&token, 800), Err(TokenError::NotValidHere), "iat in the future");
        let mut parts: Vec<&str> = token.split('.').collect();
        let other = t.issue("k1", Role::Admin, &[], 1_000, 2_000, "j1");
        parts[1] = other.split('.').nth(1).unwrap();
        assert_eq!(t.verify(&parts.join("."), 1_500), Err(TokenError::BadSignature), "payload swapped");
    }

    #[test]
    fn alg_none_and_foreign_keys_are_refused() {
        let t = tokens();
        let claims = serde_json::json!({"sub": "k", "role": "admin", "contexts": ["*"], "iat": 1, "exp": 9_999_999_999i64, "jti": "j", "iss": "naas", "aud": "naas-api"});
        let none = forge(r#"{"alg":"none","typ":"JWT","kid":"derived"}"#, &claims, "");
        assert!(t.verify(&none, 10).is_err());
        let rs = forge(r#"{"alg":"RS256","typ":"JWT","kid":"derived"}"#, &claims, "c2ln");
        assert_eq!(t.verify(&rs, 10), Err(TokenError::BadSignature));
        let foreign = tokens().issue("k", Role::Admin, &[], 1, 9_999_999_999, "j");
        assert_eq!(t.verify(&foreign, 10), Err(TokenError::BadSignature), "another deployment's key");
    }
}
