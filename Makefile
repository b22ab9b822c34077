# The two commands a newcomer needs are `make up` and `make test` (see README.md).
.PHONY: up test tools build fmt lint bench bench-smoke compose-up compose-down

up:
	scripts/up.sh

test:
	scripts/test.sh

# The compose stack (compose/README.md): images built here, secrets made once, simulator on.
compose-up:
	scripts/images.sh
	compose/init-secrets.sh
	scripts/compose.sh --profile sim up -d

compose-down:
	scripts/compose.sh --profile sim down

tools:
	scripts/bootstrap.sh

build:
	cargo build --workspace

fmt:
	cargo fmt --all

lint:
	cargo clippy --workspace --all-targets -- -D warnings

# naas against netmiko and bare SSH in one run (release build); see docs/performance.md.
bench:
	scripts/bench.sh

bench-smoke:
	scripts/bench.sh --smoke
