"""The netmiko baseline: jobs run the way netmiko-based services run them.

Reads a JSON spec on stdin:
    {"targets": [["127.0.0.1", 40001], ...], "jobs": 300, "concurrency": 32,
     "username": "...", "password": "...", "secret": "...", "command": "show version"}

Job n goes to target n mod len(targets). A thread pool of `concurrency` runs the jobs; each
job opens its own connection (ConnectHandler, device_type cisco_ios, netmiko's defaults),
enters enable mode, runs the command with send_command and disconnects.

Prints one JSON object on stdout:
    {"netmiko": VERSION, "wall_seconds": S,
     "jobs": [{"ok": true, "seconds": S, "error": null}, ...]}
"""

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import netmiko
from netmiko import ConnectHandler


def run_job(spec, n):
    host, port = spec["targets"][n % len(spec["targets"])]
    started = time.perf_counter()
    try:
        connection = ConnectHandler(
            device_type="cisco_ios",
            host=host,
            port=port,
            username=spec["username"],
            password=spec["password"],
            secret=spec["secret"],
        )
        try:
            connection.enable()
            output = connection.send_command(spec["command"])
        finally:
            connection.disconnect()
        ok = "Cisco IOS Software" in output
        error = None if ok else "unexpected output: " + output[:120]
    except Exception as exc:  # every failure is reported, none stops the run
        ok, error = False, repr(exc)
    return {"ok": ok, "seconds": time.perf_counter() - started, "error": error}


def main():
    spec = json.load(sys.stdin)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=spec["concurrency"]) as pool:
        jobs = list(pool.map(lambda n: run_job(spec, n), range(spec["jobs"])))
    wall = time.perf_counter() - started
    json.dump({"netmiko": netmiko.__version__, "wall_seconds": wall, "jobs": jobs}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
