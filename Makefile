# attest: the two commands a newcomer runs are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: deps build release install test demo bench clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

# The release binary carries the Swift runtime and Foundation inside it: a git hook starts
# several milliseconds sooner than with them loaded as shared libraries (docs/hook.md).
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

# make install [PREFIX=/usr/local] [DESTDIR=]: the release binary, and a man page per command
# generated from docs/<command>.md at install time (scripts/gen-man), so the two cannot drift.
PREFIX ?= /usr/local
install: release
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/man/man1"
	install -m 0755 .build/release/attest "$(DESTDIR)$(PREFIX)/bin/attest"
	scripts/gen-man --attest .build/release/attest --out "$(DESTDIR)$(PREFIX)/share/man/man1"

# Builds, starts one throwaway PostgreSQL (with pgaudit) for the whole run, runs every test,
# and stops the server whatever happened.
test: deps
	$(SWIFT) build --build-tests
	@set -euo pipefail; \
	dir=$$(mktemp -d /tmp/attest-pg.XXXXXX); \
	trap 'scripts/pg-throwaway stop "$$dir"' EXIT; \
	eval "$$(scripts/pg-throwaway start "$$dir")"; \
	export ATTEST_TEST_PGHOST=$$PGHOST ATTEST_TEST_PGDIR; \
	$(SWIFT) test --skip-build 2>&1 | tee .build/test.log; \
	exit $${PIPESTATUS[0]}

demo: release
	@scripts/demo

bench: release
	@bench/run

clean:
	rm -rf .build
