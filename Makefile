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

.PHONY: install run test lint typecheck render clean-data airflow browser

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

render: install
	$(BIN)/jianguan schemas render

test: lint typecheck browser
	$(BIN)/jianguan schemas render --check
	$(BIN)/pytest

# Debian's Chromium for the Airflow UI test (headless); installed once from the Debian registry.
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# The Airflow UI (http://localhost:8080) with the project's DAGs: scheduler, DAG processor, API server.
AIRFLOW_ENV := AIRFLOW_HOME=$(CURDIR)/airflow_home AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True \
	GX_ANALYTICS_ENABLED=false PATH=$(CURDIR)/$(BIN):$$PATH

airflow: install
	$(AIRFLOW_ENV) $(BIN)/airflow db migrate
	$(AIRFLOW_ENV) $(BIN)/airflow standalone

run: install
	@bash scripts/run.sh "$(SCALE)" "$(DAYS)" "$(START)" "$(SEED)"

clean-data:
	rm -rf lakehouse landing exports ground_truth airflow_home
