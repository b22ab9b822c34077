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
