# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres serve lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

## make demo: install, set up the embedded SQLite database, seed the demo session and serve it.
demo: $(STAMP)
	$(BIN)/ballot demo --serve

## make test: install and run the whole suite (SQLite, then PostgreSQL when configured).
test: $(STAMP)
	$(BIN)/python -m tests.setup_env
	$(BIN)/ruff check ballot config tests wsgi.py
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: $(STAMP)
	@echo "== test suite on SQLite =="
	env -u BALLOT_TEST_DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@if [ -n "$$BALLOT_TEST_DATABASE_URL" ]; then \
	  echo "== test suite on PostgreSQL ($$BALLOT_TEST_DATABASE_URL) =="; \
	  $(BIN)/python -m pytest -m "not sqlite_only" $(PYTEST_ARGS); \
	else \
	  echo "SKIPPED: PostgreSQL half of the suite (set BALLOT_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test to run it)"; \
	fi

serve: $(STAMP)
	$(BIN)/ballot serve

lint: $(STAMP)
	$(BIN)/ruff check ballot config tests wsgi.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
