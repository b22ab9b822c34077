//! API key records in Redis, shared by every API replica: a key is valid while its record
//! exists and names the token's `jti`. Revoking deletes the record and rotating replaces
//! the `jti`, so both take effect on the next request to any replica.

use naas_shared::store::{ApiKeyStore, StoreError};
use serde::{Deserialize, Serialize};

use super::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub key_id: String,
    pub name: String,
    pub role: Role,
    pub contexts: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub expires_at: i64,
    /// The id of the one token currently valid for this key.
    pub jti: String,
    /// What the key is further limited to (records from before scopes have none).
    #[serde(default)]
    pub scopes: Scopes,
}

/// Limits an API key carries beyond its role and contexts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scopes {
    /// Job results read with the key have the secrets their platform prints (passwords,
    /// SNMP communities, TACACS+/RADIUS keys, pre-shared keys) replaced by `<redacted>`.
    #[serde(default)]
    pub redact: bool,
}

/// The API keys, over the store's [`ApiKeyStore`].
#[derive(Clone)]
pub struct KeyStore {
    store: ApiKeyStore,
}

impl KeyStore {
    pub fn new(store: ApiKeyStore) -> Self {
        Self { store }
    }

    /// Stores `key`: a new one (`replace` false), or a new token for one that still exists
    /// (`replace` true: a key revoked meanwhile stays revoked). False if nothing was stored.
    pub async fn put(&self, key: &ApiKey, replace: bool) -> Result<bool, StoreError> {
        self.store.put(&key.key_id, key, key.expires_at, replace).await
    }

    pub async fn get(&self, key_id: &str) -> Result<Option<ApiKey>, StoreError> {
        self.store.get(key_id).await
    }

    /// Every live key, oldest first.
    pub async fn list(&self) -> Result<Vec<ApiKey>, StoreError> {
        let mut keys: Vec<ApiKey> = self.store.list().await?;
        keys.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.key_id.cmp(&b.key_id)));
        Ok(keys)
    }

    /// Deletes the key; false if there was none.
    pub async fn delete(&self, key_id: &str) -> Result<bool, StoreError> {
        self.store.delete(key_id).await
    }
}
