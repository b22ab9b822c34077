"""Redis failover, on the stack of tests/compose/e2e.sh started with
compose/redis-sentinel.yaml (a primary, two replicas, three Sentinels):

under a stream of submissions, the primary's container is killed (`docker kill`); the
Sentinels promote a replica, and the naas services move to it by themselves. Later the old
primary is started again (as a primary, from its own data), and the Sentinels make it a
replica of the new one.

Every submission answered 202 must finish; a submission answered 503 while the primary is
replaced is retried after a second, as a client does, and must be accepted within the
bound. The time from the kill to the first accepted submission is printed. Bounded: 80
jobs, each wait at most 180 s.
"""

import os
import subprocess
import sys
import time

from e2e import call, check
from faults import CREDENTIALS, DEVICES, SECRETS, admin_key, compose, settle_all

# The servers' fixed addresses (compose/redis-sentinel.yaml).
ADDRESSES = {"10.253.53.201": "redis", "10.253.53.202": "redis-2", "10.253.53.203": "redis-3"}

# Sentinel's down-after-milliseconds (5 s in compose/init-secrets.sh), its election and
# the promotion, and the services' next lookup.
FAILOVER_BOUND_S = 60


def node(service):
    return compose("ps", "-q", service).split()[0]


def ask(container, port, *command):
    """A server's answer, asked as the services' `naas` user (the password by environment)."""
    password = open(f"{SECRETS}/redis.password").read().strip()
    out = subprocess.run(["docker", "exec", "-e", f"REDISCLI_AUTH={password}", container, "redis-cli", "--tls",
                          "--cacert", "/run/secrets/ca.crt", "-p", str(port), "--user", "naas", *command],
                         check=True, capture_output=True, text=True).stdout
    return out.split()


def primary():
    """The service the Sentinels name as the primary."""
    address = ask(node("sentinel-1"), 26379, "SENTINEL", "get-master-addr-by-name", "naas")[0]
    return ADDRESSES.get(address, address)


refused = []


def submit(caller, i):
    host, port, platform = DEVICES[i % len(DEVICES)]
    body = {"host": host, "port": port, "platform": platform, "commands": ["show version"], **CREDENTIALS}
    deadline = time.monotonic() + FAILOVER_BOUND_S
    while True:
        status, answer = call("POST", "/v2/send-command", caller, body)
        if status == 202:
            return answer["job_id"]
        if status != 503:
            raise SystemExit(f"compose redis faults: FAILED: submission {i} answered {status} {answer}, not 202 or 503")
        refused.append(time.monotonic())
        if time.monotonic() > deadline:
            raise SystemExit(f"compose redis faults: FAILED: submission {i} refused for {FAILOVER_BOUND_S} s")
        time.sleep(1)


def main():
    caller = admin_key()
    check(primary() == "redis", "the Sentinels name `redis` as the primary")
    old = node("redis")
    ids, killed_at, first_after = [], None, None
    for i in range(80):
        ids.append(submit(caller, i))
        if killed_at and not first_after:
            first_after = time.monotonic()
        if i == 20:
            subprocess.run(["docker", "kill", old], check=True, capture_output=True)
            killed_at = time.monotonic()
        if i == 60:
            subprocess.run(["docker", "start", old], check=True, capture_output=True)
    promoted = primary()
    check(promoted in ("redis-2", "redis-3"), f"a replica was promoted: the Sentinels name {promoted}")
    docs = settle_all(set(ids), caller=caller)
    unfinished = [(j, docs.get(j, {}).get("status")) for j in ids if docs.get(j, {}).get("status") != "finished"]
    check(not unfinished, f"with the Redis primary killed, all {len(ids)} accepted jobs finished: {unfinished[:5]}")
    deadline = time.monotonic() + 60
    while True:  # the old primary comes back as a replica of the promoted one
        try:
            role = ask(old, 6379, "ROLE")
        except subprocess.CalledProcessError:
            role = []
        if role[:1] == ["slave"] and ADDRESSES.get(role[1]) == promoted:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"compose redis faults: FAILED: the old primary did not rejoin as a replica: {role}")
        time.sleep(1)
    check(True, "the old primary, started again, is a replica of the promoted one")
    print(f"compose redis faults: first submission accepted {first_after - killed_at:.1f} s after the primary was "
          f"killed; {len(refused)} submissions answered 503 (each retried after 1 s)")


if __name__ == "__main__":
    sys.exit(main())
