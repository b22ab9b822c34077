# syntax=docker/dockerfile:1.7
#
# One build, four small images (select one with --target):
#
#   docker build --target naas-api    -t naas-api .
#   docker build --target naas-worker -t naas-worker .
#   docker build --target naas-reaper -t naas-reaper .
#   docker build --target naas-sim    -t naas-sim .
#
# Runtime base: distroless cc (glibc, libgcc, CA certificates, tzdata; no shell, no
# package manager). The binaries link glibc dynamically and everything else statically
# (rustls with aws-lc-rs: no OpenSSL), so this is all they need, and nothing in the image
# can run a shell command for an attacker. The builder is Debian bookworm, like the runtime
# base, so the glibc the binaries were linked against is the one they run on.
#
# Runs as UID/GID 1000 (the distroless `nonroot` user is 65532; 1000 is set explicitly so
# volume ownership matches the compose and Helm defaults). Configuration is compiled in
# (config.default.toml, shared/platforms/*.toml); everything else comes from NAAS_*
# environment variables and mounted files. Each service image checks itself with
# `<binary> healthcheck` (no curl in the image).
#
# For production, pin both base images by digest (RUST_IMAGE / RUNTIME_IMAGE build args).

# checkov:skip=CKV_DOCKER_7: the base images are pinned in these ARGs (tag, or digest in production)
ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot
ARG PYTHON_IMAGE=python:3.12-slim-bookworm
# The TextFSM templates of send-command-structured (the version scripts/bootstrap.sh
# installs for the tests).
ARG NTC_TEMPLATES_VERSION=9.3.0

FROM ${RUST_IMAGE} AS builder
WORKDIR /src
# aws-lc-sys (the TLS crypto) builds C code: cmake is its build driver when no prebuilt
# bindings fit the target.
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake=3.25.* \
    && rm -rf /var/lib/apt/lists/*
COPY . .
# Cache mounts keep the registry and target dir between builds; the binaries are copied
# out of the cache in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p naas-api -p naas-worker -p naas-reaper -p naas-sim \
    && mkdir -p /out \
    && cp target/release/naas-api target/release/naas-worker target/release/naas-reaper target/release/naas-sim /out/

# The ntc-templates package from PyPI, pinned; only its templates directory (the `index`
# and the *.textfsm files) goes into the worker image, which parses them in Rust.
FROM ${PYTHON_IMAGE} AS ntc-templates
ARG NTC_TEMPLATES_VERSION
RUN pip install --no-cache-dir --no-deps --target /opt/ntc "ntc-templates==${NTC_TEMPLATES_VERSION}" \
    && cp -r /opt/ntc/ntc_templates/templates /templates \
    && test -s /templates/index

FROM ${RUNTIME_IMAGE} AS runtime
LABEL org.opencontainers.image.title="naas" \
      org.opencontainers.image.licenses="Apache-2.0"
USER 1000:1000
WORKDIR /tmp
ENV NAAS_LOG__FORMAT=json

FROM runtime AS naas-sim
COPY --from=builder --chown=0:0 --chmod=0555 /out/naas-sim /usr/local/bin/naas-sim
EXPOSE 10022
# The simulator serves SSH only; compose checks it by connecting to a device port.
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/naas-sim"]

FROM runtime AS naas-reaper
COPY --from=builder --chown=0:0 --chmod=0555 /out/naas-reaper /usr/local/bin/naas-reaper
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/naas-reaper", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/naas-reaper"]

FROM runtime AS naas-worker
COPY --from=builder --chown=0:0 --chmod=0555 /out/naas-worker /usr/local/bin/naas-worker
COPY --from=ntc-templates --chown=0:0 /templates /usr/share/naas/ntc-templates
ENV NAAS_STRUCTURED__TEMPLATES_DIR=/usr/share/naas/ntc-templates
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/naas-worker", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/naas-worker"]

# The API listens on 8443: no privileged port, so no capability is needed.
FROM runtime AS naas-api
COPY --from=builder --chown=0:0 --chmod=0555 /out/naas-api /usr/local/bin/naas-api
EXPOSE 8443
HEALTHCHECK --interval=15s --timeout=10s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/naas-api", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/naas-api"]
