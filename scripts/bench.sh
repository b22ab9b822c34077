#!/usr/bin/env bash
# The benchmark (docs/performance.md): release build, then naas-bench with the arguments
# given (`--smoke` for the seconds-long CI size). Starts and stops everything it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export NAAS_NATS_SERVER="$PWD/.tools/venv/bin/nats-server"
target="${CARGO_TARGET_DIR:-target}"
profile=release
if [ "${1:-}" = "--smoke" ]; then
  profile=debug # CI has the debug build already; the smoke run checks the path, not speed
fi
flags=(--locked -p naas-bench -p naas-worker -p naas-api)
[ "$profile" = release ] && flags+=(--release)
cargo build "${flags[@]}"
# A thousand simulated devices need a few thousand open files.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec "$target/$profile/naas-bench" --worker-bin "$target/$profile/naas-worker" \
  --api-bin "$target/$profile/naas-api" "$@"
