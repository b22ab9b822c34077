#!/usr/bin/env bash
# Brings the whole system up on this machine, in the foreground: nats-server (JetStream,
# encrypted store), redis-server, three simulated devices, naas-api, naas-worker and
# naas-reaper. Ctrl-C stops everything. State and logs live in .run/.
#
# Ports (override with the variables): NATS 14222, Redis 16379, API 8443, devices
# 10022-10024, so it coexists with system NATS/Redis on their standard ports.
set -euo pipefail
cd "$(dirname "$0")/.."

NATS_PORT="${NATS_PORT:-14222}"
REDIS_PORT="${REDIS_PORT:-16379}"
API_PORT="${API_PORT:-8443}"
SIM_PORT="${SIM_PORT:-10022}"
DEVICE_USER="${DEVICE_USER:-netops}"
DEVICE_PASSWORD="${DEVICE_PASSWORD:-netops}"

scripts/bootstrap.sh
echo "up: building the services (release)"
cargo build --release --quiet -p naas-api -p naas-worker -p naas-reaper -p naas-sim
bin=target/release

run=.run
mkdir -p "$run/logs" "$run/nats" "$run/redis"
[ -s "$run/encryption.key" ] || python3 - > "$run/encryption.key" <<'PY'
import base64, os
print("k1:" + base64.b64encode(os.urandom(32)).decode())
PY
[ -s "$run/nats.key" ] || python3 -c 'import secrets; print(secrets.token_hex(32))' > "$run/nats.key"
[ -s "$run/admin.secret" ] || python3 -c 'import secrets; print(secrets.token_urlsafe(24))' > "$run/admin.secret"
chmod 600 "$run/encryption.key" "$run/nats.key" "$run/admin.secret"
cat > "$run/nats.conf" <<CONF
host: 127.0.0.1
port: $NATS_PORT
jetstream {
  store_dir: "$PWD/$run/nats"
  cipher: chachapoly
  key: "$(cat "$run/nats.key")"
}
CONF

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "up: stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  exit 0
}
trap stop INT TERM EXIT

start() { # name, command...
  local name=$1; shift
  "$@" > "$run/logs/$name.log" 2>&1 &
  pids+=($!)
}
wait_for() { # description, command...
  local what=$1; shift
  for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "up: $what did not come up; see $run/logs/" >&2; exit 1
}

start nats .tools/venv/bin/nats-server -c "$run/nats.conf"
start redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly yes --appendfsync everysec --dir "$run/redis"
wait_for "nats-server" bash -c "exec 3<>/dev/tcp/127.0.0.1/$NATS_PORT"
wait_for "redis-server" redis-cli -p "$REDIS_PORT" ping

export NAAS_NATS__URL="nats://127.0.0.1:$NATS_PORT"
export NAAS_REDIS__URL="redis://127.0.0.1:$REDIS_PORT"
export NAAS_API__LISTEN="127.0.0.1:$API_PORT"
export NAAS_ENCRYPTION_KEY_FILE="$PWD/$run/encryption.key"
export NAAS_ADMIN_SECRET_FILE="$PWD/$run/admin.secret"
export NAAS_LOG__FORMAT="${NAAS_LOG__FORMAT:-json}"

start sim "$bin/naas-sim" --listen 127.0.0.1 --base-port "$SIM_PORT" --count 3 \
  --username "$DEVICE_USER" --password "$DEVICE_PASSWORD" --enable-secret "$DEVICE_PASSWORD"
start api "$bin/naas-api"
start worker "$bin/naas-worker"
start reaper "$bin/naas-reaper"
wait_for "naas-api" curl -skf "https://127.0.0.1:$API_PORT/readyz"

api="https://127.0.0.1:$API_PORT"
cat <<MSG

naas is up (logs in $run/logs/, Ctrl-C stops everything)
  API      $api   (self-signed certificate: curl -k)
  devices  r1..r3 on 127.0.0.1:$SIM_PORT..$((SIM_PORT + 2)), user $DEVICE_USER / password $DEVICE_PASSWORD
  admin    HTTP Basic admin / \$(cat $run/admin.secret)   (creates API keys at /v2/api-keys)

Run "show version" on r1 and read the result back:

  loc=\$(curl -sk -u $DEVICE_USER:$DEVICE_PASSWORD -H 'Content-Type: application/json' \\
      -d '{"host": "127.0.0.1", "port": $SIM_PORT, "commands": ["show version"]}' \\
      -o /dev/null -w '%header{location}' $api/v2/send-command) \\
    && until curl -sk -u $DEVICE_USER:$DEVICE_PASSWORD "$api\$loc" | grep -qE '"status":"(finished|failed)"'; do sleep 0.2; done \\
    && curl -sk -u $DEVICE_USER:$DEVICE_PASSWORD "$api\$loc"; echo

MSG
wait -n "${pids[@]}" || true
echo "up: a process exited; see $run/logs/" >&2
