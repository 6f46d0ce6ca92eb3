# Two commands a new user needs: `make demo` and `make test`. Both build .venv in the checkout.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.runtime

demo: $(VENV)/.runtime
	$(BIN)/tally demo --fresh $(DEMO_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: lint
	$(BIN)/python tests/require_postgres.py
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: $(VENV)/.dev
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .tally .pytest_cache .mypy_cache .ruff_cache
