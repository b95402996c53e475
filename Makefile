# Bazaar — the two commands that matter: `make dev` and `make test`. `make help` lists all.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV      := .venv
PY        ?= python3
STAMP     := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0
export CARGO_TERM_COLOR ?= auto

API_PORT    ?= 3000
MOTO_PORT   ?= 4566
LAMBDA_PORT ?= 9000
STAGE       ?= dev
FN          ?=
EVENT       ?=
ORDERS      ?= 100
QUEUE       ?=
RETIRE      ?=
# Template parameters for `make dev` / `make bench`: PARAMETERS='AuthRateLimitPerIp=10000 EventBatchingWindowSeconds=1'
PARAMETERS  ?=
SAMPLES     ?= 20
RUNS        ?= 20
# Warm calls per start in `make bench-init` (the peer and its twin, catalog-products-get).
CALLS       ?= 20
EXAMPLES    ?= 20
SEED        ?=
# Test binaries `make test` runs side by side (infra/run-tests.py; each starts its own moto).
TEST_JOBS   ?= 3
# The Redoc release GET /docs inlines (vendored in functions/api/docs/assets; make docs-assets).
REDOC_VERSION ?= 3.0.1
PARAMETER_FLAGS = $(foreach p,$(PARAMETERS),--parameter $(p))

# Lambda builds: the architecture (arm64 needs the aarch64-unknown-linux-gnu rustup target),
# where cargo lambda puts the zips, and the size no zip may pass (bytes).
ARCH        ?= arm64
LAMBDA_DIR  ?= target/lambda
# The zip budget: 2.0 MiB for x86_64 (issue 12's bar, measured: README "Beside the peer"); arm64
# builds keep cargo lambda's link flags and were never measured here, so 3.0 MB.
ZIP_LIMIT_x86_64 := 2097152
ZIP_LIMIT_arm64  := 3000000
ZIP_LIMIT        ?= $(ZIP_LIMIT_$(ARCH))
# Code generation flags of the Lambda builds (README "Cold-start levers"). cargo lambda passes its
# own CPU flag as build.rustflags, which RUSTFLAGS replaces, so it is repeated here.
# relocation-model=static links a non-PIE executable: no 44k load-time relocations (chrono-tz's
# tables, vtables), no .data.rel.ro pages written at init (they stay shared, read-only), zip
# -0.14 MB; the image itself loses ASLR (Go on Lambda links the same way). The flag only ever
# reaches the Lambda builds: cargo lambda always passes --target, so build scripts and
# proc-macros (host code) are compiled without it. arm64 keeps cargo lambda's flags until this
# is measured there (no aarch64 target on our bench machine).
# infra/lambda-link.ld drops the unwind tables (.eh_frame) a panic = "abort", stripped binary
# never reads: a tenth of every zip.
LAMBDA_RUSTFLAGS_x86_64 := -C target-cpu=haswell -C relocation-model=static -C link-arg=-Wl,-T,$(CURDIR)/infra/lambda-link.ld
LAMBDA_RUSTFLAGS_arm64  := -C target-cpu=neoverse-n1
LAMBDA_RUSTFLAGS        ?= $(LAMBDA_RUSTFLAGS_$(ARCH))
# Every function crate: functions/<service>/<name>/ is the package <service>-<name> (tests/layout.rs).
FUNCTIONS   := $(sort $(subst /,-,$(patsubst functions/%/src/main.rs,%,$(wildcard functions/*/*/src/main.rs))))

.PHONY: help venv dev test test-tools test-build fmt lint clippy template-lint unit build elf-check zip-sizes deploy invoke outbox schemas openapi fuzz docs-assets env check metrics bench bench-init peer measure-profiles bench-dev secrets rotate-jwt dlq dlq-show dlq-redrive

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): infra/requirements.txt
	@echo "==> installing pinned local tools into $(VENV) (moto, cargo-lambda, cfn-lint, SAM CLI)"
	@$(PY) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	@touch $@

venv: $(STAMP) ## install the pinned Python tools into .venv (from PyPI)

dev: $(STAMP) ## run the whole system locally: moto + cargo lambda watch + devstack, API on 127.0.0.1:3000
	@echo "==> building the devstack"
	@cargo build -p devstack
	@target/debug/devstack up --api-port $(API_PORT) --moto-port $(MOTO_PORT) --lambda-port $(LAMBDA_PORT) --stage $(STAGE) $(PARAMETER_FLAGS)

# `make test` compiles every crate once. clippy-driver wraps rustc for the workspace's own
# crates (RUSTC_WORKSPACE_WRAPPER and CLIPPY_ARGS: what `cargo clippy` sets), so the build that
# makes the binaries and test harnesses lints them too, warnings denied, where a separate
# `cargo clippy` would compile every dependency a second time. The variables reach every cargo
# the tests start (the devstack's build, cargo lambda watch's `cargo run`), so those find the
# same artifacts. A plain `cargo build` afterwards (make dev) recompiles the workspace's own
# crates, not the dependencies.
LINTED = RUSTC_WORKSPACE_WRAPPER="$$(rustc --print sysroot)/bin/clippy-driver" CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__

test: fmt-check ## every check and test: fmt, clippy, template lint, unit, integration, end-to-end
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-tools test-build
	@echo "==> running every test binary (unit, integration against moto, end-to-end through the devstack)"
	@MAKEFLAGS= $(LINTED) $(VENV)/bin/python infra/run-tests.py --jobs $(TEST_JOBS)

# The venv and the template lint (network and Python) run beside the build (CPU).
test-tools: $(STAMP) template-lint

# cargo schedules its own jobs (all cores): it gets no share of make's -j2 jobserver.
test-build:
	@echo "==> building every crate, binary and test harness once, linted by clippy (warnings denied)"
	@MAKEFLAGS= $(LINTED) cargo build --workspace --lib --bins --tests --examples

fmt: ## format the code
	@cargo fmt --all

fmt-check:
	@echo "==> cargo fmt --check"
	@cargo fmt --all -- --check

clippy:
	@echo "==> cargo clippy (warnings denied)"
	@cargo clippy --workspace --lib --bins --tests --examples -- -D warnings

# The root template and every service's (functions/<service>/template.yaml, the stacks it nests).
TEMPLATES = template.yaml $(sort $(wildcard functions/*/template.yaml))

template-lint: $(STAMP) ## cfn-lint (informational checks too) and sam validate --lint on every template (offline)
	@echo "==> cfn-lint $(words $(TEMPLATES)) templates (informational checks included)"
	@cfn-lint $(TEMPLATES) --include-checks I
	@echo "==> sam validate --lint"
	@for t in $(TEMPLATES); do sam validate --lint --template $$t --region us-east-1 >/dev/null || { echo "sam validate: $$t" >&2; exit 1; }; done

lint: fmt-check clippy template-lint ## fmt check, clippy, template lint

# Packages whose library holds unit tests: only those build a harness (test = false on the
# others; infra/devstack/tests/layout.rs keeps the flags true to the sources).
UNIT_PACKAGES = $(shell cargo metadata --no-deps --format-version 1 --offline | $(PY) -c 'import json, sys; print(" ".join("-p " + p["name"] for p in json.load(sys.stdin)["packages"] for t in p["targets"] if t["kind"] == ["lib"] and t["test"]))')

unit: ## unit tests only (no emulator needed)
	@cargo test $(UNIT_PACKAGES) --lib

check: $(STAMP) ## plan template.yaml, check its Rules for a stage, count each stack's resources: make check STAGE=prod PARAMETERS='PaymentProviderMode=manual …'
	@cargo run -q -p devstack -- check --stage $(STAGE) $(PARAMETER_FLAGS)
	@$(VENV)/bin/python infra/devstack/scripts/sam.py count template.yaml

env: ## write .bazaar/dev.env (every function's environment, for `cargo lambda watch --env-file`) and, with moto running, .bazaar/roles/ (each function's role credentials)
	@cargo run -q -p devstack -- env --out .bazaar/dev.env --moto-port $(MOTO_PORT)

build: $(STAMP) ## release zip of every function, one cargo invocation: make build [ARCH=x86_64] (arm64 needs the aarch64 rust target)
	@echo "==> cargo lambda build --release, $(words $(FUNCTIONS)) functions for $(ARCH), into $(LAMBDA_DIR) (RUSTFLAGS: $(LAMBDA_RUSTFLAGS))"
	@rm -f $(LAMBDA_DIR)/ARCH
	@RUSTFLAGS='$(LAMBDA_RUSTFLAGS)' cargo lambda build --release --$(subst _,-,$(ARCH)) --output-format zip --lambda-dir $(LAMBDA_DIR) $(addprefix -p ,$(FUNCTIONS))
	@echo $(ARCH) > $(LAMBDA_DIR)/ARCH
	@$(MAKE) --no-print-directory elf-check
	@$(MAKE) --no-print-directory zip-sizes

# The link flags of LAMBDA_RUSTFLAGS reached every binary (infra/elf-check.py): non-PIE, no unwind
# tables, where the flags ask for them (arm64 keeps cargo lambda's flags: nothing to check).
elf-check:
	@$(PY) infra/elf-check.py $(if $(findstring relocation-model=static,$(LAMBDA_RUSTFLAGS)),--non-pie) \
	  $(if $(findstring lambda-link.ld,$(LAMBDA_RUSTFLAGS)),--no-unwind-tables) $(foreach f,$(FUNCTIONS),$(LAMBDA_DIR)/$(f)/bootstrap.zip)

zip-sizes: ## the size of every function's zip from `make build`; fails above ZIP_LIMIT bytes
	@over=0; for f in $(FUNCTIONS); do \
	  z=$(LAMBDA_DIR)/$$f/bootstrap.zip; test -f $$z || { echo "$$z is missing: make build" >&2; exit 1; }; \
	  s=$$(stat -c %s $$z); echo "$$s $$f"; \
	  if [ $$s -gt $(ZIP_LIMIT) ]; then echo "$$f: $$s bytes, over the $(ZIP_LIMIT) byte budget" >&2; over=1; fi; \
	done > $(LAMBDA_DIR)/zip-sizes.txt; \
	sort -n $(LAMBDA_DIR)/zip-sizes.txt | awk '{ s[NR] = $$1; n[NR] = $$2 } END { \
	  printf "zips: %d functions, smallest %.2f MB (%s), median %.2f MB, largest %.2f MB (%s)\n", \
	    NR, s[1] / 1e6, n[1], s[int((NR + 1) / 2)] / 1e6, s[NR] / 1e6, n[NR] }'; \
	exit $$over

# `sam build` runs build-<LogicalId> here for every function (BuildMethod: makefile, built in
# source): it unpacks the zip `make build` made, so SAM compiles nothing. The logical id is the
# crate name in PascalCase plus "Function" (tests/layout.rs holds every function to that).
build-%Function:
	@bin=$$(sed -E 's/([a-z0-9])([A-Z])/\1-\2/g' <<< '$*' | tr '[:upper:]' '[:lower:]'); \
	zip="$(LAMBDA_DIR)/$$bin/bootstrap.zip"; \
	test -f "$$zip" || { echo "$$bin: $$zip is missing; run make build first" >&2; exit 1; }; \
	built=$$(cat $(LAMBDA_DIR)/ARCH 2>/dev/null || echo unknown); \
	test "$$built" = "$(ARCH)" || { echo "$$bin was built for $$built, not $(ARCH): make build ARCH=$(ARCH)" >&2; exit 1; }; \
	test -n "$${ARTIFACTS_DIR:-}" || { echo "build-$*Function is run by sam build, which sets ARTIFACTS_DIR" >&2; exit 2; }; \
	python3 -m zipfile -e "$$zip" "$$ARTIFACTS_DIR" && chmod 755 "$$ARTIFACTS_DIR/bootstrap"

deploy: $(STAMP) ## sam build (unpacks `make build`'s zips) + sam deploy of STAGE with its samconfig profile (AWS credentials needed)
	@sam build --config-file infra/samconfig.toml
	@sam deploy --config-file infra/samconfig.toml $(if $(filter-out dev,$(STAGE)),--config-env $(STAGE),)

invoke: $(STAMP) ## invoke a function on a running `make dev`: make invoke FN=auth-health EVENT=events/auth/health/get.json
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<binary> EVENT=<file>"; exit 2; }
	@cargo lambda invoke "$(FN)" -A 127.0.0.1 -P $(LAMBDA_PORT) --data-file "$(EVENT)"

metrics: ## add up the EMF metrics the functions of a running `make dev` emitted (orders, payments, bookings, consumer failures)
	@cargo run -q -p devstack -- metrics

outbox: ## show what the local system emailed or texted (moto's SES/SNS record)
	@cargo run -q -p devstack -- outbox --moto-port $(MOTO_PORT)

bench: $(STAMP) ## saga latency (p50/p90), AWS requests per step and cost per 1M orders, in process on moto, then bench-init: make bench ORDERS=100 SAMPLES=20
	@cargo build -q -p bazaar-system --bin bench
	@target/debug/bench $(ORDERS) --samples $(SAMPLES) $(PARAMETER_FLAGS)
	@$(MAKE) --no-print-directory bench-init

# `make bench-init` builds every function for this machine into their own zips (BENCH_DIR:
# `make build`'s arm64 zips for `sam deploy` stay as they are) and the peer (infra/peer, its
# own workspace and lock file, so its default features are not unified into the functions').
BENCH_DIR   ?= target/lambda-x86_64
PEER        := target/peer/lambda/peer-get-product/bootstrap.zip

# cargo lambda zips the peer as it zips the functions (its --target-dir clashes with
# --manifest-path in cargo-lambda 1.x, hence CARGO_TARGET_DIR, absolute: cargo-lambda reads a
# relative one from the manifest's folder).
peer: $(STAMP) ## build the peer bench-init measures against (infra/peer: GET /products/{id} as serverless-rust-demo writes it)
	@echo "==> cargo lambda build --release of the peer (infra/peer) for x86_64, into target/peer/lambda"
	@CARGO_TARGET_DIR=$(CURDIR)/target/peer cargo lambda build --release --x86-64 --output-format zip --manifest-path infra/peer/Cargo.toml --lambda-dir $(CURDIR)/target/peer/lambda

bench-init: $(STAMP) ## init time, memory, zip size and call time of every function beside the peer's, all built in this run (x86_64 release; the first build takes long): make bench-init RUNS=20 CALLS=20
	@$(MAKE) --no-print-directory build ARCH=x86_64 LAMBDA_DIR=$(BENCH_DIR)
	@$(MAKE) --no-print-directory peer
	@cargo build -q -p bazaar-system --bin coldstart
	@target/debug/coldstart --runs $(RUNS) --calls $(CALLS) --lambda-dir $(BENCH_DIR) --peer $(PEER)

measure-profiles: ## build a sample of functions under each candidate release profile and compare (README "Profiles"; ~1 h)
	@infra/measure-profiles.sh

bench-dev: ## saga latency (p50/p90) of a running `make dev`: make bench-dev SAMPLES=30
	@cargo build -q -p bazaar-system --bin bench
	@target/debug/bench --api http://127.0.0.1:$(API_PORT) --samples $(SAMPLES)

secrets: ## create a deployed stage's missing SSM secrets (JWT key pair, webhook, cursor and link secrets): make secrets STAGE=prod
	@cargo run -q -p devstack -- secrets --stage $(STAGE)

rotate-jwt: ## rotate a stage's JWT signing key; RETIRE=1 later drops the old public keys: make rotate-jwt STAGE=prod
	@cargo run -q -p devstack -- rotate-jwt --stage $(STAGE) $(if $(RETIRE),--retire,)

dlq: ## list the dead-letter queues of a running `make dev` with their depth
	@cargo run -q -p devstack -- dlq list --moto-port $(MOTO_PORT) --stage $(STAGE)

dlq-show: ## print the messages of a DLQ: make dlq-show QUEUE=OrdersOnProductDLQ
	@test -n "$(QUEUE)" || { echo "usage: make dlq-show QUEUE=<logical id or name>"; exit 2; }
	@cargo run -q -p devstack -- dlq show "$(QUEUE)" --moto-port $(MOTO_PORT) --stage $(STAGE)

dlq-redrive: ## move a consumer DLQ's messages back to its queue: make dlq-redrive QUEUE=OrdersOnProductDLQ
	@test -n "$(QUEUE)" || { echo "usage: make dlq-redrive QUEUE=<logical id or name>"; exit 2; }
	@cargo run -q -p devstack -- dlq redrive "$(QUEUE)" --moto-port $(MOTO_PORT) --stage $(STAGE)

openapi: ## regenerate the committed OpenAPI document (functions/api/openapi/openapi.json) from the handlers' operations
	@UPDATE_OPENAPI=1 cargo test -q -p bazaar-system --test openapi openapi_document_is_current

fuzz: $(STAMP) ## schemathesis against a running `make dev` (every route, as the seeded admin; EXAMPLES per operation): make fuzz EXAMPLES=20
	@cargo run -q -p devstack -- fuzz --api http://127.0.0.1:$(API_PORT) --max-examples $(EXAMPLES) --phases examples,coverage,fuzzing,stateful $(if $(SEED),--seed $(SEED),)

docs-assets: ## re-vendor Redoc's standalone bundle for GET /docs from npm (REDOC_VERSION)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && npm pack --silent redoc@$(REDOC_VERSION) >/dev/null && tar xzf redoc-$(REDOC_VERSION).tgz); \
	cp "$$tmp/package/bundles/redoc.standalone.js" functions/api/docs/assets/redoc.standalone.js; \
	cp "$$tmp/package/LICENSE" functions/api/docs/assets/redoc.LICENSE; \
	echo "redoc $(REDOC_VERSION) vendored into functions/api/docs/assets"

schemas: ## regenerate the committed JSON Schemas of the event contract
	@UPDATE_SCHEMAS=1 cargo test -q -p bazaar-events --test schemas_are_current
