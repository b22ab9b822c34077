"""NATS cluster faults, on the stack of tests/compose/e2e.sh started with
compose/nats-cluster.yaml (three JetStream nodes, streams R3):

1. under a stream of submissions, one NATS node is killed (`docker kill`), then started
   again;
2. then another node is cut off from the others and from the naas services
   (`docker network disconnect` of its backend network), then reconnected.

Every submission answered 202 must finish; a submission answered 503 while the services
reconnect is retried after its Retry-After, as a client does, and must be accepted within
a few tries. Bounded: 2 x 60 jobs, each wait at most 180 s.
"""

import json
import subprocess
import sys
import time

from e2e import call, check
from faults import CREDENTIALS, DEVICES, admin_key, compose, settle_all

def node(service):
    return compose("ps", "-q", service).split()[0]


def submit(caller, i, tries=40):
    host, port, platform = DEVICES[i % len(DEVICES)]
    body = {"host": host, "port": port, "platform": platform, "commands": ["show version"], **CREDENTIALS}
    for _ in range(tries):
        status, answer = call("POST", "/v2/send-command", caller, body)
        if status == 202:
            return answer["job_id"]
        if status != 503:
            raise SystemExit(f"compose nats faults: FAILED: submission {i} answered {status} {answer}, not 202 or 503")
        refused.append(time.monotonic())
        time.sleep(1)
    raise SystemExit(f"compose nats faults: FAILED: submission {i} refused {tries} times")


refused = []


def under_load(caller, fault, heal, base):
    ids = []
    for i in range(60):
        ids.append(submit(caller, base + i))
        if i == 20:
            fault()
        if i == 40:
            heal()
    docs = settle_all(set(ids), caller=caller)
    unfinished = [(j, docs.get(j, {}).get("status")) for j in ids if docs.get(j, {}).get("status") != "finished"]
    return ids, unfinished


def main():
    caller = admin_key()
    networks = json.loads(subprocess.run(["docker", "inspect", "-f", "{{json .NetworkSettings.Networks}}", node("nats-3")],
                                         check=True, capture_output=True, text=True).stdout)
    backend = next(name for name in networks if name.endswith("_backend"))

    killed = node("nats-2")
    ids, unfinished = under_load(
        caller,
        lambda: subprocess.run(["docker", "kill", killed], check=True, capture_output=True),
        lambda: subprocess.run(["docker", "start", killed], check=True, capture_output=True),
        0)
    check(not unfinished, f"with one NATS node killed, all {len(ids)} accepted jobs finished: {unfinished[:5]}")

    cut = node("nats-3")
    ids, unfinished = under_load(
        caller,
        lambda: subprocess.run(["docker", "network", "disconnect", backend, cut], check=True, capture_output=True),
        lambda: subprocess.run(["docker", "network", "connect", "--alias", "nats-3", backend, cut], check=True,
                               capture_output=True),
        100)
    check(not unfinished, f"with one NATS node cut off, all {len(ids)} accepted jobs finished: {unfinished[:5]}")
    print(f"compose nats faults: {len(refused)} submissions answered 503 (each retried after 1 s) across both faults")


if __name__ == "__main__":
    sys.exit(main())
