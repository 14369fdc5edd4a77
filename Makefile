# em-assets: `make demo` runs the whole pipeline on demo data, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster
export EM_ASSETS_HOME ?= $(CURDIR)/data
export DAGSTER_DISABLE_TELEMETRY := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: setup demo test dev bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	printf 'telemetry:\n  enabled: false\n' > $@

demo: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/em-assets demo

test: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile

dev: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

bench: setup
	$(BIN)/python benchmarks/contrast_limits.py
	$(BIN)/python benchmarks/chunks.py

clean:
	rm -rf $(VENV) data .dagster
