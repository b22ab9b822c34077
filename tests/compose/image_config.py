"""The naas images that scripts/images.sh built here carry the configuration the
Dockerfile's multi-stage build gives them: the same user, working directory, environment,
exposed ports, entrypoint and health check (`docker inspect` against what the Dockerfile
declares for each runtime stage), and the base has no shell.

  python3 tests/compose/image_config.py REPOSITORY TAG
"""

import json
import re
import subprocess
import sys

DURATION = {"s": 10**9, "m": 60 * 10**9}


def nanos(text):
    return int(text[:-1]) * DURATION[text[-1]]


def declared():
    """Each `naas-*` stage's configuration, with what it inherits from `runtime`."""
    text = open("Dockerfile").read().replace("\\\n", " ")
    stages, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "FROM":
            parent, _, name = rest.partition(" AS ")
            base = stages.get(parent.strip(), {"Env": [], "ExposedPorts": {}, "Healthcheck": None})
            current = stages[name.strip()] = json.loads(json.dumps(base))
        elif current is None:
            continue
        elif word == "USER":
            current["User"] = rest
        elif word == "WORKDIR":
            current["WorkingDir"] = rest
        elif word == "ENV":
            current["Env"].append(rest)
        elif word == "EXPOSE":
            current["ExposedPorts"][f"{rest}/tcp"] = {}
        elif word == "ENTRYPOINT":
            current["Entrypoint"] = json.loads(rest)
        elif word == "HEALTHCHECK":
            if rest == "NONE":
                current["Healthcheck"] = {"Test": ["NONE"]}
                continue
            options = dict(re.findall(r"--([a-z-]+)=(\S+)", rest))
            current["Healthcheck"] = {
                "Test": ["CMD", *json.loads(rest.split(" CMD ", 1)[1])],
                "Interval": nanos(options["interval"]),
                "Timeout": nanos(options["timeout"]),
                "StartPeriod": nanos(options["start-period"]),
                "Retries": int(options["retries"]),
            }
    return {name: stage for name, stage in stages.items() if name.startswith("naas-")}


def main(repository, tag):
    failures = []
    stages = declared()
    if sorted(stages) != ["naas-api", "naas-reaper", "naas-sim", "naas-worker"]:
        failures.append(f"the Dockerfile's runtime stages are {sorted(stages)}")
    for name, want in stages.items():
        config = json.loads(subprocess.run(["docker", "image", "inspect", "-f", "{{json .Config}}",
                                            f"{repository}/{name}:{tag}"],
                                           check=True, capture_output=True, text=True).stdout)
        got = {
            "User": config.get("User"),
            "WorkingDir": config.get("WorkingDir"),
            "Env": [e for e in config.get("Env") or [] if not e.startswith("PATH=")],
            "ExposedPorts": config.get("ExposedPorts") or {},
            "Entrypoint": config.get("Entrypoint"),
            "Healthcheck": config.get("Healthcheck"),
        }
        for key, value in got.items():
            if value != want.get(key):
                failures.append(f"{name}: {key} is {value!r}, the Dockerfile says {want.get(key)!r}")
    shell = subprocess.run(["docker", "run", "--rm", "--entrypoint", "/bin/sh", f"{repository}/naas-base:{tag}",
                            "-c", "true"], capture_output=True, text=True)
    if shell.returncode == 0:
        failures.append("the base image runs /bin/sh")
    for failure in failures:
        print(f"image config: {failure}", file=sys.stderr)
    if not failures:
        print(f"image config: {', '.join(sorted(stages))} match the Dockerfile's runtime stages; the base has no shell")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
