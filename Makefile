# Tally: `make build` sets everything up and runs the main job; `make test` passes every test.
# Everything runs from the repository root in a project-local virtual environment (.venv).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= 0.1
PARITY_SCALE ?= 0.01
SEED ?= 42

# dbt, MetricFlow and dbt-charts all read these.
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR := $(CURDIR)
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export TALLY_RAW_DIR ?= $(CURDIR)/data/raw
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help build test env env-engines lock data warehouse lint review boards serve status rollback \
        bench load-postgres load-spark parity clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: env data warehouse  ## Fresh machine to published warehouse: env, data, dbt build, lint, boards
	@$(BIN)/python -m warehouse summary

test: env env-engines  ## Every test: Python, dbt, metrics, boards, parity
	$(BIN)/python -m pytest -q

# --- environment --------------------------------------------------------------------------

env: $(VENV)/.installed  ## Create the pinned Python environment

$(VENV)/.installed: requirements/lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

env-engines: $(VENV)/.engines  ## Add the PostgreSQL and Spark adapters (for make parity)

$(VENV)/.engines: $(VENV)/.installed requirements/engines.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/engines.txt
	@touch $@

lock:  ## Re-pin requirements/lock.txt from pyproject.toml (needs the package index)
	rm -rf /tmp/tally-lock && $(PYTHON) -m venv /tmp/tally-lock
	/tmp/tally-lock/bin/pip install --quiet ".[warehouse,dev]"
	{ echo "# Pinned environment for the warehouse, the linter and the tests (make env)."; \
	  echo "# Regenerate with: make lock   (after changing the dependencies in pyproject.toml)"; \
	  /tmp/tally-lock/bin/pip freeze | grep -v -i -e '^tally' -e '^-e'; } > requirements/lock.txt

# --- data and warehouse --------------------------------------------------------------------

data: env $(TALLY_RAW_DIR)/_manifest.json  ## Generate the raw Parquet data (SCALE=0.1 SEED=42)

$(TALLY_RAW_DIR)/_manifest.json:
	@# no manifest means no complete data set (an interrupted run writes it last): start over
	$(BIN)/tally-datagen generate --scale $(SCALE) --seed $(SEED) --out $(TALLY_RAW_DIR) --force

warehouse: env data  ## Build, test and lint into a private copy; publish only if all passed
	$(BIN)/python -m warehouse build

lint: env  ## tally check on the project, its analyses and boards
	$(BIN)/tally check

BASE ?= main
BENCH ?= all
review: env  ## tally review of the working tree against BASE (a git ref; default main)
	$(BIN)/tally review --base $(BASE)

boards: env  ## Render every board to PNG under build/boards
	$(BIN)/python -m warehouse render-boards

serve: env  ## Serve the boards at http://localhost:8484 (dct serve)
	$(BIN)/python -m warehouse serve

status: env  ## Where BI tools connect, the published build, its age and tests
	@$(BIN)/python -m warehouse status

rollback: env  ## Publish the previous build again
	$(BIN)/python -m warehouse rollback

# --- benchmarks and engines ------------------------------------------------------------------

bench: env  ## Benchmarks (BENCH=all|linter|warehouse|publish|review|uniqueness; slow); figures under build/bench/
	$(BIN)/python -m warehouse.bench $(BENCH)

load-postgres: env env-engines data  ## Load the raw data into PostgreSQL (creates role and database)
	$(BIN)/python -m warehouse load-postgres --raw-dir $(TALLY_RAW_DIR)

load-spark: env env-engines data  ## Load the raw data into Parquet tables of the local Spark session
	$(BIN)/python -m warehouse load-spark --raw-dir $(TALLY_RAW_DIR)

parity: env env-engines  ## Build on DuckDB, PostgreSQL and Spark and compare every number
	$(BIN)/python -m warehouse parity --scale $(PARITY_SCALE)

clean:  ## Remove generated data and build outputs (keeps .venv)
	rm -rf data build target logs
