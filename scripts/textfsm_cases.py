#!/usr/bin/env python3
"""Collects the cases that `textfsm/examples/compare.rs` runs, as one JSON file.

Each case is a command's output, the platform and command it came from, and the records
expected for it. The expected records and the output are read exactly as ntc-templates'
own test (`tests/test_structured_data_against_parsed_reference_files.py`) reads them:
`yaml.safe_load` for the `parsed_sample` of `<sample>.yml`, the `<sample>.raw` text opened
in text mode (universal newlines, UTF-8), the platform and command from the folder names
(`tests/<platform>/<command_with_underscores>/`). For each case the reference
implementation (Python `textfsm`'s clitable, as `ntc_templates.parse.parse_output` calls
it) is run too, with the same templates, and the result recorded as `reference`.

Usage: textfsm_cases.py <ntc-templates checkout> <naas fixtures dir> <naas templates dir> <out.json>
"""

import glob
import json
import os
import sys

import yaml
from textfsm import clitable


def reference(templates, platform, command, text):
    """`ntc_templates.parse.parse_output`, with the templates given: records, or the error."""
    table = clitable.CliTable("index", templates)
    try:
        table.ParseCmd(text, {"Command": command, "Platform": platform})
    except Exception as err:  # noqa: BLE001 - any failure is the reference's answer
        return None, f"{type(err).__name__}: {err}".splitlines()[0][:200]
    return [{table.header[i].lower(): cell for i, cell in enumerate(row)} for row in table], None


def strict_equal(got, expected):
    """ntc-templates' test: same count, same keys per record, same values."""
    if len(got) != len(expected):
        return False
    return all(set(g) == set(e) and all(g[k] == e[k] for k in e) for g, e in zip(got, expected))


def case(templates, platform, command, sample, raw_path, expected):
    with open(raw_path, "r", encoding="utf-8") as f:
        text = f.read()
    got, error = reference(templates, platform, command, text)
    return {
        "platform": platform,
        "command": command,
        "sample": sample,
        "text": text,
        "expected": expected,
        "reference": {
            "pass": error is None and strict_equal(got, expected),
            "error": error,
        },
    }


def ntc_cases(checkout):
    templates = os.path.join(checkout, "ntc_templates", "templates")
    cases = []
    for raw in sorted(glob.glob(os.path.join(checkout, "tests", "*", "*", "*.raw"))):
        parts = os.path.relpath(raw, os.path.join(checkout, "tests")).split(os.sep)
        platform, command = parts[0], " ".join(parts[1].split("_"))
        with open(raw[:-4] + ".yml", "r", encoding="utf-8") as f:
            expected = yaml.safe_load(f.read())["parsed_sample"]
        sample = "/".join(parts)[: -len(".raw")]
        cases.append(case(templates, platform, command, sample, raw, expected))
    return {"name": "ntc-templates tests", "templates": os.path.abspath(templates), "cases": cases}


def naas_cases(fixtures, templates):
    cases = []
    for txt in sorted(glob.glob(os.path.join(fixtures, "*.txt"))):
        stem = os.path.basename(txt)[: -len(".txt")]
        platform, command = stem.split("__", 1)
        with open(txt[:-4] + ".json", "r", encoding="utf-8") as f:
            expected = json.load(f)
        cases.append(case(templates, platform, command.replace("_", " "), stem, txt, expected))
    return {"name": "naas fixtures", "templates": os.path.abspath(templates), "cases": cases}


def main():
    checkout, fixtures, templates, out = sys.argv[1:5]
    sets = [ntc_cases(checkout), naas_cases(fixtures, templates)]
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"sets": sets}, f)
    for s in sets:
        passed = sum(c["reference"]["pass"] for c in s["cases"])
        print(f"{s['name']}: {len(s['cases'])} cases, reference implementation passes {passed}")


if __name__ == "__main__":
    main()
