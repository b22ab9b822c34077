//! API key records in Redis, shared by every API replica: a key is valid while its record
//! exists and names the token's `jti`. Revoking deletes the record and rotating replaces
//! the `jti`, so both take effect on the next request to any replica.

use naas_shared::keys;
use naas_shared::redis_conn::RedisConn;
use redis::AsyncCommands;
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
}

#[derive(Clone)]
pub struct KeyStore {
    redis: RedisConn,
    prefix: String,
}

impl KeyStore {
    pub fn new(redis: RedisConn, prefix: &str) -> Self {
        Self { redis, prefix: prefix.to_owned() }
    }

    /// Records and their index share the hash tag `{<prefix>}`: they change together in
    /// one transaction, which a Redis Cluster allows within one hash slot only.
    fn key(&self, key_id: &str) -> String {
        keys::api_key(&self.prefix, key_id)
    }

    fn index(&self) -> String {
        keys::api_keys(&self.prefix)
    }

    /// Stores `key`: a new one (`replace` false), or a new token for one that still exists
    /// (`replace` true: a key revoked meanwhile stays revoked). False if nothing was stored.
    pub async fn put(&self, key: &ApiKey, replace: bool) -> redis::RedisResult<bool> {
        let mut redis = self.redis.clone();
        let record = serde_json::to_string(key).expect("API keys serialise");
        let (stored, _): (Option<String>, i64) = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(self.key(&key.key_id))
            .arg(record)
            .arg("EXAT")
            .arg(key.expires_at)
            .arg(if replace { "XX" } else { "NX" })
            .sadd(self.index(), &key.key_id)
            .query_async(&mut redis)
            .await?;
        Ok(stored.is_some())
    }

    pub async fn get(&self, key_id: &str) -> redis::RedisResult<Option<ApiKey>> {
        let mut redis = self.redis.clone();
        let record: Option<String> = redis.get(self.key(key_id)).await?;
        Ok(record.and_then(|r| serde_json::from_str(&r).ok()))
    }

    /// Every live key (expired ones are dropped from the index as they are found).
    pub async fn list(&self) -> redis::RedisResult<Vec<ApiKey>> {
        let mut redis = self.redis.clone();
        let ids: Vec<String> = redis.smembers(self.index()).await?;
        let mut keys = Vec::new();
        for id in ids {
            match self.get(&id).await? {
                Some(key) => keys.push(key),
                None => {
                    let _: () = redis.srem(self.index(), &id).await?;
                }
            }
        }
        keys.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.key_id.cmp(&b.key_id)));
        Ok(keys)
    }

    /// Deletes the key; false if there was none.
    pub async fn delete(&self, key_id: &str) -> redis::RedisResult<bool> {
        let mut redis = self.redis.clone();
        let (removed, _): (i64, i64) =
            redis::pipe().atomic().del(self.key(key_id)).srem(self.index(), key_id).query_async(&mut redis).await?;
        Ok(removed > 0)
    }
}
