# One command to set up and run the demo study, one to run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= all

.PHONY: demo lint test test-slow report clean

$(BIN)/snakemake: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

## demo: create .venv from the pinned requirements and run the whole workflow on the demo study
demo: $(BIN)/snakemake
	$(BIN)/snakemake --workflow-profile workflow/profiles/default --cores $(CORES)

## report: the HTML report of the last run (results/report.html)
report: $(BIN)/snakemake
	$(BIN)/snakemake --workflow-profile workflow/profiles/default --cores $(CORES) --report results/report.html

## lint: the workflow (snakemake --lint, snakefmt) and the Python (ruff's pyflakes rules)
lint: $(BIN)/snakemake
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/ruff check src workflow/scripts tests benchmarks

## test: the linters, then the test suite (CI runs exactly this)
test: lint
	$(BIN)/python -m pytest -m "not slow"

## test-slow: the long-running cases too
test-slow: $(BIN)/snakemake
	$(BIN)/python -m pytest

clean:
	rm -rf results .snakemake
