# Two commands matter: `make run` (set up, demo clinic, serve) and `make test` (set up, full suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint test-only clean

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

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
