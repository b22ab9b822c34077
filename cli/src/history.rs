//! The local job history behind `naasctl job list`: one JSON line per job this machine
//! submitted (`~/.local/state/naas/history`, `$XDG_STATE_HOME/naas/history`), with the
//! API it went to, so `job list` shows the current API's jobs only.
//!
//! The contract describes a server-side listing (`GET /v2/jobs?status=&tag=`), but the
//! API does not serve it yet; until it does, the history is what a client can list. The
//! file holds ids, devices and times, never credentials or output, and is kept to the last
//! [`KEEP`] entries.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

const KEEP: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub job_id: String,
    pub kind: String,
    /// The device as the summary names it (inventory name, or host[:port]).
    pub device: String,
    pub submitted_at: String,
    pub api: String,
}

/// Appends `entries`; trims the file when it has grown to twice [`KEEP`].
pub fn record(path: &Path, entries: &[Entry]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = String::new();
    for entry in entries {
        text.push_str(&serde_json::to_string(entry).expect("entries serialise"));
        text.push('\n');
    }
    let mut file = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())?;
    drop(file);
    let all = std::fs::read_to_string(path)?;
    let count = all.lines().count();
    if count > 2 * KEEP {
        let kept: String = all.lines().skip(count - KEEP).map(|l| format!("{l}\n")).collect();
        let fresh = path.with_extension("new");
        std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&fresh)?
            .write_all(kept.as_bytes())?;
        std::fs::rename(fresh, path)?;
    }
    Ok(())
}

/// The entries for `api`, newest first; a missing file is an empty history.
pub fn read(path: &Path, api: &str) -> std::io::Result<Vec<Entry>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut entries: Vec<Entry> =
        text.lines().filter_map(|l| serde_json::from_str::<Entry>(l).ok()).filter(|e| e.api == api).collect();
    entries.reverse();
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize, api: &str) -> Entry {
        Entry {
            job_id: format!("job-{n}"),
            kind: "command".into(),
            device: "r1".into(),
            submitted_at: String::new(),
            api: api.into(),
        }
    }

    #[test]
    fn newest_first_per_api_and_bounded() {
        let dir = std::env::temp_dir().join(format!("naasctl-history-{}", uuid::Uuid::new_v4().simple()));
        let path = dir.join("naas/history");
        assert!(read(&path, "https://a").unwrap().is_empty());
        record(&path, &[entry(1, "https://a"), entry(2, "https://b")]).unwrap();
        record(&path, &[entry(3, "https://a")]).unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"not json\n").unwrap();
        let ids: Vec<String> = read(&path, "https://a").unwrap().into_iter().map(|e| e.job_id).collect();
        assert_eq!(ids, ["job-3", "job-1"]);
        let many: Vec<Entry> = (0..2 * KEEP).map(|n| entry(n, "https://a")).collect();
        record(&path, &many).unwrap();
        let kept = read(&path, "https://a").unwrap();
        assert_eq!(kept.len(), KEEP);
        assert_eq!(kept[0].job_id, format!("job-{}", 2 * KEEP - 1));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
