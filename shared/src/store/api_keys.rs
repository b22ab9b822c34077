//! The API key repository: one JSON record per key (what the API keeps of it; never the
//! token), expiring with the key, and an index of key ids. Shared by every API replica, so
//! revoking or rotating a key takes effect on the next request to any of them.
//!
//! Records and their index share the hash tag `{<prefix>}`: they change together in one
//! transaction, which a Redis Cluster allows within one hash slot only.

use std::sync::Arc;

use redis::AsyncCommands;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::redis_conn::RedisConn;
use super::round_trips::Op;
use super::{StoreError, keys};

#[derive(Clone)]
pub struct ApiKeyStore {
    conn: RedisConn,
    prefix: Arc<str>,
}

impl ApiKeyStore {
    pub fn new(conn: RedisConn, prefix: &str) -> Self {
        Self { conn, prefix: prefix.into() }
    }

    fn key(&self, key_id: &str) -> String {
        keys::api_key(&self.prefix, key_id)
    }

    fn index(&self) -> String {
        keys::api_keys(&self.prefix)
    }

    /// Stores `record` as key `key_id` until `expires_at` (Unix seconds): a new key
    /// (`replace` false), or a new record for one that still exists (`replace` true: a key
    /// deleted meanwhile stays deleted). False if nothing was stored.
    pub async fn put<T: Serialize>(
        &self,
        key_id: &str,
        record: &T,
        expires_at: i64,
        replace: bool,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn.op(Op::ApiKeyPut);
        let record = serde_json::to_string(record)?;
        let (stored, _): (Option<String>, i64) = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(self.key(key_id))
            .arg(record)
            .arg("EXAT")
            .arg(expires_at)
            .arg(if replace { "XX" } else { "NX" })
            .sadd(self.index(), key_id)
            .query_async(&mut conn)
            .await?;
        Ok(stored.is_some())
    }

    /// The key's record; a record that does not parse counts as no key.
    pub async fn get<T: DeserializeOwned>(&self, key_id: &str) -> Result<Option<T>, StoreError> {
        let mut conn = self.conn.op(Op::ApiKeyGet);
        let record: Option<String> = conn.get(self.key(key_id)).await?;
        Ok(record.and_then(|r| serde_json::from_str(&r).ok()))
    }

    /// Every live key's record, in no order (expired ones are dropped from the index as
    /// they are found).
    pub async fn list<T: DeserializeOwned>(&self) -> Result<Vec<T>, StoreError> {
        let mut conn = self.conn.op(Op::ApiKeyList);
        let ids: Vec<String> = conn.smembers(self.index()).await?;
        let mut records = Vec::new();
        for id in ids {
            match self.get(&id).await? {
                Some(record) => records.push(record),
                None => {
                    let _: () = conn.srem(self.index(), &id).await?;
                }
            }
        }
        Ok(records)
    }

    /// Deletes the key; false if there was none.
    pub async fn delete(&self, key_id: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn.op(Op::ApiKeyDelete);
        let (removed, _): (i64, i64) =
            redis::pipe().atomic().del(self.key(key_id)).srem(self.index(), key_id).query_async(&mut conn).await?;
        Ok(removed > 0)
    }
}
