#!/usr/bin/env python3
"""Checks of the deployment files that no off-the-shelf tool here makes (called by
scripts/validate-deploy.sh, which runs the off-the-shelf ones):

  compose  COMPOSE_FILE         the hardening policy docs/security.md asks for (Compose
                                itself checks the file: `scripts/compose.sh config`)
  manifests CHART VALUES MANIFESTS  what `helm template` rendered from CHART with VALUES
                                into MANIFESTS, checked for what kubernetes-validate and
                                `helm lint` cannot: the KEDA ScaledObject's shape, grace
                                periods longer than the drain, restricted security
                                contexts, probes, a default-deny policy
  topology CONF TOPOLOGY_RS     every stream and consumer named in nats/src/topology.rs
                                appears in the NATS configuration's permissions
  compose-env FILE SERVICE DIR  prints a compose service's environment (secrets mapped
                                onto DIR), for scripts/smoke-deploy-config.sh
  settings MANIFESTS BIN_DIR    every Deployment's environment is accepted by the settings
                                loader of its binary (`<binary> healthcheck` exits 2 on a
                                configuration error)
"""

import json
import pathlib
import re
import sys

import jsonschema
import yaml

problems = []


def problem(where, text):
    problems.append(f"{where}: {text}")


# ------------------------------------------------------------------------- compose

def interpolate(text):
    """`${VAR:-default}` → default, `${VAR}` → fails (the file must run with no .env)."""
    def sub(m):
        if m.group(2) is None:
            raise SystemExit(f"compose: ${{{m.group(1)}}} has no default")
        return m.group(2)
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}", sub, text)


def check_compose(path):
    doc = yaml.safe_load(interpolate(pathlib.Path(path).read_text()))
    networks = doc.get("networks", {})
    for name, service in doc.get("services", {}).items():
        where = f"{path}: service {name}"
        one_shot = service.get("restart") == "no"
        if service.get("read_only") is not True:
            problem(where, "read_only: true is missing")
        if service.get("cap_drop") != ["ALL"]:
            problem(where, "cap_drop: [ALL] is missing")
        if "no-new-privileges:true" not in service.get("security_opt", []):
            problem(where, "security_opt no-new-privileges:true is missing")
        if one_shot:
            continue
        if str(service.get("user", "")).split(":")[0] in ("", "0", "root"):
            problem(where, "runs as root")
        if service.get("cap_add"):
            problem(where, f"adds capabilities {service['cap_add']}")
        if not service.get("tmpfs"):
            problem(where, "no tmpfs for /tmp on a read-only root")
        if not service.get("deploy", {}).get("resources", {}).get("limits"):
            problem(where, "no resource limits")
        if "healthcheck" not in service and "sim" not in service.get("profiles", []):
            problem(where, "no healthcheck")
        if service.get("ports") and name != "api":
            problem(where, "publishes a port (only the API may)")
        if name in ("nats", "redis"):
            for net in service.get("networks", []):
                if not (networks.get(net) or {}).get("internal"):
                    problem(where, f"joins network {net}, which is not internal")


# -------------------------------------------------------------------------- values

def merge(base, over):
    """Helm's merge of a values file over the chart's values: maps merge key by key,
    everything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_values(chart, files):
    values = yaml.safe_load((pathlib.Path(chart) / "values.yaml").read_text())
    for f in files:
        values = merge(values, yaml.safe_load(pathlib.Path(f).read_text()) or {})
    return values


# ----------------------------------------------------------------------- manifests

SCALED_OBJECT = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {"type": "object", "required": ["name"],
                                   "properties": {"name": {"type": "string", "minLength": 1}}},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "advanced": {"type": "object"},
                "triggers": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["type", "metadata"],
                    "properties": {"type": {"enum": ["nats-jetstream", "cpu", "memory"]},
                                   "metadata": {"type": "object",
                                                "additionalProperties": {"type": "string"}}}}},
            },
        },
    },
}
NATS_JETSTREAM_KEYS = {"natsServerMonitoringEndpoint", "account", "stream", "consumer", "lagThreshold"}


def check_manifests(chart, values_file, manifests):
    docs = []
    for text in re.split(r"^---\s*$", pathlib.Path(manifests).read_text(), flags=re.M):
        source = re.search(r"^# Source: (.+)$", text, flags=re.M)
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            problem(manifests, f"rendered YAML does not parse: {e}")
            continue
        if doc:
            docs.append((source.group(1) if source else manifests, doc))
    values = load_values(chart, [values_file])
    kinds = {}
    for where, doc in docs:
        kinds.setdefault(doc["kind"], []).append(doc)
        name = f"{where} {doc['kind']} {doc['metadata']['name']}"
        if doc["kind"] == "ScaledObject":
            for error in jsonschema.Draft202012Validator(SCALED_OBJECT).iter_errors(doc):
                problem(name, f"{error.json_path}: {error.message}")
            for trigger in doc["spec"]["triggers"]:
                if trigger["type"] == "nats-jetstream" and set(trigger["metadata"]) < NATS_JETSTREAM_KEYS:
                    problem(name, f"nats-jetstream trigger needs {sorted(NATS_JETSTREAM_KEYS)}")
        pod = (doc.get("spec", {}).get("template") or {}).get("spec")
        if pod:
            check_pod(name, doc, pod)
    deployments = {d["metadata"]["name"].rsplit("-", 1)[-1]: d for d in kinds.get("Deployment", [])}
    api = deployments["api"]["spec"]["template"]["spec"]
    drain = values["api"]["shutdownGraceSecs"] + values["api"]["preStopSleepSecs"]
    if api["terminationGracePeriodSeconds"] <= drain:
        problem("api", f"terminationGracePeriodSeconds must exceed preStop + shutdown grace ({drain} s)")
    worker = deployments["worker"]["spec"]["template"]["spec"]
    if worker["terminationGracePeriodSeconds"] <= values["worker"]["shutdownGraceSecs"]:
        problem("worker", "terminationGracePeriodSeconds must exceed worker.shutdownGraceSecs")
    probes = api["containers"][0]
    if probes["livenessProbe"]["httpGet"]["path"] != "/livez" or probes["readinessProbe"]["httpGet"]["path"] != "/readyz":
        problem("api", "liveness on /livez and readiness on /readyz")
    components = {d["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/component")
                  for d in kinds.get("PodDisruptionBudget", [])}
    if not {"api", "worker", "reaper"} <= components:
        problem("chart", f"PodDisruptionBudgets cover {sorted(components)}")
    if values["networkPolicy"]["enabled"]:
        deny = [p for p in kinds.get("NetworkPolicy", [])
                if set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
                and "ingress" not in p["spec"] and "egress" not in p["spec"]]
        if not deny:
            problem("chart", "no default-deny NetworkPolicy")
    return docs


def check_pod(name, doc, pod):
    if pod.get("automountServiceAccountToken") is not False:
        problem(name, "automountServiceAccountToken must be false")
    psc = pod.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True or psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problem(name, "pod securityContext must be runAsNonRoot with the RuntimeDefault seccomp profile")
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        sc = c.get("securityContext", {})
        if sc.get("readOnlyRootFilesystem") is not True:
            problem(name, f"container {c['name']}: readOnlyRootFilesystem")
        if sc.get("allowPrivilegeEscalation") is not False:
            problem(name, f"container {c['name']}: allowPrivilegeEscalation")
        if sc.get("capabilities", {}).get("drop") != ["ALL"] or sc.get("capabilities", {}).get("add"):
            problem(name, f"container {c['name']}: capabilities must drop ALL and add none")
        if doc["kind"] == "Deployment" and "readinessProbe" not in c:
            problem(name, f"container {c['name']}: no readiness probe")
        if "resources" not in c or "limits" not in c["resources"]:
            problem(name, f"container {c['name']}: no resource limits")


# ------------------------------------------------------------------------ topology

def check_topology(conf, topology_rs):
    source = pathlib.Path(topology_rs).read_text()
    text = pathlib.Path(conf).read_text()
    streams = re.findall(r'self\.stream\("([A-Z_]+)"\)', source)
    consumers = re.findall(r'"([a-z_-]+)"\.to_owned\(\)', source)
    if not streams:
        problem(topology_rs, "found no stream names")
    for stream in streams:
        if f"NAAS_{stream}" not in text:
            problem(conf, f"stream NAAS_{stream} (nats/src/topology.rs) has no permissions")
    for consumer in consumers:
        if f".{consumer}" not in text:
            problem(conf, f"consumer {consumer} (nats/src/topology.rs) has no permissions")
    for kind in re.findall(r'format!\("\{\}\.([a-z]+)\.', source):
        if f'"naas.{kind}.' not in text:
            problem(conf, f"subjects naas.{kind}.… (nats/src/topology.rs) appear in no permission")


def compose_env(path, service, secrets_dir):
    """Prints a compose service's environment, one KEY=VALUE a line, with its secrets'
    /run/secrets paths mapped onto the files in `secrets_dir` (scripts/smoke-deploy-config.sh
    runs the binaries with it)."""
    doc = yaml.safe_load(interpolate(pathlib.Path(path).read_text()))
    spec = doc["services"][service]
    files = {name: pathlib.Path(s["file"]).name for name, s in doc["secrets"].items()}
    mounted = {}
    for entry in spec.get("secrets", []):
        source, target = (entry, entry) if isinstance(entry, str) else (entry["source"], entry.get("target", entry["source"]))
        mounted[f"/run/secrets/{target}"] = str(pathlib.Path(secrets_dir) / files[source])
    for key, value in (spec.get("environment") or {}).items():
        value = str(value).lower() if isinstance(value, bool) else str(value)
        if value.startswith("/run/secrets/"):
            if value not in mounted:
                problem(f"{path}: service {service}", f"{key} names {value}, which is not mounted")
                continue
            value = mounted[value]
        print(f"{key}={value}")


# ------------------------------------------------------------------------ settings

def check_settings(manifests, bin_dir):
    """Each Deployment's and Job's environment, as the chart sets it, is accepted by its
    binary's settings loader: `<binary> healthcheck` (a Job: `<binary> <its args>`, e.g.
    `naas-worker provision`) exits 2 on a configuration error and 0/1 otherwise (nothing
    is reachable here, so 1). Secrets become placeholders of the
    right shape; mounted files become temporary files."""
    import subprocess
    import tempfile

    docs = [d for d in yaml.safe_load_all(pathlib.Path(manifests).read_text()) if d]
    config = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    placeholders = {
        "NAAS_NATS__PASSWORD": "placeholder",
        "NAAS_REDIS__URL": "redis://:placeholder@127.0.0.1:1",
    }
    files = {
        "encryption-key": "k1:" + "A" * 43 + "=",
        "admin-secret": "an-admin-secret-placeholder",
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (pathlib.Path(tmp) / name).write_text(text)
        for d in docs:
            if d["kind"] not in ("Deployment", "Job"):
                continue
            for c in d["spec"]["template"]["spec"]["containers"]:
                env = {"PATH": "/usr/bin:/bin"}
                for source in c.get("envFrom", []):
                    env.update(config[source["configMapRef"]["name"]])
                for item in c.get("env", []):
                    env[item["name"]] = item.get("value", placeholders.get(item["name"], "placeholder"))
                for key, value in list(env.items()):
                    if key.endswith("_FILE") and key.startswith("NAAS_") and pathlib.Path(value).name in files:
                        env[key] = str(pathlib.Path(tmp) / pathlib.Path(value).name)
                image = c["image"].rsplit("/", 1)[-1].split("@")[0].split(":")[0]
                binary = pathlib.Path(bin_dir) / image
                args = c.get("args", ["healthcheck"])
                run = subprocess.run([str(binary), *args], env=env, capture_output=True, text=True,
                                     timeout=30)
                if run.returncode == 2:
                    problem(f"{manifests}: {d['metadata']['name']}", f"settings refused: {run.stderr.strip()}")


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "compose":
        check_compose(*args)
    elif command == "manifests":
        check_manifests(*args)
    elif command == "topology":
        check_topology(*args)
    elif command == "settings":
        check_settings(*args)
    elif command == "compose-env":
        compose_env(*args)
    else:
        raise SystemExit(f"unknown check {command}")
    for p in problems:
        print(f"validate-deploy: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
