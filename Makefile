# Two commands for a newcomer: `make run` (the main job end to end on embedded defaults) and `make test`.
# Both install what they need: uv (pinned) into .tools/, then the locked environment (uv.lock) into .venv/.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= small
DAYS ?= 3
START ?= 2026-11-02
SEED ?= 20261102

export PYSPARK_PYTHON := $(CURDIR)/$(BIN)/python
export PYSPARK_DRIVER_PYTHON := $(CURDIR)/$(BIN)/python

.PHONY: install run test lint typecheck render clean-data

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

render: install
	$(BIN)/jianguan schemas render

test: lint typecheck
	$(BIN)/jianguan schemas render --check
	$(BIN)/pytest

run: install
	@bash scripts/run.sh "$(SCALE)" "$(DAYS)" "$(START)" "$(SEED)"

clean-data:
	rm -rf lakehouse landing exports airflow_home
