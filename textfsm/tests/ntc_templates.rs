//! The engine against the ntc-templates installed by `scripts/bootstrap.sh` (PyPI package
//! `ntc-templates`, in the project venv), or the directory named by `NAAS_NTC_TEMPLATES`.
//! Without either, these tests say so and pass: the engine's own tests do not need them.

use std::path::PathBuf;

use naas_textfsm::{Library, Template};

fn templates_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("NAAS_NTC_TEMPLATES") {
        return Some(PathBuf::from(dir));
    }
    let lib = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/lib");
    std::fs::read_dir(lib)
        .ok()?
        .flatten()
        .map(|e| e.path().join("site-packages/ntc_templates/templates"))
        .find(|p| p.is_dir())
}

#[test]
fn every_template_in_the_index_compiles() {
    let Some(dir) = templates_dir() else {
        eprintln!("ntc-templates not installed (scripts/bootstrap.sh); skipped");
        return;
    };
    let library = Library::load(&dir).unwrap();
    assert!(library.len() > 500, "{} rows", library.len());
    let mut failures = Vec::new();
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "textfsm") {
            count += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            if let Err(e) = Template::parse(&text) {
                failures.push(format!("{}: {e}", path.file_name().unwrap().to_string_lossy()));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {count} templates fail:\n{}", failures.len(), failures.join("\n"));
}

/// Outputs written for these tests in the devices' formats (`tests/data/<platform>__<command>.txt`,
/// spaces as `_`) and the records the reference implementation (`ntc_templates.parse.
/// parse_output` with textfsm 2.1) returns for them (`.json`).
#[test]
fn captured_outputs_parse_as_the_reference_implementation_parses_them() {
    let Some(dir) = templates_dir() else {
        eprintln!("ntc-templates not installed (scripts/bootstrap.sh); skipped");
        return;
    };
    let library = Library::load(&dir).unwrap();
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut checked = 0;
    for entry in std::fs::read_dir(&data).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (platform, command) = stem.split_once("__").unwrap();
        let command = command.replace('_', " ");
        let output = std::fs::read_to_string(&path).unwrap();
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap()).unwrap();
        let table = library.parse(platform, &command, &output).unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(serde_json::Value::Array(table.records()), expected, "{stem}");
        checked += 1;
    }
    assert_eq!(checked, 6);
}

#[test]
fn the_index_picks_templates_by_platform_and_abbreviated_command() {
    let Some(dir) = templates_dir() else {
        eprintln!("ntc-templates not installed (scripts/bootstrap.sh); skipped");
        return;
    };
    let library = Library::load(&dir).unwrap();
    let pick = |platform: &str, command: &str| library.templates_for(platform, command).map(|t| t.join(":"));
    assert_eq!(pick("cisco_ios", "sh ip int br").as_deref(), Some("cisco_ios_show_ip_interface_brief.textfsm"));
    assert_eq!(pick("cisco_ios", "show interfaces").as_deref(), Some("cisco_ios_show_interfaces.textfsm"));
    assert_eq!(pick("cisco_ios", "sh int Gi0/1").as_deref(), Some("cisco_ios_show_interfaces.textfsm"));
    assert_eq!(pick("arista_eos", "show ver").as_deref(), Some("arista_eos_show_version.textfsm"));
    assert_eq!(
        pick("cisco_ios", "show module").as_deref(),
        Some(
            "cisco_ios_show_module.textfsm:cisco_ios_show_module_status.textfsm:cisco_ios_show_module_submodule.textfsm:cisco_ios_show_module_online_diag.textfsm"
        )
    );
    assert_eq!(pick("cisco_ios", "show privilege"), None);
    assert_eq!(pick("vax_vms", "show version"), None);
    let table = library.parse("arista_eos", "show ip interface brief", "").unwrap();
    assert!(table.rows.is_empty());
    assert!(matches!(library.parse("cisco_ios", "show privilege", "x"), Err(naas_textfsm::LookupError::NoTemplate)));
}
