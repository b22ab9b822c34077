"""Parses Prometheus text expositions with the Python client's parser.

Usage: metrics_check.py FILE...   (each FILE one scrape of /metrics)

Prints, as JSON, for each file: {family: {"type", "labels", "samples"}} (label names
without `le`; sample count). Exits non-zero when a file does not parse, when a family has
no TYPE, or when a series appears twice: what a Prometheus server would reject or misread.
"""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def check(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    families = {}
    seen = set()
    for family in text_string_to_metric_families(text):
        if family.type == "unknown":
            raise ValueError(f"{family.name}: no TYPE line")
        if family.name in families:
            raise ValueError(f"{family.name}: listed twice")
        labels = set()
        for sample in family.samples:
            series = (sample.name, tuple(sorted(sample.labels.items())))
            if series in seen:
                raise ValueError(f"{sample.name}{dict(sample.labels)}: the same series twice")
            seen.add(series)
            labels.update(k for k in sample.labels if k != "le")
        families[family.name] = {"type": family.type, "labels": sorted(labels), "samples": len(family.samples)}
    if not families:
        raise ValueError("no metric at all")
    return families


def main():
    report = {}
    failed = False
    for path in sys.argv[1:]:
        try:
            report[path] = check(path)
        except ValueError as error:
            print(f"{path}: {error}", file=sys.stderr)
            failed = True
    print(json.dumps(report, indent=1))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
