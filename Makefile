# Two commands matter: `make run` (set up, demo clinic, serve) and `make test` (set up, full suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint test-only clean load bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install ## set up, create the demo clinic on SQLite, print logins, serve on :8000
	$(BIN)/aftercare demo
	$(BIN)/aftercare serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app
	$(BIN)/hadolint Dockerfile

test-only: install
	$(BIN)/pytest

test: lint test-only ## set up and run the whole suite (add AFTERCARE_TEST_DATABASE_URL for PostgreSQL)

# PostgreSQL: AFTERCARE_LOAD_POSTGRES_URL names a server (it must answer), else the local
# default is tried and skipped when nothing answers. Each run makes and drops its own database.
LOAD_POSTGRES_URL = $(or $(AFTERCARE_LOAD_POSTGRES_URL),postgresql://postgres@127.0.0.1:5432/postgres)

load: install ## 500 patients + 10 staff for 60 s (bench/load.py) on SQLite, then PostgreSQL
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.load --database-url '$(LOAD_POSTGRES_URL)' $(if $(AFTERCARE_LOAD_POSTGRES_URL),,--skip-if-unreachable)

bench: install ## every benchmark in bench/ (~12 min on 2 cores), then bench/results/REPORT.md + plots
	$(BIN)/python -m bench.run_all --postgres '$(LOAD_POSTGRES_URL)' $(if $(AFTERCARE_LOAD_POSTGRES_URL),,--skip-if-unreachable)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
