# Two commands for a new user: `make drill` (a drill on the simulator) and `make test` (run every check).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: drill sim test test-docker lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

drill: $(VENV)/.installed
	$(BIN)/c8-drill run $(ARGS)

sim: $(VENV)/.installed
	$(BIN)/c8-drill sim up $(ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# The heavier tier: region-loss modes against real local containers (needs Docker; see README).
test-docker: $(VENV)/.installed
	$(BIN)/pytest -m docker -p no:cacheprovider tests/kind

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/sim_bench.py
	$(BIN)/python benchmarks/drill_bench.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
