# em-assets: `make demo` runs the whole pipeline on demo data, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster
export EM_ASSETS_HOME ?= $(CURDIR)/data
export DAGSTER_DISABLE_TELEMETRY := 1
# Which instance profile under deploy/dagster/ becomes $(DAGSTER_HOME)/dagster.yaml: local (SQLite) or
# postgres (needs DAGSTER_PG_HOST, DAGSTER_PG_PORT, DAGSTER_PG_USER, DAGSTER_PG_PASSWORD, DAGSTER_PG_DB).
EM_ASSETS_PROFILE ?= local
PROFILE := deploy/dagster/$(EM_ASSETS_PROFILE).yaml
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: setup demo test dev bench clean $(DAGSTER_HOME)/dagster.yaml

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Always checked, so that switching EM_ASSETS_PROFILE takes effect: edit the profile, not the copy.
$(DAGSTER_HOME)/dagster.yaml: $(PROFILE)
	mkdir -p $(DAGSTER_HOME)
	cmp -s $< $@ || cp $< $@

demo: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/em-assets demo

test: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile

# `dg dev` (the supported command; `dagster dev` warns it is superseded) runs the project in pyproject.toml's
# [tool.dg] with the venv's Python, so it is named as the active environment. Loopback only.
DEV_PORT ?= 3000
dev: setup $(DAGSTER_HOME)/dagster.yaml
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/dg dev --host 127.0.0.1 --port $(DEV_PORT)

bench: setup
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/contrast_limits.py
	$(BIN)/python benchmarks/chunks.py
	$(BIN)/python benchmarks/portal.py
	$(BIN)/python benchmarks/sensors.py
	$(BIN)/python benchmarks/merge.py
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/backfill.py

clean:
	rm -rf $(VENV) data .dagster
