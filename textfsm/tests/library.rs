//! A templates directory of this test's own: the index file's syntax, first match, and
//! tables of several templates merged on their Key values.

use naas_textfsm::{Library, LookupError};
use serde_json::json;

struct Dir(std::path::PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn library(files: &[(&str, &str)]) -> (Dir, Library) {
    let dir = std::env::temp_dir().join(format!("naas-textfsm-{}-{}", std::process::id(), files.len()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let library = Library::load(&dir).unwrap();
    (Dir(dir), library)
}

const INDEX: &str = "\
# comment lines and blank lines are skipped

Template, Hostname, Platform, Command

acme_show_ports_detail.textfsm, .*, acme_os, sh[[ow]] po[[rts]] d[[etail]]
acme_show_ports.textfsm:acme_show_ports_speed.textfsm, .*, acme_os, sh[[ow]] po[[rts]]
a row with the wrong number of columns is skipped
acme_show_unkeyed.textfsm:acme_show_speeds.textfsm, .*, acme_os, sh[[ow]] unk[[eyed]]
";

const PORTS: &str = "Value Key PORT (\\d+)\nValue STATE (up|down)\n\nStart\n  ^port ${PORT} is ${STATE} -> Record\n";
const SPEED: &str = "Value Key PORT (\\d+)\nValue SPEED (\\d+G)\n\nStart\n  ^port ${PORT} speed ${SPEED} -> Record\n";
const DETAIL: &str = "Value PORT (\\d+)\n\nStart\n  ^port ${PORT} -> Record\n";
const UNKEYED: &str = "Value PORT (\\d+)\nValue STATE (up|down)\n\nStart\n  ^port ${PORT} is ${STATE} -> Record\n";
const SPEEDS: &str = "Value SPEED (\\d+G)\n\nStart\n  ^port \\d+ speed ${SPEED} -> Record\n";

#[test]
fn first_matching_row_and_merged_tables() {
    let (_dir, library) = library(&[
        ("index", INDEX),
        ("acme_show_ports.textfsm", PORTS),
        ("acme_show_ports_speed.textfsm", SPEED),
        ("acme_show_ports_detail.textfsm", DETAIL),
        ("acme_show_unkeyed.textfsm", UNKEYED),
        ("acme_show_speeds.textfsm", SPEEDS),
    ]);
    assert_eq!(library.len(), 3);
    let output = "port 2 is down\nport 1 is up\nport 1 speed 10G\nport 2 speed 25G\n";
    // `sh po d` is the detail row (listed first), `sh po` the merged one.
    assert_eq!(library.templates_for("acme_os", "sh po d").unwrap(), ["acme_show_ports_detail.textfsm"]);
    let merged = library.parse("acme_os", "sh ports", output).unwrap();
    assert_eq!(
        serde_json::Value::Array(merged.records()),
        json!([{"port": "2", "state": "down", "speed": "25G"}, {"port": "1", "state": "up", "speed": "10G"}])
    );
    // Without keys, rows are merged in order.
    let merged = library.parse("acme_os", "show unkeyed", output).unwrap();
    assert_eq!(
        serde_json::Value::Array(merged.records()),
        json!([{"port": "2", "state": "down", "speed": "10G"}, {"port": "1", "state": "up", "speed": "25G"}])
    );
    assert!(matches!(library.parse("other_os", "show ports", output), Err(LookupError::NoTemplate)));
}

#[test]
fn a_broken_or_missing_template_is_reported_by_name() {
    let (_dir, library) = library(&[
        ("index", "Template, Platform, Command\nbroken.textfsm, acme_os, show a\nmissing.textfsm, acme_os, show b\n"),
        ("broken.textfsm", "Value A (x\n\nStart\n  ^a\n"),
    ]);
    let broken = library.parse("acme_os", "show a", "a").unwrap_err().to_string();
    assert!(broken.contains("broken.textfsm") && broken.contains("line 1"), "{broken}");
    assert!(matches!(library.parse("acme_os", "show b", "b"), Err(LookupError::Read { .. })));
}

#[test]
fn an_index_without_a_template_column_or_with_a_bad_pattern_is_refused() {
    let dir = std::env::temp_dir().join(format!("naas-textfsm-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = Dir(dir.clone());
    std::fs::write(dir.join("index"), "Platform, Command\nacme, show a\n").unwrap();
    assert!(Library::load(&dir).unwrap_err().to_string().contains("Template"));
    std::fs::write(dir.join("index"), "Template, Platform, Command\nx.textfsm, acme, show (a\n").unwrap();
    assert!(Library::load(&dir).unwrap_err().to_string().contains("line 2"));
    assert!(Library::load(&dir.join("nowhere")).is_err());
}

const VLANS: &str = "Value Key ID (\\d+)\nValue NAME (\\S+)\n\nStart\n  ^vlan ${ID}\\s*$$ -> Record\n  ^vlan ${ID} name ${NAME} -> Record\n";
const VLAN_STATES: &str = "Value Key ID (\\d+)\nValue NAME (\\S+)\nValue STATE (active|suspended)\n\nStart\n  ^id ${ID} ${STATE} named ${NAME} -> Record\n";

/// Merging keeps the first template's table as it is: its rows in their order (not sorted
/// by key), and its value of a column both templates have, even an empty one; the later
/// template only adds its new columns, to the row with the same key.
#[test]
fn merged_tables_keep_the_first_templates_rows_and_values() {
    let (_dir, library) = library(&[
        (
            "index",
            "Template, Platform, Command\nacme_show_vlans.textfsm:acme_show_vlan_states.textfsm, acme_os, sh[[ow]] vl[[ans]]\n",
        ),
        ("acme_show_vlans.textfsm", VLANS),
        ("acme_show_vlan_states.textfsm", VLAN_STATES),
    ]);
    let output = "vlan 20\nvlan 3 name users\nvlan 100\nid 3 active named staff\nid 100 suspended named voice\nid 20 active named guests\n";
    assert_eq!(
        serde_json::Value::Array(library.parse("acme_os", "sh vl", output).unwrap().records()),
        json!([
            {"id": "20", "name": "", "state": "active"},
            {"id": "3", "name": "users", "state": "active"},
            {"id": "100", "name": "", "state": "suspended"},
        ])
    );
}
