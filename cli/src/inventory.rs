//! Device inventories (YAML): groups of devices, or a plain list.
//!
//! ```yaml
//! groups:
//!   core:
//!     - host: core1.example.net
//!     - {host: 10.0.0.2, port: 2222, platform: cisco_nxos, name: core2}
//!     - 10.0.0.3            # a bare host
//!   edge:
//!     - {host: edge1.example.net, context: lab}
//! ```
//! or just the list (`- host: …`). A device may name its `port`, `platform`, `context` and
//! a display `name`; what it leaves out comes from the command line and the profile.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_norway::Value;

use crate::error::CliError;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub host: String,
    pub port: Option<u16>,
    pub platform: Option<String>,
    pub context: Option<String>,
    pub name: Option<String>,
}

impl Device {
    pub fn bare(host: &str) -> Self {
        Self { host: host.to_owned(), port: None, platform: None, context: None, name: None }
    }

    /// How progress lines and the summary name the device: its `name`, else
    /// `host[:port]`.
    pub fn label(&self) -> String {
        match (&self.name, self.port) {
            (Some(name), _) => name.clone(),
            (None, Some(port)) => format!("{}:{port}", self.host),
            (None, None) => self.host.clone(),
        }
    }
}

#[derive(Debug)]
pub struct Inventory {
    /// Group name → devices; a plain list is one unnamed group.
    groups: BTreeMap<String, Vec<Device>>,
    grouped: bool,
}

impl Inventory {
    pub fn load(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("reading inventory {}: {e}", path.display())))?;
        Self::parse(&text).map_err(|e| CliError::usage(format!("inventory {}: {e}", path.display())))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
        match value {
            Value::Sequence(list) => {
                Ok(Self { groups: BTreeMap::from([(String::new(), devices(&list, "the list")?)]), grouped: false })
            }
            Value::Mapping(mut top) => {
                let groups = top.remove("groups").ok_or("expected `groups:` or a list of devices")?;
                if let Some((key, _)) = top.into_iter().next() {
                    return Err(format!("unexpected top-level key {}: only `groups` is allowed", scalar(&key)));
                }
                let Value::Mapping(groups) = groups else {
                    return Err("`groups` must map group names to lists".into());
                };
                let mut parsed = BTreeMap::new();
                for (name, list) in groups {
                    let name = scalar(&name);
                    let Value::Sequence(list) = list else {
                        return Err(format!("group {name}: expected a list of devices"));
                    };
                    let devices = devices(&list, &format!("group {name}"))?;
                    parsed.insert(name, devices);
                }
                Ok(Self { groups: parsed, grouped: true })
            }
            Value::Null => Err("empty".into()),
            _ => Err("expected `groups:` or a list of devices".into()),
        }
    }

    /// The devices of `groups` (all when empty), each once, in inventory order.
    pub fn select(&self, groups: &[String]) -> Result<Vec<Device>, CliError> {
        if !groups.is_empty() && !self.grouped {
            return Err(CliError::usage("--group: this inventory is a plain list without groups"));
        }
        let mut chosen: Vec<Device> = Vec::new();
        let names: Vec<&String> =
            if groups.is_empty() { self.groups.keys().collect() } else { groups.iter().collect() };
        for name in names {
            let devices = self.groups.get(name).ok_or_else(|| {
                let known: Vec<&str> = self.groups.keys().map(String::as_str).collect();
                CliError::usage(format!("no group {name:?} in the inventory (groups: {})", known.join(", ")))
            })?;
            for device in devices {
                if !chosen.iter().any(|d| d.host == device.host && d.port == device.port) {
                    chosen.push(device.clone());
                }
            }
        }
        if chosen.is_empty() {
            return Err(CliError::usage("the inventory selection has no devices"));
        }
        Ok(chosen)
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => serde_norway::to_string(other).map(|s| s.trim().to_owned()).unwrap_or_default(),
    }
}

fn devices(list: &[Value], place: &str) -> Result<Vec<Device>, String> {
    list.iter()
        .enumerate()
        .map(|(i, entry)| match entry {
            Value::String(host) => Ok(Device::bare(host)),
            Value::Mapping(_) => {
                serde_norway::from_value(entry.clone()).map_err(|e| format!("{place}, device {}: {e}", i + 1))
            }
            _ => Err(format!("{place}, device {}: expected a host or a mapping with `host`", i + 1)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUPED: &str = "
groups:
  core:
    - host: core1.example.net
    - {host: 10.0.0.2, port: 2222, platform: cisco_nxos, name: core2}
    - 10.0.0.3
  edge:
    - {host: edge1.example.net, context: lab}
    - host: core1.example.net
";

    #[test]
    fn groups_select_devices_once_in_order() {
        let inventory = Inventory::parse(GROUPED).unwrap();
        let core = inventory.select(&["core".into()]).unwrap();
        let labels: Vec<String> = core.iter().map(Device::label).collect();
        assert_eq!(labels, ["core1.example.net", "core2", "10.0.0.3"]);
        assert_eq!(core[1].platform.as_deref(), Some("cisco_nxos"));
        assert_eq!(core[1].port, Some(2222));
        let all = inventory.select(&[]).unwrap();
        assert_eq!(all.len(), 4, "core1 appears in both groups but runs once: {all:?}");
        let error = inventory.select(&["dist".into()]).unwrap_err().to_string();
        assert!(error.contains("core, edge"), "{error}");
    }

    #[test]
    fn a_plain_list_and_mistakes() {
        let inventory = Inventory::parse("- host: r1\n  port: 22\n- r2\n").unwrap();
        assert_eq!(inventory.select(&[]).unwrap().len(), 2);
        assert!(inventory.select(&["core".into()]).is_err());
        let error = Inventory::parse("groups:\n  core:\n    - {host: r1, prot: 22}\n").unwrap_err();
        assert!(error.contains("group core, device 1") && error.contains("prot"), "{error}");
        assert!(Inventory::parse("devices: []").unwrap_err().contains("devices"));
        assert!(Inventory::parse("").is_err());
        assert!(Inventory::parse("groups:\n  core: r1\n").unwrap_err().contains("group core"));
    }
}
