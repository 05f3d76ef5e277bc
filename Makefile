# Two commands matter: `make run` (set up, demo clinic, serve) and `make test` (set up, full suite).
# Installs come from the hash-checked locks in requirements/; `make lock` is the one command that
# updates them (after editing pyproject.toml's dependencies).
PYTHON ?= python3
PORT ?= 8000
# HOST=0.0.0.0 listens on every interface, so a phone on the same network can connect.
HOST ?= 127.0.0.1
# Set PUBLIC_URL (e.g. http://192.168.1.20:8000) for links a phone on your network can open.
PUBLIC_URL ?=
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
# Separate stamps: `make run` installs only what running needs; a later `make test` adds dev.
RUN_STAMP := $(VENV)/.run-stamp
DEV_STAMP := $(VENV)/.dev-stamp
WITH_URL := $(if $(PUBLIC_URL),AFTERCARE_PUBLIC_URL='$(PUBLIC_URL)')
# The one place the lock's resolver options live: every platform and marker at once, hashed.
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --quiet --universal --generate-hashes \
	--python-version 3.11 --custom-compile-command 'make lock'

# compose.yaml refuses to start without these; placeholders let `config` check the rest.
COMPOSE_LINT_ENV := POSTGRES_PASSWORD=lint AFTERCARE_PUBLIC_URL=https://aftercare.invalid \
	AFTERCARE_VAPID_SUBJECT=mailto:lint@aftercare.invalid AFTERCARE_VAPID_KEY_FILE=/dev/null

.PHONY: install install-run run lint test test-only lock wheel smoke clean load bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements/run.txt pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r requirements/run.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@

$(DEV_STAMP): requirements/dev.txt pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@ $(RUN_STAMP)

install-run: $(RUN_STAMP)

# npm ci writes node_modules/.package-lock.json: ESLint (make lint) and axe-core (the browser
# tests' accessibility check) come from package-lock.json.
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --silent

install: $(DEV_STAMP) $(NODE_STAMP)

run: install-run ## set up (runtime only), create the demo clinic on SQLite, print logins, serve on $(PORT)
	$(WITH_URL) $(BIN)/aftercare demo --port $(PORT)
	$(WITH_URL) $(BIN)/aftercare serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app
	$(BIN)/lint-imports
	$(BIN)/deptry app
	$(BIN)/deptry bench tests --ignore DEP002,DEP004
	$(BIN)/hadolint Dockerfile
	@if docker compose version >/dev/null 2>&1; then $(COMPOSE_LINT_ENV) docker compose config -q; \
	elif command -v docker-compose >/dev/null; then $(COMPOSE_LINT_ENV) docker-compose config -q; \
	else echo "compose.yaml: not checked (no docker compose plugin on this machine)"; exit 0; fi \
	&& echo "compose.yaml: ok"
	node_modules/.bin/eslint app/web eslint.config.js

test-only: install
	$(BIN)/pytest

test: lint test-only ## set up and run the whole suite (add AFTERCARE_TEST_DATABASE_URL for PostgreSQL)

# dev.txt is resolved first (what the suite runs against); run.txt is constrained to it, so
# production gets exactly the runtime versions that were tested. Existing pins are kept
# unless pyproject.toml needs others: run it twice, get no diff. `--upgrade` moves them all.
lock: install ## re-resolve requirements/*.txt from pyproject.toml (UPGRADE=1 takes newest releases)
	$(UV_COMPILE) --all-extras $(if $(UPGRADE),--upgrade) -o requirements/dev.txt
	$(UV_COMPILE) --constraint requirements/dev.txt -o requirements/run.txt

wheel: install-run ## build dist/aftercare-*.whl (migrations, PWA and console inside)
	rm -rf build dist/aftercare-*.whl
	$(PIP) wheel --quiet --no-deps --wheel-dir dist .
	rm -rf build
	@ls -l dist/aftercare-*.whl

smoke: ## the wheel in a fresh venv, run from an empty directory: migrate, demo, serve, curl
	.ci/wheel-smoke

# PostgreSQL: AFTERCARE_LOAD_POSTGRES_URL names a server (it must answer), else the local
# default is tried and skipped when nothing answers. Each run makes and drops its own database.
LOAD_POSTGRES_URL = $(or $(AFTERCARE_LOAD_POSTGRES_URL),postgresql://postgres@127.0.0.1:5432/postgres)

load: install ## 500 patients + 10 staff for 60 s (bench/load.py) on SQLite, then PostgreSQL
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.load --database-url '$(LOAD_POSTGRES_URL)' $(if $(AFTERCARE_LOAD_POSTGRES_URL),,--skip-if-unreachable)

bench: install ## every benchmark in bench/ (~13 min on 2 cores), then bench/results/REPORT.md + plots
	$(BIN)/python -m bench.run_all --postgres '$(LOAD_POSTGRES_URL)' $(if $(AFTERCARE_LOAD_POSTGRES_URL),,--skip-if-unreachable)

clean:
	rm -rf $(VENV) node_modules build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
