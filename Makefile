# Price-recommendation service: one entry point for setup, training, tests and benchmarks.
# Every target installs what it needs (idempotently) on a fresh Debian machine.

SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := /opt/swift/usr/bin:$(PATH)

PYTHON ?= python3
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
TRAINING := training
export PYTHONPATH := $(CURDIR)/$(TRAINING)
# LightGBM's OpenMP threads sleep instead of spinning when they wait: on a shared 2-core machine spinning
# threads took a 60-product fit from 18 s to over 5 minutes (docs/price-response.md).
export OMP_WAIT_POLICY := PASSIVE

# make models MODE=quick for the small, fast preset (tests use it); the default is the full preset.
MODE ?= full
MODELS_DIR ?= models
LINES_full := 540000
LINES_quick := 40000
PRODUCTS_full := 4000
PRODUCTS_quick := 400
SYNTH_SEED := 7
DATA_DIR := data/synthetic-$(MODE)

# Release builds add no CPU flag, on purpose: plain `swift build -c release` is already the fast build.
# The dense kernels are compiled once per vector unit (generic, AVX2+FMA, AVX-512: targets of their
# own in Package.swift) and the widest the CPU supports is picked at load from CPUID
# (PRICING_KERNEL overrides it); everything else is baseline x86-64, so one binary starts on any
# x86-64 CPU, never SIGILLs, and uses AVX-512 where it exists. A global `-target-cpu` would only
# cap the kernels at that CPU and make the whole binary unusable below it. The runtime is linked
# statically so the binary runs on plain Debian with only deploy/runtime-packages.txt installed.
# The Dockerfile builds with these flags (make install).
SWIFT_RELEASE := -c release --static-swift-stdlib
SERVER := .build/release/pricing-server

.PHONY: help setup python-deps system-deps build-deps build install run test test-suites idle-release-build idle-fuzz-build image-and-api-after-suites fuzz-after-suites swift-test-build test-training test-swift test-image test-api api-check test-fuzz fuzz fuzz-build bench eval models models-quick lock clean

help:
	@echo "make run            build and start the service on http://localhost:8080 with the committed models"
	@echo "make test           install everything needed and run the test suite"
	@echo "make bench          release builds; inference benchmarks (every kernel variant) against PyTorch and NumPy in the same run"
	@echo "make api-check      the release server checked against its /openapi.json by Schemathesis for API_CHECK_SECONDS (default 600)"
	@echo "make fuzz           run every parser's fuzz target for FUZZ_SECONDS in total (default 600) into out/fuzz"
	@echo "make eval           score price decisions on ground truth over the scenario matrix (report seeds) into out/eval"
	@echo "make eval-unseen    the service end to end on logs of a second, independent generator family (docs/worlds.md) into out/unseen"
	@echo "make eval-loop      the closed learning loop: 26 simulated weeks of planned price tests vs baselines on both retail worlds and the scenario matrix (docs/learning-loop.md) into out/loop; LOOP_PRESET=quick for a fast look"
	@echo "make harm-budget-parity  the service's harm_budget repricing rule checked against the learning loop's code on the committed models"
	@echo "make models         regenerate the committed artifact set in models/ (full preset), signed (docs/security-artifacts.md)"
	@echo "make models-quick   the quick preset into out/models-quick (a few minutes)"
	@echo "make setup          only install (system packages, Python environment)"

setup: python-deps

# Debian packages, installed only when something is missing: what the Swift build links against
# (the Dockerfile's build stage runs `make build-deps` too), and what the tests and training add
# (Python, a real redis-server, a real PostgreSQL server for the shared ledger's tests, headless
# Chromium for the dashboard test).
BUILD_PACKAGES := zlib1g-dev pkg-config libhiredis-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev
SYSTEM_PACKAGES := $(BUILD_PACKAGES) python3 python3-venv python3-pip redis-server postgresql chromium curl binutils
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef
build-deps:
	$(call apt_install,$(BUILD_PACKAGES))
system-deps:
	$(call apt_install,$(SYSTEM_PACKAGES))
	@$(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip)

# The training environment, rebuilt when the lock file changes.
python-deps: $(VENV_STAMP)
$(VENV_STAMP): $(TRAINING)/requirements.lock | system-deps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(TRAINING)/requirements.lock
	@touch $@

build: build-deps
	swift build $(SWIFT_RELEASE) --product pricing-server

# The image's file tree: the binary, the configuration and the current artifact version under
# $(DESTDIR)$(PREFIX). The Dockerfile's build stage runs exactly this with PREFIX=/opt/pricing;
# `make test-image` runs it into out/image-root and checks the result as the image would run it.
PREFIX ?= /opt/pricing
INSTALL_BUILD ?= build
install: $(INSTALL_BUILD)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/config $(DESTDIR)$(PREFIX)/models
	install -s -m 0755 $(SERVER) $(DESTDIR)$(PREFIX)/bin/pricing-server
	install -m 0644 config/server.json $(DESTDIR)$(PREFIX)/config/server.json
	@latest=$$(cat models/LATEST); rm -rf $(DESTDIR)$(PREFIX)/models/$$latest; \
	  cp -R models/$$latest $(DESTDIR)$(PREFIX)/models/ && install -m 0644 models/LATEST models/README.md $(DESTDIR)$(PREFIX)/models/
	@echo "installed into $(DESTDIR)$(PREFIX)"

# The service on the committed models with the in-process default (no Redis), settings from
# config/server.json and the environment (PORT, MODELS, ...; see pricing-server serve --help).
run: build
	$(SERVER) serve

# The Python environment installs (mostly downloading and unpacking wheels) while the Swift test build
# compiles, which on a fresh 2-core machine overlaps about a minute and a half. Then the suites run one after
# the other (their timings do not disturb each other) while the release build (test-image, test-api) and the
# fuzz build (test-fuzz) compile on the CPU the suites leave idle: the XCTest run waits on sockets, browsers
# and timeouts much of the time, and pytest's last file runs on one core. The builds run as SCHED_IDLE
# processes (`chrt --idle 0`, which the compilers SwiftPM spawns inherit; they drop `nice`), so a suite's
# thread always gets the core first and a suite's timing bounds see the machine as if nothing else ran. The
# one exception: the service's repricing runs are SCHED_IDLE themselves (BackgroundThread), so while a test
# waits on a run over every product, the run shares the idle CPU with the builds (the timeouts for runs are
# 60-600 s; the runs take seconds). Each check starts once the suites are done and its own build is: the
# image and API checks (one core: a server and Schemathesis) and the fuzz smoke run (its build compiles
# only the parser modules, about 70 CPU-s). The checks skip the build step their target would run again
# (INSTALL_BUILD=, FUZZ_BUILD=): SwiftPM takes about 10 s to find that nothing changed.
# BUILDS_WHEN_IDLE=no builds after the suites instead, one thing at a time (to compare the two on a machine).
BUILDS_WHEN_IDLE ?= yes
test: system-deps
	$(MAKE) -j2 python-deps swift-test-build
ifeq ($(BUILDS_WHEN_IDLE),yes)
	$(MAKE) -j3 image-and-api-after-suites fuzz-after-suites
else
	$(MAKE) test-suites
	$(MAKE) test-image test-api test-fuzz TEST_API_SERVER=test-image
endif

test-suites:
	$(MAKE) test-training
	$(MAKE) test-swift SWIFT_TEST_BUILD=

# make test's background builds, side by side at idle priority (separate build folders and locks): with the
# debug modules optimized the suites end long before the release build, and one build alone leaves a core idle
# while a big module's whole-module optimization runs on the other.
idle-release-build:
	chrt --idle 0 $(MAKE) build
idle-fuzz-build:
	chrt --idle 0 $(MAKE) fuzz-build
image-and-api-after-suites: test-suites idle-release-build
	$(MAKE) test-image test-api TEST_API_SERVER=test-image INSTALL_BUILD=
fuzz-after-suites: test-suites idle-fuzz-build
	$(MAKE) test-fuzz FUZZ_BUILD=

swift-test-build: system-deps
	swift build --build-tests

# Two pytest workers, one test file each at a time (--dist loadfile), so a file's module-scoped fixture (a
# scenario evaluated, a version trained) is built once: about 105 s instead of 150 s on 2 cores. The two files
# that share the quick-mode version go to one worker together, and the files with the costliest fixtures are
# handed out first, so they do not end the run on one core (tests/conftest.py). Every CPU second pytest spends
# is one the idle-priority release build waits for: `make test` ends when that build and the checks after it do.
test-training: python-deps
	cd $(TRAINING) && $(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadfile

# The XCTest bundle run as it is built (what `swift test --disable-swift-testing` runs after its build):
# `swift test` holds the .build lock while the tests run, which would stop the release build `make test`
# compiles meanwhile. SWIFT_TEST_BUILD= skips the build step when the bundle was just built.
SWIFT_TEST_BUILD ?= swift-test-build
SWIFT_TEST_BUNDLE := .build/debug/pricing-servicePackageTests.xctest
test-swift: system-deps $(SWIFT_TEST_BUILD)
	$(SWIFT_TEST_BUNDLE)

# The container image without a Docker engine: the same install step, then the checks in
# scripts/check-image.sh (runtime libraries all from deploy/runtime-packages.txt, the service runs
# as an unprivileged user from the installed tree, the HEALTHCHECK command passes).
IMAGE_ROOT := out/image-root
test-image: system-deps
	rm -rf $(IMAGE_ROOT)
	$(MAKE) install DESTDIR=$(CURDIR)/$(IMAGE_ROOT)
	bash scripts/check-image.sh $(IMAGE_ROOT)$(PREFIX)

# The API contract (README "The API contract"): the release server on a free loopback port with the
# committed models and an admin token, and Schemathesis over every operation of its /openapi.json (every
# phase, every check; scripts/api-contract/ holds the configuration, the hooks and the rules OpenAPI cannot
# state), with a fixed seed. The seconds are the whole step's budget, server start included. In `make test`
# the server is the one test-image's install step just built (so it is built once); alone, test-api builds it.
API_SEED ?= 22
API_SECONDS ?= 55
API_CHECK_SECONDS ?= 600
SCHEMATHESIS := $(CURDIR)/$(VENV)/bin/schemathesis
TEST_API_SERVER ?= build
test-api: python-deps $(TEST_API_SERVER)
	bash scripts/check-api-contract.sh $(SERVER) $(SCHEMATHESIS) $(API_SECONDS) $(API_SEED) out/api-contract

api-check: python-deps build
	bash scripts/check-api-contract.sh $(SERVER) $(SCHEMATHESIS) $(API_CHECK_SECONDS) $(API_SEED) out/api-check

# Fuzzing (Fuzz/, README "Fuzzing"): one libFuzzer target per parser of untrusted bytes, every module
# built with AddressSanitizer (LeakSanitizer included) into its own build path. `make fuzz` splits
# FUZZ_SECONDS over the targets and prints executions, edges and findings per target (inputs that
# crash, leak or break a property go to out/fuzz/crashes/<target>/); `make test-fuzz` replays each
# target's seeds and regression inputs and fuzzes FUZZ_SMOKE_SECONDS more, so CI fails on a known input.
# The targets depend only on the parser modules (ArtifactFormats, LightGBM, HTTPServer, LambdaRuntime),
# none of which uses swift-crypto, so the build compiles no BoringSSL, swift-metrics or hiredis: a clean
# one is 206 steps and about 70 CPU-s (799 steps and about 310 CPU-s when the parsers sat on swift-crypto).
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 3
# lld rather than gold, which warns about each of AddressSanitizer's local symbols. -Onone: Package.swift
# optimizes the modules a repricing run spends its time in even in debug builds (for the tests); the fuzz
# targets keep every module unoptimized, as before (a flag given on the command line comes last and wins).
fuzz-build: build-deps
	swift build -c debug --package-path Fuzz --build-path .build/fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xswiftc -Onone

fuzz: fuzz-build
	bash Fuzz/scripts/run-fuzzers.sh fuzz $(FUZZ_SECONDS)

FUZZ_BUILD ?= fuzz-build
test-fuzz: $(FUZZ_BUILD)
	bash Fuzz/scripts/run-fuzzers.sh smoke $(FUZZ_SMOKE_SECONDS)

# The bench also builds the way a Swift developer would (`swift build -c release`, no flags), in a
# build folder of its own (sharing .build would rebuild everything on each switch of
# --static-swift-stdlib); both binaries measure the default request, five times alternately, and the
# report compares each stage's best run (the machines are shared).
BENCH_DIR := out/bench
PLAIN_BUILD := .build-plain
PLAIN_SERVER := $(PLAIN_BUILD)/release/pricing-server
bench: build python-deps
	@mkdir -p $(BENCH_DIR)
	swift build -c release --product pricing-server --scratch-path $(PLAIN_BUILD)
	$(PY) -m pricing_training reference-network --models models --out $(BENCH_DIR)/reference-network
	@rm -rf $(BENCH_DIR)/builds && mkdir -p $(BENCH_DIR)/builds
	for i in 1 2 3 4 5; do \
	  $(PLAIN_SERVER) bench --models models --default-request-only --json $(BENCH_DIR)/builds/plain-$$i.json > /dev/null && \
	  $(SERVER) bench --models models --default-request-only --json $(BENCH_DIR)/builds/make-$$i.json > /dev/null || exit 1; \
	done
	$(SERVER) bench --models models --reference $(BENCH_DIR)/reference-network --json $(BENCH_DIR)/swift.json
	$(PY) -m pricing_training bench-reference --models $(BENCH_DIR)/reference-network --json $(BENCH_DIR)/torch.json > /dev/null
	$(PY) $(TRAINING)/scripts/bench_report.py $(BENCH_DIR)/swift.json $(BENCH_DIR)/torch.json $(BENCH_DIR)/builds
	bash scripts/bench-http.sh $(SERVER) models $(BENCH_DIR)/http
	bash scripts/bench-reload.sh $(SERVER) models $(BENCH_DIR)/reload
	bash scripts/bench-coldstart.sh $(SERVER) models $(BENCH_DIR)/coldstart
	$(PY) scripts/bench_hostile.py $(SERVER) models $(BENCH_DIR)/hostile
	bash scripts/bench-ingest.sh $(SERVER) models $(BENCH_DIR)/ingest
	$(PY) scripts/bench_loop_update.py $(BENCH_DIR)/loop

# The pricing evaluation: every scenario of the matrix and its unconfounded twin on the report seeds,
# decisions scored against the true revenue curves next to the baselines (keep the current price, today's
# network and ElasticNet, an oracle). EVAL_ARGS adds flags, e.g. EVAL_ARGS="--dev" for the tuning seeds.
EVAL_DIR := out/eval
eval: python-deps
	$(PY) -m pricing_training evaluate --out $(EVAL_DIR) $(EVAL_ARGS)

# Synthetic data (not committed: reproducible from the seed) and a trained artifact version.
$(DATA_DIR)/transactions.csv: | python-deps
	$(PY) -m pricing_training synth --scenario retail --lines $(LINES_$(MODE)) --products $(PRODUCTS_$(MODE)) \
	  --seed $(SYNTH_SEED) --out $(DATA_DIR)

# The version is signed (manifest.json.sig, docs/security-artifacts.md) with SIGNING_KEY: $PRICING_SIGNING_KEY
# when set, else a local key under .signing/ (gitignored), made on first use. The service loads only
# versions signed by a key in config/server.json's artifact_public_keys: the public key printed at the end
# must be listed there (a fresh clone's first `make models` makes a new key, so pin its public key).
SIGNING_KEY ?= $(or $(PRICING_SIGNING_KEY),.signing/models-signing.key)
models: python-deps $(DATA_DIR)/transactions.csv
	@test -f "$(SIGNING_KEY)" || { echo "no signing key at $(SIGNING_KEY): making one"; \
	  $(PY) -m pricing_training keygen --out "$(SIGNING_KEY)"; }
	$(PY) -m pricing_training train --mode $(MODE) --data $(DATA_DIR)/transactions.csv \
	  --ground-truth $(DATA_DIR)/ground_truth.csv --out $(MODELS_DIR)
	@latest=$$(cat $(MODELS_DIR)/LATEST); \
	  find $(MODELS_DIR) -mindepth 1 -maxdepth 1 -type d ! -name "$$latest" -exec rm -rf {} +; \
	  $(PY) -m pricing_training sign --version-dir $(MODELS_DIR)/$$latest --signing-key "$(SIGNING_KEY)" && \
	  echo "$(MODELS_DIR)/$$latest is the current version; the service must pin the public key above (artifact_public_keys)"

models-quick:
	$(MAKE) models MODE=quick MODELS_DIR=out/models-quick

# Regenerate the lock after changing training/pyproject.toml's pins.
lock: python-deps
	(grep "^#" $(TRAINING)/requirements.lock; $(PY) -m pip freeze | sed 's/^torch==\([0-9.]*\)+cpu/torch==\1/') > $(TRAINING)/requirements.lock.new
	mv $(TRAINING)/requirements.lock.new $(TRAINING)/requirements.lock

clean:
	rm -rf out data .build $(PLAIN_BUILD)

# The service end to end on logs of the second generator family (docs/worlds.md): generate both variants,
# train (UNSEEN_MODE=full is train's default, quick is faster), serve, score against the truth into out/unseen.
UNSEEN_MODE ?= full
UNSEEN_SEED ?= 1
# The service's harm-budget repricing rule against the learning loop's own code (batch_decision.budgeted) on the
# same stored draws of the committed models: every product's price must agree (README, "The harm budget").
.PHONY: harm-budget-parity
harm-budget-parity: python-deps build
	cd $(TRAINING) && PYTHONPATH=. $(PY) scripts/harm_budget_parity.py --binary $(CURDIR)/$(SERVER) --models $(CURDIR)/models

.PHONY: eval-unseen
eval-unseen: python-deps build
	nice -n 10 $(PY) scripts/check_unseen.py --variants invoice weekly --seed $(UNSEEN_SEED) --mode $(UNSEEN_MODE)

# The closed learning loop (docs/learning-loop.md): after each world's training year, 26 simulated weeks per seed
# of plan -> sell -> ingest -> update, next to the baselines, into out/loop. Each week's lines go into the ledger
# through the service's own `pricing-server ingest` (the retailer's path; docs/ledger.md). LOOP_PRESET=full (seeds 4-6 of both
# retail_worlds variants at 60k lines a year) or quick (seed 1 at 30k lines, a few minutes); LOOP_ARGS adds flags,
# e.g. LOOP_ARGS="--world mypkg.mymodule:factory" for a world of your own (with LOOP_WORLDS=none: only yours).
LOOP_PRESET ?= full
# The full preset reports the report seeds (4-6, never looked at while tuning); LOOP_SEEDS=dev runs the
# development seeds (1-3) the loop's settings were tuned on instead (loop/run.py: DEV_SEEDS, REPORT_SEEDS).
LOOP_SEEDS ?= report
LOOP_SEED_ARGS := $(if $(filter dev,$(LOOP_SEEDS)),--seeds 1 2 3,)
LOOP_DIR := out/loop$(if $(filter dev,$(LOOP_SEEDS)),-dev,)
# The worlds: both retail_worlds variants and the seven scenarios of make eval's matrix continued week by week
# (docs/scenario-worlds.md; about 3 minutes per scenario for three seeds). LOOP_WORLDS=retail or scenarios for one family.
LOOP_WORLDS ?= all
LOOP_RETAIL := invoice_world weekly_world
LOOP_SCENARIOS := exp_strong linear_moderate logit_strong_breaks iso_moderate mixed_strong_thin shop_weekly shop_invoice
LOOP_WORLD_ARGS := $(if $(filter retail all,$(LOOP_WORLDS)),$(foreach w,$(LOOP_RETAIL),--world pricing_training.loop.retail_adapter:$(w))) \
  $(if $(filter scenarios all,$(LOOP_WORLDS)),$(foreach w,$(LOOP_SCENARIOS),--world pricing_training.loop.scenario_world:$(w)))
.PHONY: eval-loop
eval-loop: python-deps build
	nice -n 10 $(PY) -m pricing_training loop --preset $(LOOP_PRESET) --out $(LOOP_DIR) $(LOOP_WORLD_ARGS) \
	  --ingest-command "$(CURDIR)/$(SERVER) ingest" $(LOOP_SEED_ARGS) $(LOOP_ARGS)
