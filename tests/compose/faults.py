"""Faults across containers, on the stack of tests/compose/e2e.sh (standard library only).

Under a stream of submissions (show jobs on the three simulated devices, config jobs on
r1 each with its own line): one worker container is killed (`docker kill`), then the
workers are scaled out to four (`up --scale worker=4`). Then:
- every accepted job settles: read-only jobs finish (a killed worker's jobs come back
  to another worker); a config job finishes, or fails ORPHANED when its worker died
  mid-push, never runs twice;
- no config line reached the device twice (the simulator's command log, from its
  container's output), and every finished config job's line reached it exactly once;
- the workers added by the scale-out ran jobs of a burst submitted after it.

E2E_COMPOSE is the compose command of the stack (JSON list), E2E_API and E2E_SECRETS as
for e2e.py. Bounded: 240 jobs in all, each wait at most 180 s.
"""

import collections
import json
import os
import re
import subprocess
import sys
import time

from e2e import basic, call, check

COMPOSE = json.loads(os.environ["E2E_COMPOSE"])
DEVICES = [("sim", 10022, "cisco_ios"), ("sim", 10023, "arista_eos"), ("sim", 10024, "juniper_junos")]
SECRETS = os.environ["E2E_SECRETS"]
CREDENTIALS = {"username": "netops", "password": "netops"}


def admin_key():
    """An admin API key: admins are exempt from the rate limit that a burst would hit."""
    admin = basic("admin", open(f"{SECRETS}/admin_secret").read().strip())
    status, key = call("POST", "/v2/api-keys", admin, {"role": "admin", "contexts": ["*"], "ttl_seconds": 900,
                                                       "name": "compose-faults"})
    check_quiet(status == 201, f"admin key created: {status} {key}")
    return "Bearer " + key["token"]


CALLER = None


def compose(*args):
    return subprocess.run([*COMPOSE, *args], check=True, capture_output=True, text=True).stdout


def container(service, index):
    return compose("ps", "-q", service).split()[index - 1] if index else None


def submit_show(i):
    host, port, platform = DEVICES[i % len(DEVICES)]
    status, answer = call("POST", "/v2/send-command", CALLER,
                          {"host": host, "port": port, "platform": platform, "commands": ["show version"], **CREDENTIALS})
    check_quiet(status == 202, f"show job {i} accepted: {status} {answer}")
    return answer["job_id"]


def submit_config(i):
    line = f"description fault-test-{os.getpid()}-{i}"
    status, answer = call("POST", "/v2/send-config", CALLER,
                          {"host": "sim", "port": 10022, "platform": "cisco_ios",
                           "config": [f"interface Loopback{100 + i}", line], **CREDENTIALS})
    check_quiet(status == 202, f"config job {i} accepted: {status} {answer}")
    return answer["job_id"], line


def check_quiet(ok, what):
    if not ok:
        raise SystemExit(f"compose faults: FAILED: {what}")


def settle_all(ids, within=180, caller=None):
    caller = caller or CALLER
    deadline = time.monotonic() + within
    docs = {}
    while ids - docs.keys() and time.monotonic() < deadline:
        for job_id in sorted(ids - docs.keys()):
            status, doc = call("GET", f"/v2/jobs/{job_id}", caller)
            if status == 200 and doc["status"] in ("finished", "failed", "canceled"):
                docs[job_id] = doc
        time.sleep(0.5)
    return docs


def started_jobs(container_id):
    logs = subprocess.run(["docker", "logs", container_id], capture_output=True, text=True)
    return sum('"message":"job started"' in line for line in (logs.stdout + logs.stderr).splitlines())


def main():
    global CALLER
    CALLER = admin_key()
    shows, configs = [], {}
    original = set(compose("ps", "-q", "worker").split())
    victim = container("worker", 1)
    for i in range(160):
        shows.append(submit_show(i))
        if i % 4 == 0:
            job_id, line = submit_config(i // 4)
            configs[job_id] = line
        if i == 60:
            subprocess.run(["docker", "kill", victim], check=True, capture_output=True)
            print("compose faults: killed one worker container under load")
        if i == 110:
            compose("up", "-d", "--no-build", "--no-recreate", "--scale", "worker=4")
            print("compose faults: scaled out to four workers under load")
    burst = [submit_show(1000 + i) for i in range(40)]
    docs = settle_all(set(shows) | set(configs) | set(burst))
    lost = (set(shows) | set(configs) | set(burst)) - docs.keys()
    check(not lost, f"every accepted job settled ({len(docs)} jobs; unsettled: {sorted(lost)[:5]})")
    unfinished = [(j, docs[j]["status"], docs[j].get("error_code")) for j in shows + burst
                  if docs[j]["status"] != "finished"]
    print(f"compose faults: the killed worker had started {started_jobs(victim)} jobs")
    check(not unfinished, f"every read-only job finished, the killed worker's included: {unfinished[:5]}")
    outcomes = collections.Counter((docs[j]["status"], docs[j].get("error_code")) for j in configs)
    allowed = {("finished", None), ("failed", "ORPHANED")}
    check(set(outcomes) <= allowed, f"config jobs finished or were orphaned: {dict(outcomes)}")

    sim_log = subprocess.run(["docker", "logs", container("sim", 1)], capture_output=True, text=True)
    pushed = collections.Counter(
        m.group(1) for line in (sim_log.stdout + sim_log.stderr).splitlines() if "naas_sim::commands" in line
        for m in [re.search(r"(description fault-test-[0-9]+-[0-9]+)", line)] if m)
    twice = [line for line, n in pushed.items() if n > 1]
    check(not twice, f"no config line reached the device twice ({sum(pushed.values())} pushed)")
    missing = [line for j, line in configs.items() if docs[j]["status"] == "finished" and pushed[line] != 1]
    check(not missing, f"each finished config job's line reached the device once: {missing[:3]}")

    added = set(compose("ps", "-q", "worker").split()) - original
    working = [c for c in added if started_jobs(c) > 0]
    check(len(added) == 2 and working, f"the scaled-out workers took work ({len(working)} of {len(added)} ran jobs)")


if __name__ == "__main__":
    sys.exit(main())
