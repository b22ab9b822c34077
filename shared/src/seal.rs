//! Sealing secrets and results at rest: AES-256-GCM with a key ring.
//!
//! Device credentials travel inside job messages and job records (results, command
//! output) sit in Redis; neither may be readable by someone who can read NATS or Redis.
//! The ring holds one *active* key that seals and any number of older keys that still
//! open, so keys rotate without losing in-flight jobs. Each sealed value names its key id,
//! and is bound to what it belongs to (the job id) through the AEAD's associated data, so
//! a ciphertext cannot be replayed onto another job.
//!
//! Ring format (`NAAS_ENCRYPTION_KEY`): `kid:BASE64KEY[,kid:BASE64KEY…]`, 32-byte keys,
//! the first one active.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::{hmac, rand};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::secret::Secret;

const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("encryption key ring is malformed: {0}")]
    BadRing(String),
    #[error("sealed value names key id {0:?}, which is not in the ring")]
    UnknownKey(String),
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value failed authentication (wrong key, wrong owner, or tampered)")]
    Forged,
}

struct RingKey {
    id: String,
    key: LessSafeKey,
}

/// Seals and opens values with the configured key ring.
pub struct Sealer {
    keys: Vec<RingKey>,
    owner_key: hmac::Key,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Sealer").field("key_ids", &ids).finish_non_exhaustive()
    }
}

impl Sealer {
    /// Parses a ring in the `kid:BASE64KEY,…` format.
    pub fn from_ring(ring: &Secret<String>) -> Result<Self, SealError> {
        let mut keys = Vec::new();
        let mut first_material = None;
        for entry in ring.expose().split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, material) =
                entry.split_once(':').ok_or_else(|| SealError::BadRing("each entry is kid:BASE64KEY".into()))?;
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(SealError::BadRing("key ids are letters, digits, '-' or '_'".into()));
            }
            let bytes = B64.decode(material).map_err(|_| SealError::BadRing(format!("key {id:?} is not base64")))?;
            if bytes.len() != KEY_LEN {
                return Err(SealError::BadRing(format!("key {id:?} must be {KEY_LEN} bytes")));
            }
            if keys.iter().any(|k: &RingKey| k.id == id) {
                return Err(SealError::BadRing(format!("key id {id:?} appears twice")));
            }
            let unbound = UnboundKey::new(&AES_256_GCM, &bytes)
                .map_err(|_| SealError::BadRing(format!("key {id:?} was refused")))?;
            first_material.get_or_insert(bytes);
            keys.push(RingKey { id: id.to_owned(), key: LessSafeKey::new(unbound) });
        }
        let material = first_material.ok_or_else(|| SealError::BadRing("the ring is empty".into()))?;
        // Ownership hashes are keyed with a key derived from the active key.
        let derive = hmac::Key::new(hmac::HMAC_SHA256, &material);
        let owner_key = hmac::Key::new(hmac::HMAC_SHA256, hmac::sign(&derive, b"naas owner v1").as_ref());
        Ok(Self { keys, owner_key })
    }

    /// A fresh single-key ring, for development runs without a configured key.
    pub fn generate_ring() -> Secret<String> {
        let mut bytes = [0u8; KEY_LEN];
        rand::fill(&mut bytes).expect("the system random generator failed");
        Secret::new(format!("dev:{}", B64.encode(bytes)))
    }

    pub fn active_key_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Seals `plaintext` bound to `context`; returns (key id, base64 of nonce‖ciphertext‖tag).
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> (String, String) {
        let active = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce).expect("the system random generator failed");
        let mut buffer = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        buffer.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        active
            .key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context), &mut body)
            .expect("AES-GCM sealing cannot fail for in-memory buffers");
        buffer.extend_from_slice(&body);
        (active.id.clone(), B64.encode(buffer))
    }

    /// Opens what [`Sealer::seal`] produced.
    pub fn open(&self, key_id: &str, sealed: &str, context: &[u8]) -> Result<Vec<u8>, SealError> {
        let key = self.keys.iter().find(|k| k.id == key_id).ok_or_else(|| SealError::UnknownKey(key_id.to_owned()))?;
        let mut bytes = B64.decode(sealed).map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SealError::Malformed);
        }
        let mut body = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| SealError::Malformed)?;
        let plain = key.key.open_in_place(nonce, Aad::from(context), &mut body).map_err(|_| SealError::Forged)?;
        Ok(plain.to_vec())
    }

    /// Seals into one self-describing string `kid.base64`, for values stored alone.
    pub fn seal_string(&self, plaintext: &[u8], context: &[u8]) -> String {
        let (kid, body) = self.seal(plaintext, context);
        format!("{kid}.{body}")
    }

    pub fn open_string(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, SealError> {
        let (kid, body) = sealed.split_once('.').ok_or(SealError::Malformed)?;
        self.open(kid, body, context)
    }

    /// A 32-byte key derived from the ring for another purpose (`label` separates uses).
    pub fn derive(&self, label: &str) -> Secret<Vec<u8>> {
        Secret::new(hmac::sign(&self.owner_key, format!("naas derive v1 {label}").as_bytes()).as_ref().to_vec())
    }

    /// A keyed hash: the same input gives the same hex string, nobody without the ring can
    /// compute or invert it. Used for job ownership and idempotency keys.
    pub fn keyed_hash(&self, parts: &[&[u8]]) -> String {
        let mut ctx = hmac::Context::with_key(&self.owner_key);
        for part in parts {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part);
        }
        ctx.sign().as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(ids: &[&str]) -> Secret<String> {
        let entries: Vec<String> = ids
            .iter()
            .map(|id| {
                let key = Sealer::generate_ring();
                format!("{id}:{}", key.expose().split_once(':').unwrap().1)
            })
            .collect();
        Secret::new(entries.join(","))
    }

    #[test]
    fn seals_and_opens_with_binding() {
        let sealer = Sealer::from_ring(&ring(&["k1"])).unwrap();
        let (kid, sealed) = sealer.seal(b"hunter2", b"job-1");
        assert_eq!(kid, "k1");
        assert!(!sealed.contains("hunter2"));
        assert_eq!(sealer.open(&kid, &sealed, b"job-1").unwrap(), b"hunter2");
        assert_eq!(sealer.open(&kid, &sealed, b"job-2"), Err(SealError::Forged));
        assert!(matches!(sealer.open("k9", &sealed, b"job-1"), Err(SealError::UnknownKey(_))));
    }

    #[test]
    fn older_keys_still_open_after_rotation() {
        let old = ring(&["old"]);
        let sealed = Sealer::from_ring(&old).unwrap().seal_string(b"x", b"c");
        let new = Secret::new(format!("{},{}", ring(&["new"]).expose(), old.expose()));
        let rotated = Sealer::from_ring(&new).unwrap();
        assert_eq!(rotated.active_key_id(), "new");
        assert_eq!(rotated.open_string(&sealed, b"c").unwrap(), b"x");
    }

    #[test]
    fn bad_rings_are_refused() {
        for bad in ["", "nokey", "k1:notbase64!", "k1:AAAA", "k1:a,k1:b"] {
            assert!(Sealer::from_ring(&Secret::new(bad.to_string())).is_err(), "{bad}");
        }
    }

    #[test]
    fn keyed_hash_is_stable_and_separates_parts() {
        let sealer = Sealer::from_ring(&ring(&["k1"])).unwrap();
        assert_eq!(sealer.keyed_hash(&[b"a", b"bc"]), sealer.keyed_hash(&[b"a", b"bc"]));
        assert_ne!(sealer.keyed_hash(&[b"a", b"bc"]), sealer.keyed_hash(&[b"ab", b"c"]));
    }
}
