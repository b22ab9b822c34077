"""Checks the API's OpenAPI document (a file, as GET /openapi.json served it).

- It is a valid OpenAPI 3.1 document (openapi-spec-validator).
- Every example in it (schema `examples`, media type `example`/`examples`, parameter and
  header examples) is valid against the schema it illustrates (JSON Schema 2020-12, the
  dialect of OpenAPI 3.1, formats checked).

Prints one line per problem and exits 1 if there is any; prints a summary and exits 0
otherwise. Run by tests/tests/integration/openapi.rs.
"""

import json
import sys

import jsonschema
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "urn:naas:openapi"


def pointer(parts):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def examples(node, path):
    """Yields (where, example, schema path) for every example under `node`: a list under
    `examples` belongs to a schema; `example` or an `examples` map beside a `schema` (media
    types, parameters, headers) illustrates that schema."""
    if isinstance(node, dict):
        if isinstance(node.get("examples"), list):
            for i, example in enumerate(node["examples"]):
                yield pointer(path + ["examples", i]), example, path
        if isinstance(node.get("schema"), dict):
            target = path + ["schema"]
            if "example" in node:
                yield pointer(path + ["example"]), node["example"], target
            if isinstance(node.get("examples"), dict):
                for name, example in node["examples"].items():
                    if isinstance(example, dict) and "value" in example:
                        yield pointer(path + ["examples", name]), example["value"], target
        for key, value in node.items():
            if key not in ("example", "examples"):
                yield from examples(value, path + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from examples(value, path + [i])


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    validate(doc)
    registry = Registry().with_resource(BASE, Resource.from_contents(doc, default_specification=DRAFT202012))
    problems, checked = [], 0
    for where, example, schema_path in examples(doc, []):
        validator = jsonschema.Draft202012Validator(
            {"$ref": BASE + "#" + pointer(schema_path)},
            registry=registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        checked += 1
        for error in validator.iter_errors(example):
            problems.append(f"{where}: {error.message} (at {pointer(list(error.absolute_path))})")
    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    print(f"OpenAPI {doc['openapi']} document valid; {checked} examples valid against their schemas")


if __name__ == "__main__":
    main()
