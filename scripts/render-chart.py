#!/usr/bin/env python3
"""Renders the naas Helm chart without helm, for CI validation.

No helm binary can be installed from the package registries this project builds with, so
CI renders helm/naas with this script and validates the manifests it produces
(scripts/validate-deploy.sh). It implements only the part of Go templates and Helm that
the chart uses, and fails loudly on anything else, so a template that strays outside the
subset breaks CI instead of being rendered wrongly:

- actions `{{ }}` with trim markers `{{-`/`-}}`, comments `{{/* */}}`;
- `define`, `if`/`else if`/`else`, `with`/`else`, `range` (lists and maps, with
  `$v :=` or `$k, $v :=`), `end`; variables `$x := …`, `$x = …`, `$`;
- pipelines `a | f b`, parenthesised sub-pipelines, `.Values`, `.Release`, `.Chart` and
  field lookups on maps;
- functions: include, toYaml, nindent, indent, quote, default, required, fail, printf
  (%s %d %v), trunc, trimSuffix, upper, contains, replace, int, int64, mul, dict, index,
  and, or, not, eq, ne, sha256sum.

Numbers from values files are float64 as in Helm, and print as Go prints them
(`{{ 4194304 }}` → `4.194304e+06`), so a template that forgets `int64` shows it here too.

Values are the chart's values.yaml deep-merged with each `-f FILE` in order (like helm).
Usage: render-chart.py CHART_DIR [-f values.yaml ...] [--name RELEASE] [--namespace NS]
       [--output-dir DIR]
Prints every rendered document (multi-document YAML) or writes one file per template.
"""

import argparse
import decimal
import hashlib
import pathlib
import re
import sys

import yaml


class TemplateError(Exception):
    pass


# ---------------------------------------------------------------------------- lexing

ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)


def lex(text, name):
    """Splits a template into ('text', s) and ('action', s) tokens, applying trim markers."""
    tokens = []
    pos = 0
    for m in ACTION.finditer(text):
        chunk = text[pos:m.start()]
        if m.group(1):
            chunk = chunk.rstrip(" \t\r\n")
        tokens.append(["text", chunk])
        body = m.group(2).strip()
        tokens.append(["action", body, m.group(3) is not None, name])
        pos = m.end()
    tokens.append(["text", text[pos:]])
    # Right trim markers strip the whitespace that follows.
    for i, tok in enumerate(tokens):
        if tok[0] == "action" and tok[2] and i + 1 < len(tokens):
            tokens[i + 1][1] = tokens[i + 1][1].lstrip(" \t\r\n")
    return [t for t in tokens if not (t[0] == "action" and t[1].startswith("/*"))]


# ---------------------------------------------------------------- expression parsing

TERM = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<raw>`[^`]*`)|(?P<num>-?\d+)'
    r"|(?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)|(?P<field>(?:\.[A-Za-z0-9_]+)+|\.)"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)|(?P<open>\()|(?P<close>\))|(?P<pipe>\|))"
)


def tokenize(expr):
    out, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = TERM.match(expr, pos)
        if not m or m.end() == pos:
            raise TemplateError(f"cannot parse {expr[pos:]!r} in {{{{ {expr} }}}}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(expr) and expr[pos].isspace():
            pos += 1
    return out


def parse_pipeline(tokens, i=0, closing=None):
    """Returns ([command, ...], next index); a command is a list of terms."""
    commands, current = [], []
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "close":
            if closing:
                break
            raise TemplateError("unbalanced ')'")
        if kind == "pipe":
            commands.append(current)
            current = []
            i += 1
            continue
        if kind == "open":
            sub, i = parse_pipeline(tokens, i + 1, closing=True)
            current.append(("pipeline", sub))
            i += 1
            continue
        current.append((kind, value))
        i += 1
    commands.append(current)
    if any(not c for c in commands):
        raise TemplateError("empty command in pipeline")
    return commands, i


def compile_expr(expr):
    commands, _ = parse_pipeline(tokenize(expr))
    return commands


# ------------------------------------------------------------------- tree building

def build_tree(tokens):
    """Nests the token list into nodes; returns (body, defines)."""
    defines = {}

    def block(i, stop):
        body = []
        while i < len(tokens):
            tok = tokens[i]
            if tok[0] == "text":
                body.append(("text", tok[1]))
                i += 1
                continue
            action, where = tok[1], tok[3]
            word = action.split(None, 1)[0] if action else ""
            rest = action[len(word):].strip()
            if word in ("end", "else") and stop:
                return body, i
            if word == "define":
                name = yaml.safe_load(rest)
                inner, i = block(i + 1, True)
                expect(tokens, i, "end", where)
                defines[name] = inner
                i += 1
            elif word in ("if", "with", "range"):
                node, i = conditional(word, rest, i, where)
                body.append(node)
            elif word in ("end", "else"):
                raise TemplateError(f"{where}: unexpected {{{{ {action} }}}}")
            elif word in ("template", "block", "tpl", "break", "continue"):
                raise TemplateError(f"{where}: {{{{ {word} }}}} is outside the supported subset")
            else:
                m = re.match(r"^(\$[A-Za-z0-9_]+)\s*(:=|=)\s*(.+)$", action, re.S)
                if m:
                    body.append(("assign", m.group(1), m.group(2), compile_expr(m.group(3))))
                else:
                    body.append(("output", compile_expr(action), where))
                i += 1
        if stop:
            raise TemplateError("missing {{ end }}")
        return body, i

    def conditional(word, rest, i, where):
        variables = None
        if word == "range":
            m = re.match(r"^(\$[A-Za-z0-9_]+)\s*(?:,\s*(\$[A-Za-z0-9_]+)\s*)?:=\s*(.+)$", rest, re.S)
            if m:
                variables = [v for v in (m.group(1), m.group(2)) if v]
                rest = m.group(3)
        branches = [(compile_expr(rest), None)]
        bodies = []
        inner, i = block(i + 1, True)
        bodies.append(inner)
        otherwise = None
        while True:
            action = tokens[i][1]
            if action == "end":
                break
            if action.startswith("else if ") and word == "if":
                branches.append((compile_expr(action[len("else if "):]), None))
                inner, i = block(i + 1, True)
                bodies.append(inner)
                continue
            if action == "else":
                otherwise, i = block(i + 1, True)
                expect(tokens, i, "end", where)
                break
            raise TemplateError(f"{where}: unexpected {{{{ {action} }}}}")
        return (word, [(b[0], body) for b, body in zip(branches, bodies)], otherwise, variables), i + 1

    body, _ = block(0, False)
    return body, defines


def expect(tokens, i, word, where):
    if i >= len(tokens) or tokens[i][0] != "action" or tokens[i][1] != word:
        raise TemplateError(f"{where}: expected {{{{ {word} }}}}")


# ---------------------------------------------------------------------- evaluation

def truthy(value):
    return not (value is None or value is False or value == 0 and not isinstance(value, bool)
                or (isinstance(value, (str, list, dict)) and len(value) == 0))


def go_float(value):
    """Go's %v of a float64 (strconv 'g', shortest): exponent form from 1e+06 on."""
    if value == 0:
        return "0"
    sign, digits, exponent = decimal.Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digits))
    exp = len(digits) + exponent - 1
    minus = "-" if sign else ""
    if exp < -4 or exp >= 21 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{minus}{mantissa}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    return minus + format(decimal.Decimal(repr(abs(value))).normalize(), "f")


def go_string(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, (dict, list)):
        raise TemplateError(f"cannot print a {type(value).__name__} (use toYaml): {value!r}")
    return str(value)


def integral(value):
    """toYaml goes through JSON, which writes integral float64 values as integers."""
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def to_yaml(value):
    if value is None:
        return "null"
    text = yaml.safe_dump(integral(value), default_flow_style=False, sort_keys=True, width=10000)
    text = text.rstrip("\n")
    return text[:-4].rstrip("\n") if text.endswith("\n...") else text


def printf(fmt, *args):
    args = list(args)

    def sub(m):
        if m.group(0) == "%%":
            return "%"
        if not args:
            raise TemplateError(f"printf {fmt!r}: too few arguments")
        value = args.pop(0)
        if m.group(1) == "d":
            if not isinstance(value, int):
                raise TemplateError(f"printf %d of {value!r}")
            return str(value)
        return go_string(value)

    return re.sub(r"%%|%([sdv])", sub, fmt)


def required(message, value):
    if not truthy(value):
        raise TemplateError(f"required: {message}")
    return value


def fail(message):
    raise TemplateError(f"fail: {message}")


def go_and(*args):
    for a in args:
        if not truthy(a):
            return a
    return args[-1]


def go_or(*args):
    for a in args:
        if truthy(a):
            return a
    return args[-1]


def index(collection, *keys):
    for key in keys:
        collection = collection.get(key) if isinstance(collection, dict) else collection[key]
    return collection


def dict_of(*pairs):
    if len(pairs) % 2:
        raise TemplateError("dict needs key/value pairs")
    return {pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)}


def nindent(n, text):
    return "\n" + indent(n, text)


def indent(n, text):
    pad = " " * n
    return "\n".join(pad + line for line in go_string(text).split("\n"))


FUNCTIONS = {
    "toYaml": to_yaml,
    "nindent": nindent,
    "indent": indent,
    "quote": lambda *v: " ".join('"' + go_string(x).replace("\\", "\\\\").replace('"', '\\"') + '"' for x in v),
    "default": lambda d, v=None: v if truthy(v) else d,
    "required": required,
    "fail": fail,
    "printf": printf,
    "trunc": lambda n, s: go_string(s)[:n],
    "trimSuffix": lambda suffix, s: s[: -len(suffix)] if suffix and s.endswith(suffix) else s,
    "upper": lambda s: go_string(s).upper(),
    "contains": lambda sub, s: go_string(sub) in go_string(s),
    "replace": lambda old, new, s: go_string(s).replace(old, new),
    "int": lambda v: int(v),
    "int64": lambda v: int(v),
    "mul": lambda *v: __import__("math").prod(int(x) for x in v),
    "dict": dict_of,
    "index": index,
    "and": go_and,
    "or": go_or,
    "not": lambda v: not truthy(v),
    "eq": lambda a, *b: any(a == x for x in b),
    "ne": lambda a, b: a != b,
    "sha256sum": lambda s: hashlib.sha256(go_string(s).encode()).hexdigest(),
}


class Renderer:
    def __init__(self, defines):
        self.defines = defines

    def include(self, name, data):
        if name not in self.defines:
            raise TemplateError(f"include of undefined template {name!r}")
        return self.execute(self.defines[name], data, [{"$": data}])

    def lookup(self, base, path, what):
        for part in [p for p in path.split(".") if p]:
            if isinstance(base, dict):
                base = base.get(part)
            elif base is None:
                return None
            else:
                raise TemplateError(f"{what}: cannot look up {part!r} in {type(base).__name__}")
        return base

    def variable(self, scopes, name):
        for scope in reversed(scopes):
            if name in scope:
                return scope[name]
        raise TemplateError(f"undefined variable {name}")

    def term(self, term, dot, scopes):
        kind, value = term
        if kind == "str":
            return yaml.safe_load(value) if "\\" in value else value[1:-1]
        if kind == "raw":
            return value[1:-1]
        if kind == "num":
            return int(value)
        if kind == "field":
            return dot if value == "." else self.lookup(dot, value, value)
        if kind == "var":
            name, _, path = value.partition(".")
            return self.lookup(self.variable(scopes, name), path, value)
        if kind == "pipeline":
            return self.pipeline(value, dot, scopes)
        if kind == "ident":
            if value in ("true", "false"):
                return value == "true"
            if value == "nil":
                return None
            return self.call(value, [], dot, scopes)
        raise TemplateError(f"unexpected {value!r}")

    def call(self, name, args, dot, scopes):
        values = [self.term(a, dot, scopes) for a in args]
        return self.apply(name, values)

    def apply(self, name, values):
        if name == "include":
            return self.include(*values)
        if name not in FUNCTIONS:
            raise TemplateError(f"function {name!r} is outside the supported subset")
        return FUNCTIONS[name](*values)

    def pipeline(self, commands, dot, scopes):
        result, has_result = None, False
        for command in commands:
            head, args = command[0], command[1:]
            if head[0] == "ident" and head[1] not in ("true", "false", "nil"):
                values = [self.term(a, dot, scopes) for a in args]
                if has_result:
                    values.append(result)
                result = self.apply(head[1], values)
            else:
                if args or has_result:
                    raise TemplateError(f"cannot call a value: {command!r}")
                result = self.term(head, dot, scopes)
            has_result = True
        return result

    def execute(self, body, dot, scopes):
        out = []
        for node in body:
            kind = node[0]
            if kind == "text":
                out.append(node[1])
            elif kind == "output":
                try:
                    out.append(go_string(self.pipeline(node[1], dot, scopes)))
                except TemplateError as e:
                    raise TemplateError(f"{node[2]}: {e}") from None
            elif kind == "assign":
                _, name, op, expr = node
                value = self.pipeline(expr, dot, scopes)
                if op == ":=":
                    scopes[-1][name] = value
                else:
                    for scope in reversed(scopes):
                        if name in scope:
                            scope[name] = value
                            break
                    else:
                        raise TemplateError(f"assignment to undeclared {name}")
            else:
                out.append(self.control(node, dot, scopes))
        return "".join(out)

    def control(self, node, dot, scopes):
        word, branches, otherwise, variables = node
        if word == "if":
            for expr, body in branches:
                if truthy(self.pipeline(expr, dot, scopes)):
                    return self.execute(body, dot, scopes + [{}])
        elif word == "with":
            expr, body = branches[0]
            value = self.pipeline(expr, dot, scopes)
            if truthy(value):
                return self.execute(body, value, scopes + [{}])
        else:
            expr, body = branches[0]
            value = self.pipeline(expr, dot, scopes)
            if truthy(value):
                items = sorted(value.items()) if isinstance(value, dict) else list(enumerate(value))
                parts = []
                for key, item in items:
                    scope = {}
                    if variables and len(variables) == 2:
                        scope[variables[0]], scope[variables[1]] = key, item
                    elif variables:
                        scope[variables[0]] = item
                    parts.append(self.execute(body, item, scopes + [scope]))
                return "".join(parts)
        return self.execute(otherwise, dot, scopes + [{}]) if otherwise else ""


# -------------------------------------------------------------------------- helm

def as_helm_numbers(value):
    """Helm reads values files through JSON: every number becomes a float64."""
    if isinstance(value, dict):
        return {k: as_helm_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_helm_numbers(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def merge(base, override):
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base.get(key), value) if key in base else value
        return merged
    return override


def render(chart_dir, value_files=(), name="naas", namespace="naas"):
    """Returns {template path: rendered text} for every manifest template."""
    chart_dir = pathlib.Path(chart_dir)
    chart = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    values = yaml.safe_load((chart_dir / "values.yaml").read_text()) or {}
    for path in value_files:
        values = merge(values, yaml.safe_load(pathlib.Path(path).read_text()) or {})
    root = {
        "Values": as_helm_numbers(values),
        "Release": {"Name": name, "Namespace": namespace, "Service": "Helm", "IsInstall": True,
                    "IsUpgrade": False, "Revision": 1},
        "Chart": {"Name": chart["name"], "Version": chart["version"],
                  "AppVersion": chart.get("appVersion", "")},
    }
    templates = sorted((chart_dir / "templates").glob("*"))
    bodies, defines = {}, {}
    for path in templates:
        if path.suffix not in (".yaml", ".yml", ".tpl"):
            continue
        body, found = build_tree(lex(path.read_text(), path.name))
        defines.update(found)
        if not path.name.startswith("_") and path.suffix != ".tpl":
            bodies[f"{chart['name']}/templates/{path.name}"] = body
    renderer = Renderer(defines)
    return {where: renderer.execute(body, root, [{"$": root}]) for where, body in bodies.items()}


def documents(text):
    """The non-empty YAML documents of a rendered template."""
    docs = re.split(r"(?m)^---\s*$", text)
    return [d.strip("\n") for d in docs if d.strip() and any(
        line.strip() and not line.lstrip().startswith("#") for line in d.splitlines())]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chart")
    parser.add_argument("-f", "--values", action="append", default=[])
    parser.add_argument("--name", default="naas")
    parser.add_argument("--namespace", default="naas")
    parser.add_argument("--output-dir")
    args = parser.parse_args()
    try:
        rendered = render(args.chart, args.values, args.name, args.namespace)
    except TemplateError as e:
        print(f"render-chart: {e}", file=sys.stderr)
        return 1
    if args.output_dir:
        out = pathlib.Path(args.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        for where, text in rendered.items():
            docs = documents(text)
            if docs:
                (out / pathlib.Path(where).name).write_text(
                    "".join(f"---\n# Source: {where}\n{d}\n" for d in docs))
    else:
        for where, text in rendered.items():
            for doc in documents(text):
                print(f"---\n# Source: {where}\n{doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
