#!/usr/bin/env bash
# The whole test suite, as CI runs it: tools, formatting, lints, unit and integration tests
# (real nats-server, redis-server and SSH, all on loopback); before the tests, the benchmark
# at smoke size (seconds, no thresholds: it checks that every scenario still runs); after
# them, the deployment files (scripts/validate-deploy.sh: Dockerfile, compose/, helm/), and
# the compose stack built and used end to end (tests/compose/e2e.sh: needs a Docker
# engine, which CI=true requires).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export NAAS_NATS_SERVER="$PWD/.tools/venv/bin/nats-server"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
scripts/bench.sh --smoke
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast --failure-output final
else
  cargo test --workspace --locked --no-fail-fast
fi
scripts/validate-deploy.sh
tests/compose/e2e.sh
