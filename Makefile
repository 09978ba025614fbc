# The whole set-up on a fresh machine is `make run` and `make test`.
# `make run` installs what running needs; `make test` (and lint, bench) add the dev extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: install install-dev run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(DEV_STAMP): $(RUN_STAMP)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

run: $(RUN_STAMP)
	$(BIN)/ticketgate serve --demo

test: $(DEV_STAMP)
	$(BIN)/pytest -n 2 -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check core dialects gateway tests setup.py
	$(BIN)/mypy core dialects gateway tests/deploy setup.py

# The benchmark (tests/bench, docs/performance.md): about 23 minutes on 2 cores (1,384 s measured on
# 2026-12-03: the one-worker phase on three sides, hand floor, same statements and gateway, is most of it);
# never part of `make test`.
# Installs wrk from the Debian packages when missing (else the harness falls back to its Python loop).
bench: $(DEV_STAMP)
	@command -v wrk >/dev/null 2>&1 || apt-get install -y wrk || (apt-get update && apt-get install -y wrk) \
		|| echo "wrk could not be installed: using the built-in Python load loop"
	$(BIN)/python -m tests.bench.run

clean:
	rm -rf $(VENV) .ticketgate .ticketgate-test .pytest_cache build dist *.egg-info
