"""The checks of tests/compose/e2e.sh against a running compose stack (standard library
only): E2E_API is the published HTTPS address, E2E_SECRETS compose/secrets of that stack,
E2E_NATS_PORT the loopback port NATS is published on."""

import base64
import json
import os
import socket
import ssl
import sys
import time
import tomllib
import urllib.error
import urllib.request

API = os.environ["E2E_API"]
SECRETS = os.environ["E2E_SECRETS"]
NATS_PORT = int(os.environ["E2E_NATS_PORT"])
TLS = ssl.create_default_context(cafile=f"{SECRETS}/ca.crt")
DEVICE = {"host": "sim", "port": 10022, "platform": "cisco_ios"}


def check(ok, what):
    if not ok:
        raise SystemExit(f"compose e2e: FAILED: {what}")
    print(f"compose e2e: ok: {what}")


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def call(method, path, auth, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(API + path, data=data, method=method, headers={"Authorization": auth})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, context=TLS, timeout=30) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, json.loads(text) if text else None


def settled(job_id, auth, within=60):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        status, doc = call("GET", f"/v2/jobs/{job_id}", auth)
        if status == 200 and doc["status"] in ("finished", "failed", "canceled"):
            return doc
        time.sleep(0.5)
    raise SystemExit(f"compose e2e: FAILED: job {job_id} did not settle within {within} s")


def nats(user, password):
    """A raw NATS client connection over TLS (INFO, then the TLS upgrade, then CONNECT)."""
    raw = socket.create_connection(("127.0.0.1", NATS_PORT), timeout=30)
    raw.recv(4096)
    stream = TLS.wrap_socket(raw, server_hostname="localhost").makefile("rwb")
    connect = {"user": user, "pass": password, "verbose": False, "pedantic": False, "tls_required": True,
               "echo": False, "protocol": 1, "headers": True}
    stream.write(f"CONNECT {json.dumps(connect)}\r\nPING\r\n".encode())
    stream.flush()
    return stream


def read_until(stream, stop):
    lines = []
    while True:
        line = stream.readline().decode().rstrip("\r\n")
        if not line:
            raise SystemExit(f"compose e2e: FAILED: NATS closed the connection after {lines}")
        lines.append(line)
        if stop(line):
            return lines


def main():
    netops = basic("netops", "netops")
    admin = basic("admin", open(f"{SECRETS}/admin_secret").read().strip())

    status, answer = call("POST", "/v2/send-command", netops, {**DEVICE, "commands": ["show version"]})
    check(status == 202, f"show job accepted (202), got {status} {answer}")
    doc = settled(answer["job_id"], netops)
    check(doc["status"] == "finished" and "show version" in doc["results"], f"show job finished: {doc['status']}")

    config = ["interface Loopback42", "description compose e2e"]
    status, answer = call("POST", "/v2/send-config", netops, {**DEVICE, "config": config})
    check(status == 202, f"config job accepted (202), got {status}")
    doc = settled(answer["job_id"], netops)
    lines = [line["line"] for line in doc["results"]["lines"]] if doc["status"] == "finished" else []
    check(lines == config, f"config job finished with every line applied: {doc['status']} {doc.get('error_code')}")

    status, key = call("POST", "/v2/api-keys", admin, {"role": "operator", "contexts": ["*"], "ttl_seconds": 600,
                                                        "name": "compose-e2e"})
    check(status == 201 and key.get("token"), f"admin created an operator key (201), got {status}")
    bearer = "Bearer " + key["token"]
    creds = {"username": "netops", "password": "netops"}
    status, answer = call("POST", "/v2/send-command", bearer, {**DEVICE, **creds, "commands": ["show clock"]})
    check(status == 202, f"the key submits a job (202), got {status}")
    check(settled(answer["job_id"], bearer)["status"] == "finished", "the key's job finished")
    status, _ = call("DELETE", f"/v2/api-keys/{key['key_id']}", admin)
    check(status == 204, f"the key was revoked (204), got {status}")
    status, _ = call("POST", "/v2/send-command", bearer, {**DEVICE, **creds, "commands": ["show clock"]})
    check(status == 401, f"the revoked key is refused (401), got {status}")

    consumer = dict(line.strip().split("=", 1) for line in open(f"{SECRETS}/consumer.creds.txt"))
    results = nats(consumer["user"], consumer["password"])
    results.write(b"SUB naas.results.> 1\r\nPING\r\n")
    results.flush()
    read_until(results, lambda line: line == "PONG")
    read_until(results, lambda line: line == "PONG")
    status, answer = call("POST", "/v2/send-command", netops, {**DEVICE, "commands": ["show version"]})
    check(status == 202, "a job for the results subscription was accepted")
    job_id = answer["job_id"]
    while True:
        header = read_until(results, lambda line: line.startswith(("MSG ", "HMSG ", "-ERR")))[-1]
        check(not header.startswith("-ERR"), f"the consumer user may subscribe to results: {header}")
        size = int(header.split()[-1])
        payload = results.read(size + 2)[:size]
        if header.split()[1].endswith(job_id):
            body = payload.split(b"\r\n\r\n", 1)[-1] if header.startswith("HMSG") else payload
            doc = json.loads(body)
            check(doc["job_id"] == job_id and doc["status"] == "finished",
                  f"the job's result arrived on {header.split()[1]} for the consumer user")
            break

    with open(f"{SECRETS}/naas-worker.toml", "rb") as f:
        worker = tomllib.load(f)["nats"]
    refused = nats(worker["user"], worker["password"])
    refused.write(b"PUB naas.jobs.default.command 2\r\n{}\r\nPING\r\n")
    refused.flush()
    lines = read_until(refused, lambda line: line == "PONG")  # CONNECT's
    lines += read_until(refused, lambda line: line == "PONG")  # the publish's
    check(any('Permissions Violation for Publish to "naas.jobs.default.command"' in line for line in lines),
          f"NATS refused the worker user's publish to the jobs subjects: {lines}")


if __name__ == "__main__":
    sys.exit(main())
