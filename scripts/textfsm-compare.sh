#!/usr/bin/env bash
# Measures the project's TextFSM engine against the textfsm-rust crate (docs/structured.md,
# "Choosing the engine"): every sample of an ntc-templates checkout's tests/ (each
# tests/<platform>/<command>/<sample>.raw with the `parsed_sample` of its .yml) and the
# project's own fixtures (textfsm/tests/data, with the ntc-templates of .tools/venv), parsed
# by both engines (release build, same run), compared strictly with the expected records.
# Prints pass rates, failure classes, every failure and the time per record.
#
# Usage: scripts/textfsm-compare.sh <ntc-templates checkout> [repeats]
# The checkout is a clone of ntc-templates' repository (the PyPI package has no tests/).
set -euo pipefail
cd "$(dirname "$0")/.."
checkout="${1:?usage: scripts/textfsm-compare.sh <ntc-templates checkout> [repeats]}"
repeats="${2:-5}"
[ -d "$checkout/tests" ] && [ -f "$checkout/ntc_templates/templates/index" ] ||
  { echo "$checkout: not an ntc-templates checkout (no tests/ or ntc_templates/templates/index)" >&2; exit 2; }
scripts/bootstrap.sh >/dev/null
python=.tools/venv/bin/python
templates="$("$python" -c 'import ntc_templates, os; print(os.path.join(os.path.dirname(ntc_templates.__file__), "templates"))')"
if git -C "$checkout" rev-parse HEAD >/dev/null 2>&1; then
  echo "corpus: ntc-templates $(git -C "$checkout" describe --tags --always) ($(git -C "$checkout" rev-parse HEAD))"
fi
cases="$(mktemp --suffix=.json)"
trap 'rm -f "$cases"' EXIT
"$python" scripts/textfsm_cases.py "$checkout" textfsm/tests/data "$templates" "$cases"
cargo build --locked --release -p naas-textfsm --example compare
"${CARGO_TARGET_DIR:-target}/release/examples/compare" "$cases" "$repeats"
