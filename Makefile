# The two commands a newcomer needs are `make up` and `make test` (see README.md).
.PHONY: up test tools build fmt lint bench bench-smoke

up:
	scripts/up.sh

test:
	scripts/test.sh

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
