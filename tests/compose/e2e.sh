#!/usr/bin/env bash
# The compose stack, built and used as an operator runs it: the images from
# scripts/images.sh, compose/compose.yaml as shipped (production mode, TLS everywhere, NATS
# users with subject permissions, Redis ACL users, read-only roots, no capabilities) plus
# tests/compose/override.yaml, which only publishes the API and NATS on loopback ports of
# this machine. Then, through the published HTTPS port: a show job and a config job on the
# simulator container, an API key's life (create, submit, revoke), the result of a job on
# a NATS subscription with the `consumer` user's own credentials, and a publish by the
# `worker` user to a subject it may not use, refused by NATS. Then faults under load
# (tests/compose/faults.py): a worker container killed, the workers scaled out; and with
# compose/nats-cluster.yaml, a NATS node killed, another cut off (tests/compose/nats_faults.py);
# with compose/redis-sentinel.yaml, the Redis primary killed and a replica promoted
# (tests/compose/redis_faults.py). Tears everything down (containers, networks, volumes)
# whatever happens.
#
#   tests/compose/e2e.sh            (scripts/test.sh runs it)
#   E2E_ONLY=redis-sentinel tests/compose/e2e.sh   (one phase: single, nats-cluster, redis-sentinel)
#
# First, the images' configuration against the Dockerfile's (tests/compose/image_config.py).
# Without a Docker engine it says that it skipped; under CI=true that is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! docker info >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    echo "compose e2e: no Docker engine answers, and CI=true requires one" >&2
    exit 1
  fi
  echo "compose e2e: SKIPPED (no Docker engine answers)"
  exit 0
fi
say() { printf 'compose e2e: %s\n' "$*"; }
export NAAS_TAG=${NAAS_TAG:-e2e}
project="naas-e2e-$$"
work=$(mktemp -d)
compose=(docker-compose)
docker compose version >/dev/null 2>&1 && compose=(docker compose)
compose+=(-p "$project" -f "$work/compose/compose.yaml" -f "$work/compose/override.yaml" --profile sim)
dc() { "${compose[@]}" "$@"; }
cleanup() {
  status=$?
  if [ $status -ne 0 ] && [ -f "$work/compose/compose.yaml" ]; then
    dc ps >&2 || true
    dc logs --no-color --tail 40 >&2 || true
  fi
  [ -f "$work/compose/compose.yaml" ] && dc down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

say "images (scripts/images.sh --tag $NAAS_TAG)"
scripts/images.sh --tag "$NAAS_TAG"
python3 tests/compose/image_config.py "${NAAS_REGISTRY:-naas}" "$NAAS_TAG"

read -r api_port nats_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
export NAAS_API_ADDRESS=127.0.0.1 NAAS_API_PORT=$api_port E2E_NATS_PORT=$nats_port
# Open files: no more than this machine grants (the daemon cannot raise it for a container).
limit=$(ulimit -Hn); [ "$limit" = unlimited ] && limit=65536
export NAAS_NOFILE=${NAAS_NOFILE:-$((limit < 65536 ? limit : 65536))}
cp -r compose "$work/compose"
rm -rf "$work/compose/secrets"
cp tests/compose/override.yaml "$work/compose/override.yaml"
bash "$work/compose/init-secrets.sh" >/dev/null
secrets="$work/compose/secrets"

# Every container with a health check reports healthy (bounded), the simulator runs.
wait_healthy() { # a cluster's services may restart until JetStream elects its leaders
  local deadline=$((SECONDS + 300)) states
  while :; do
    states=$(dc ps -q | xargs docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}')
    echo "$states" | grep -qv -e ' running healthy$' -e ' running none$' || break
    if [ $SECONDS -ge $deadline ]; then
      echo "$states" >&2
      dc ps -q | xargs docker inspect -f '{{.Name}} {{json .State.Health}}' >&2 || true
      echo "compose e2e: the stack did not become healthy" >&2
      exit 1
    fi
    sleep 2
  done
  say "healthy: $(echo "$states" | awk '{print $1}' | tr -d / | tr '\n' ' ')"
}
export E2E_API="https://127.0.0.1:$api_port" E2E_SECRETS="$secrets" E2E_NATS_PORT="$nats_port"
single=("${compose[@]}")
# One phase: down (if up), up with the given overlays, healthy, then the given test script.
phase() { # what, overlay files..., -- script
  local what=$1; shift
  compose=("${single[@]}")
  while [ "$1" != -- ]; do compose+=(-f "$work/compose/$1"); shift; done
  say "up ($what; $project: API on 127.0.0.1:$api_port, NATS on 127.0.0.1:$nats_port)"
  dc up -d --no-build >/dev/null 2>"$work/up.log" || { cat "$work/up.log" >&2; exit 1; }
  wait_healthy
  shift
  for script in "$@"; do
    E2E_COMPOSE=$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "${compose[@]}") \
      python3 "tests/compose/$script"
  done
  dc down -v --remove-orphans -t 5 >/dev/null 2>&1
}
# E2E_ONLY=single|nats-cluster|redis-sentinel runs one phase (all by default).
only=${E2E_ONLY:-all}
case $only in all|single) phase "one NATS server, one Redis" -- e2e.py faults.py ;; esac
case $only in all|nats-cluster) phase "three NATS nodes, streams R3" nats-cluster.yaml -- nats_faults.py ;; esac
case $only in all|redis-sentinel)
  phase "a Redis primary, two replicas, three Sentinels" redis-sentinel.yaml -- redis_faults.py ;;
esac
say "passed"
