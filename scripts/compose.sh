#!/usr/bin/env bash
# Compose on this project's stack: `docker compose` (the Compose plugin) where the Docker
# CLI has it, else the standalone `docker-compose`, always with compose/compose.yaml and
# the project name `naas` (the file names no project: Compose v1 refuses a top-level
# `name`). Arguments are Compose's own:
#
#   scripts/compose.sh --profile sim up -d --build
#   scripts/compose.sh ps
set -euo pipefail
cd "$(dirname "$0")/.."
project=${COMPOSE_PROJECT_NAME:-naas}
if docker compose version >/dev/null 2>&1; then
  exec docker compose -p "$project" -f compose/compose.yaml "$@"
elif command -v docker-compose >/dev/null 2>&1; then
  exec docker-compose -p "$project" -f compose/compose.yaml "$@"
fi
echo "compose.sh: neither 'docker compose' nor 'docker-compose' is installed" >&2
exit 127
