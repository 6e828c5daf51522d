# Two commands do all the set-up (see README.md):
#   make run    create/reuse .venv, install voc, run the example study, print the report path
#   make test   create/reuse .venv, install voc with its test extras, run the whole test suite
PYTHON ?= python3
# torch comes first so that pip keeps a CPU build (see README, "GPU"); override for CUDA.
TORCH  ?= torch==2.13.0
VENV   ?= .venv
BIN    := $(VENV)/bin
STUDY  ?= studies/example

.PHONY: run test install install-test lint format notebooks benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)

# Reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: $(VENV)/.installed
	$(BIN)/voc run $(STUDY)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check voc tests notebooks benchmarks
	$(BIN)/ruff format --check voc tests benchmarks

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix voc tests benchmarks
	$(BIN)/ruff format voc tests benchmarks

notebooks: $(VENV)/.installed-test
	$(BIN)/python -m pytest --nbval-lax notebooks

benchmark: $(VENV)/.installed
	$(BIN)/python benchmarks/run_example.py

clean:
	rm -rf outputs .pytest_cache
