# The whole set-up on a fresh machine is `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ticketgate serve --demo

test: $(STAMP)
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check core dialects gateway tests
	$(BIN)/mypy core dialects gateway

# The benchmark (tests/bench, docs/performance.md): about 12 minutes on 2 cores; never part of `make test`.
# Installs wrk from the Debian packages when missing (else the harness falls back to its Python loop).
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || apt-get install -y wrk || (apt-get update && apt-get install -y wrk) \
		|| echo "wrk could not be installed: using the built-in Python load loop"
	$(BIN)/python -m tests.bench.run

clean:
	rm -rf $(VENV) .ticketgate .ticketgate-test .pytest_cache
