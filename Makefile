# SPM data warehouse — set-up and everyday commands.
#   make demo   create the environment, generate the demo county, run the nightly pipeline
#   make test   create/update the environment, run the whole test suite
#   make doku   regenerate the German docs generated from code (indicators, delivery formats)
#   make dbt-docs  the dbt documentation of the data model as one HTML file in dbt_docs/
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
DEMO_HOME ?= spm_demo
# pytest-xdist workers of `make test` (the CI machine has 2 cores; each worker runs its own
# demo county once; a module's tests stay on one worker; the PostgreSQL modules take turns,
# tests/postgres_support.py:postgres_lock)
TEST_WORKERS ?= 2
# the home whose warehouse `make dbt-docs` documents (column types come from its tables)
DOCS_HOME ?= $(DEMO_HOME)
DBT_DOCS := dbt_docs
STAMP := $(VENV)/.installed
MANIFEST := dbt_spm/target/manifest.json
DBT_FILES := $(shell find dbt_spm/models dbt_spm/macros dbt_spm/seeds dbt_spm/tests -type f 2>/dev/null) dbt_spm/dbt_project.yml dbt_spm/profiles.yml

export DAGSTER_DISABLE_TELEMETRY := 1
export GX_ANALYTICS_ENABLED := False
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export UV_COMPILE_BYTECODE := 1

.PHONY: install demo test lint benchmark ui clean doku dbt-docs

install: $(STAMP) $(MANIFEST)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

# The dbt manifest must exist before the Dagster definitions are imported.
$(MANIFEST): $(STAMP) $(DBT_FILES)
	SPM_HOME=$(CURDIR)/.build_home $(BIN)/dbt parse --quiet --project-dir dbt_spm --profiles-dir dbt_spm
	@touch $@

demo: install
	$(BIN)/spm demo --home $(DEMO_HOME)

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(BIN)/ruff check .

benchmark: install
	$(BIN)/python -m benchmarks.run --scale $(or $(SCALE),small)

ui: install
	SPM_HOME=$(CURDIR)/$(DEMO_HOME) DAGSTER_HOME=$(CURDIR)/$(DEMO_HOME)/dagster $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# German docs generated from the indicator catalogue and the delivery contracts (tests fail
# while the committed files are out of date)
doku: install
	$(BIN)/python -m dagster_project.doku.indikatoren > docs/indikatoren.md.tmp
	mv docs/indikatoren.md.tmp docs/indikatoren.md
	$(BIN)/python -m ingestion.lieferdoku > docs/lieferungen.md.tmp
	mv docs/lieferungen.md.tmp docs/lieferungen.md

# dbt docs of the data model (offline: no network, usage tracking off), from the warehouse of
# $(DOCS_HOME) (run `make demo` first, or DOCS_HOME=<home>); open $(DBT_DOCS)/static_index.html
dbt-docs: install
	@test -f $(DOCS_HOME)/warehouse/spm.duckdb || { echo "Kein Warehouse in $(DOCS_HOME): erst 'make demo' (oder DOCS_HOME=<home>)."; exit 1; }
	SPM_HOME=$(abspath $(DOCS_HOME)) $(BIN)/dbt docs generate --static --quiet --project-dir dbt_spm --profiles-dir dbt_spm --target-path $(CURDIR)/$(DBT_DOCS) --log-path $(CURDIR)/$(DBT_DOCS)/logs
	@echo "Dokumentation des Datenmodells: $(DBT_DOCS)/static_index.html (im Browser öffnen)"

clean:
	rm -rf $(VENV) dbt_spm/target dbt_spm/logs .build_home $(DBT_DOCS)
