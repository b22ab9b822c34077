#!/usr/bin/env bash
# Runs the compose deployment's configuration without Docker: nats-server with
# compose/nats/nats.conf (TLS, encrypted store, per-service users and permissions),
# redis-server with compose/redis/redis.conf (TLS, ACL users), secrets from
# compose/init-secrets.sh, and the naas binaries with each service's environment and
# secrets from compose/compose.yaml (production mode). It provisions the NATS topology with
# `naas-worker provision` as the `provisioner` user (twice: idempotent) before any service starts,
# then runs a job end to end, cancels one, checks every `<binary> healthcheck`, checks that the consumer user reads results but cannot submit
# jobs, and fails on any NATS permissions violation.
#
# Needs the debug binaries (cargo build -p naas-api -p naas-worker -p naas-reaper -p naas-sim),
# .tools/venv (nats-server, and jsonschema from bootstrap --deploy), redis-server, openssl, curl
# and python3. Every port is a free loopback port picked at start.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${NAAS_BIN_DIR:-${CARGO_TARGET_DIR:-target}/debug}
nats_server=.tools/venv/bin/nats-server
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${SMOKE_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "smoke-deploy-config: $*" >&2; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }

read -r nats_port http_port redis_port api_port device_port slow_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

cp -r compose "$work/compose"
rm -rf "$work/compose/secrets"
bash "$work/compose/init-secrets.sh" >/dev/null
secrets="$work/compose/secrets"
mkdir -p "$work/nats" "$work/redis"

# The compose files, with container paths and ports mapped onto this machine.
sed -e "s#/run/secrets/#$secrets/#g" -e "s#store_dir: \"/data\"#store_dir: \"$work/nats\"#" \
    -e "s#listen: 0.0.0.0:4222#listen: 127.0.0.1:$nats_port#" -e "s#http: 127.0.0.1:8222#http: 127.0.0.1:$http_port#" \
    compose/nats/nats.conf > "$work/compose/nats/nats.conf"
cp "$secrets/nats-secrets.conf" "$work/compose/nats/secrets.conf"
sed -e "s#/run/secrets/#$secrets/#g" -e "s#^dir /data#dir $work/redis#" -e "s#^tls-port 6379#tls-port $redis_port#" \
    compose/redis/redis.conf > "$work/redis.conf"

"$nats_server" -c "$work/compose/nats/nats.conf" > "$work/nats.log" 2>&1 & pids+=($!)
redis-server "$work/redis.conf" > "$work/redis.log" 2>&1 & pids+=($!)
"$bin/naas-sim" --listen 127.0.0.1 --base-port "$device_port" --count 1 --username netops --password netops \
  > "$work/sim.log" 2>&1 & pids+=($!)
"$bin/naas-sim" --listen 127.0.0.1 --base-port "$slow_port" --count 1 --prefix slow --latency-ms 2000 \
  --username netops --password netops > "$work/sim-slow.log" 2>&1 & pids+=($!)
for _ in $(seq 1 50); do
  grep -q "Server is ready" "$work/nats.log" && grep -q "Ready to accept" "$work/redis.log" && break
  sleep 0.2
done

# Each service runs with exactly its compose environment and secrets, except for the
# addresses: NATS, Redis and the API listen on this machine's loopback.
redis_url="rediss://naas:$(cat "$secrets/redis.password")@127.0.0.1:$redis_port"
for service in api worker reaper; do
  .tools/venv/bin/python scripts/validate_deploy.py compose-env compose/compose.yaml "$service" "$secrets" \
    > "$work/$service.env" || fail "compose environment of $service"
  cat >> "$work/$service.env" <<ENV
NAAS_NATS__URL=tls://127.0.0.1:$nats_port
NAAS_REDIS__URL=$redis_url
NAAS_API__LISTEN=127.0.0.1:$api_port
ENV
done
# Webhooks on: the workers also create and pull the webhooks consumer on the events stream.
echo "NAAS_WEBHOOKS__SIGNING_SECRET=$(openssl rand -hex 16)" | tee -a "$work/api.env" >> "$work/worker.env"
run() { # service [args]: in the foreground, with the service's environment only
  local vars=()
  mapfile -t vars < "$work/$1.env"
  env -i PATH="$PATH" "${vars[@]}" "$bin/naas-$1" "${@:2}"
}
# The Helm hook's way: the topology first, by the provisioner user only, with no secret of
# the services'; a second run finds everything in place.
provisioner_password=$(sed -n 's/^PROVISIONER_PASSWORD: "\(.*\)"$/\1/p' "$secrets/nats-secrets.conf")
for attempt in 1 2; do
  env -i PATH="$PATH" NAAS_MODE=production NAAS_NATS__URL="tls://127.0.0.1:$nats_port" \
    NAAS_NATS__CA_FILE="$secrets/ca.crt" NAAS_NATS__USER=provisioner NAAS_NATS__PASSWORD="$provisioner_password" \
    "$bin/naas-worker" provision > "$work/provision-$attempt.log" 2>&1 || fail "naas-worker provision (run $attempt)"
done
for service in api worker reaper; do
  mapfile -t vars < "$work/$service.env"
  env -i PATH="$PATH" "${vars[@]}" "$bin/naas-$service" > "$work/$service.log" 2>&1 &
  pids+=($!)
done

api=https://127.0.0.1:$api_port
curl_api() { curl -sS --cacert "$secrets/ca.crt" -u netops:netops "$@"; }
for _ in $(seq 1 100); do curl_api -f "$api/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl_api -f "$api/readyz" >/dev/null || fail "the API did not become ready"

for service in api worker reaper; do
  run "$service" healthcheck || fail "naas-$service healthcheck failed"
done

location=$(curl_api -H 'Content-Type: application/json' -o /dev/null -w '%header{location}' \
  -d '{"host": "127.0.0.1", "port": '"$device_port"', "commands": ["show version"]}' "$api/v2/send-command")
[ -n "$location" ] || fail "submission refused"
status=""
for _ in $(seq 1 100); do
  status=$(curl_api "$api$location" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  case $status in finished|failed) break ;; esac
  sleep 0.2
done
[ "$status" = finished ] || fail "the job ended $status: $(curl_api "$api$location")"
# Metrics: every scrape reads the consumers' backlog from JetStream.
curl_api -f "$api/metrics" | grep -q '^naas_jetstream_consumer_pending{consumer="workers"}' \
  || fail "no workers consumer backlog in /metrics"
# Server-Sent Events: the API subscribes to the job's lifecycle event subject.
curl_api --max-time 10 "$api$location/stream" | grep -q '^event: result' || fail "no result event on the stream"

# A job on a slow device, cancelled while it runs: the API announces it on naas.cancel.*.
location=$(curl_api -H 'Content-Type: application/json' -o /dev/null -w '%header{location}' \
  -d '{"host": "127.0.0.1", "port": '"$slow_port"', "commands": ["show version"]}' "$api/v2/send-command")
sleep 0.5
code=$(curl_api -o /dev/null -w '%{http_code}' -X DELETE "$api$location")
[ "$code" = 204 ] || fail "cancel answered $code"

# The consumer user reads the results stream and may not submit jobs.
python3 - "$secrets" "$nats_port" <<'PY' || fail "consumer permissions"
import json, socket, ssl, sys
secrets = sys.argv[1]
creds = dict(line.strip().split("=", 1) for line in open(f"{secrets}/consumer.creds.txt"))
ctx = ssl.create_default_context(cafile=f"{secrets}/ca.crt")
raw = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5)
raw.recv(4096)  # INFO, before the TLS upgrade
sock = ctx.wrap_socket(raw, server_hostname="localhost")
f = sock.makefile("rwb")
connect = {"user": creds["user"], "pass": creds["password"], "verbose": False, "pedantic": False,
           "tls_required": True, "echo": False, "protocol": 1, "headers": True}
f.write(f"CONNECT {json.dumps(connect)}\r\nSUB naas.results.> 1\r\nPUB naas.jobs.default.command 2\r\n{{}}\r\nPING\r\n".encode())
f.flush()
lines = []
while True:
    line = f.readline().decode().strip()
    lines.append(line)
    if line == "PONG" or line.startswith("-ERR 'Authorization"):
        break
text = "\n".join(lines)
assert "Permissions Violation for Publish to \"naas.jobs.default.command\"" in text, text
assert "Subscription to \"naas.results.>\"" not in text, text
PY

sleep 1
if grep -i "violation" "$work/nats.log" | grep -v '"naas.jobs.default.command"'; then
  fail "a naas service was refused a subject it needs (above)"
fi
for service in api worker reaper; do
  grep -qi '"level":"ERROR"' "$work/$service.log" && fail "naas-$service logged errors"
done
echo "smoke-deploy-config: the topology was provisioned, a job ran, one was cancelled, health checks and permissions hold"
