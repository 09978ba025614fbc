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

clean:
	rm -rf $(VENV) .ticketgate .ticketgate-test .pytest_cache
