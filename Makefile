# mediadl — `make run` starts the app, `make test` runs every check. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
UI_DIR := frontend
UI_BUILD := src/mediadl/static
UI_DEPS_STAMP := $(UI_DIR)/node_modules/.install-stamp
UI_STAMP := $(UI_BUILD)/.build-stamp
UI_SOURCES := $(shell find $(UI_DIR)/src $(UI_DIR)/public -type f 2>/dev/null) \
  $(addprefix $(UI_DIR)/,index.html package.json vite.config.ts tsconfig.json env.d.ts)

.PHONY: install system-deps test-deps test-postgres run test lint unit check clean lock security ui-test bench

install: system-deps $(STAMP) $(UI_STAMP)

# Tools that are not Python packages come from Debian (scripts/system-deps.sh lists them).
# Node.js must be 20.19 or newer for the UI build; Debian 12's nodejs is 18.x, so there the
# script stops and names what to install instead (it never downloads Node itself).
system-deps:
	@bash scripts/system-deps.sh run

test-deps:
	@bash scripts/system-deps.sh test

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

# The web UI: npm packages again when the lock file changes, a new build into the Python
# package when any UI source changes (the stamps keep both from running needlessly).
$(UI_DEPS_STAMP): $(UI_DIR)/package-lock.json
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
	  || { echo "The web UI needs Node.js 20.19 or newer (found $$(node --version))." >&2; exit 1; }
	cd $(UI_DIR) && npm ci --no-audit --no-fund
	@touch $@

$(UI_STAMP): $(UI_DEPS_STAMP) $(UI_SOURCES)
	cd $(UI_DIR) && npm run build
	@touch $@

# The UI's own checks: ESLint (no v-html anywhere) and the Vitest suite.
ui-test: $(UI_DEPS_STAMP)
	cd $(UI_DIR) && npm run lint && npm test

run: install
	$(BIN)/mediadl serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: install
	$(BIN)/python -m pytest tests/unit -q

# The speed benchmarks against curl, aria2c and the yt-dlp CLI (bench/), printed as one
# table. The peers come from Debian's curl and aria2 packages when missing and we are root;
# a peer that cannot be installed is reported as skipped. BENCH_ROUNDS=3 for a quicker run.
BENCH_ROUNDS ?= 5
bench: install
	@missing=""; for tool in curl:curl aria2c:aria2; do \
	  command -v $${tool%%:*} >/dev/null || missing="$$missing $${tool##*:}"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian packages:$$missing"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends $$missing >/dev/null; } \
	  || echo "Could not install$$missing; those comparisons are skipped." >&2; \
	elif [ -n "$$missing" ]; then \
	  echo "Missing:$$missing (apt-get install$$missing); those comparisons are skipped." >&2; \
	fi
	$(BIN)/python -m bench.run_all --rounds $(BENCH_ROUNDS)

# Most tests wait on a process, a socket or a download rather than on the CPU, so three
# pytest workers on two cores take the suite from ~18 to ~10 minutes. TEST_WORKERS=0 runs
# in one process (handy with a debugger).
TEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS)

test: install test-deps lint security ui-test
	$(PYTEST)
	$(MAKE) --no-print-directory test-postgres

# The same suite on PostgreSQL (a throwaway server the tests start), minus the tests that
# never touch the database or that already run on PostgreSQL.
test-postgres: install test-deps
	MEDIADL_TEST_DATABASE=postgresql $(PYTEST) \
	  --ignore=tests/scaleout --ignore=tests/deploy --ignore=tests/e2e \
	  --ignore=tests/integration/test_fixture_site.py \
	  --ignore=tests/integration/test_ytdlp_engine.py \
	  --ignore=tests/integration/test_cli.py \
	  --ignore=tests/integration/test_crash_recovery.py

# Known vulnerabilities in the installed dependencies (pip-audit against PyPI's advisory
# data) and high-severity findings in our code (bandit); a finding fails the build. Where
# PyPI serves only its project JSON, scripts/pip_audit_report.py audits the dependencies
# pinned at their latest release from it. Whatever could not be audited (offline, or a pin
# behind the latest release) is listed as NOT audited; that alone does not fail the build.
security: install
	@mkdir -p .cache && rm -f .cache/pip-audit.json
	@$(BIN)/pip-audit --vulnerability-service pypi --skip-editable --progress-spinner off \
	  --format json --output .cache/pip-audit.json 2>.cache/pip-audit.log || true
	@$(BIN)/python scripts/pip_audit_report.py .cache/pip-audit.json
	$(BIN)/bandit -r src -lll -q

# Refresh the pinned versions after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v -e '^-e ' -e ' @ ' > requirements.lock

clean:
	rm -rf $(VENV) .cache build *.egg-info $(UI_DIR)/node_modules $(UI_BUILD)
