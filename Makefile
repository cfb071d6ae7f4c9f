# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: sodium speech demo test test-fast test-sqlite test-postgres screenshots serve lint translations bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg setup.py pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

## libsodium (>= 1.0.18) does the ballot box's group arithmetic; pysodium loads the system library.
## Installed with apt-get (Debian libsodium23) when missing and possible, else a clear stop.
sodium: $(BIN)/python
	@if ! $(BIN)/python -c "import ctypes.util, sys; sys.exit(0 if ctypes.util.find_library('sodium') else 1)"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing libsodium23 (the ballot box's group arithmetic) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libsodium23; \
	  else \
	    echo "libsodium is missing: the ballot box needs it (libsodium >= 1.0.18)." >&2; \
	    echo "Install it and run make again: Debian/Ubuntu 'sudo apt-get install libsodium23', macOS 'brew install libsodium'." >&2; \
	    exit 1; \
	  fi; \
	fi

## espeak-ng makes the spoken ballot's (语音) audio for voting kiosks whose browser has no Chinese
## voice of its own. Optional: installed with apt-get (Debian espeak-ng) when missing and possible,
## else a notice; without it such kiosks cannot speak and the staff's kiosk panel says so.
speech:
	@if ! command -v espeak-ng >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing espeak-ng (the spoken ballot's audio) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends espeak-ng \
	      || echo "espeak-ng could not be installed: kiosks without a Chinese voice cannot speak the ballot." >&2; \
	  else \
	    echo "espeak-ng is missing: voting kiosks without a Chinese voice of their own cannot speak the ballot (语音)." >&2; \
	    echo "Install it for the spoken ballot: Debian/Ubuntu 'sudo apt-get install espeak-ng', macOS 'brew install espeak-ng'." >&2; \
	  fi; \
	fi

## make demo: install, set up the embedded SQLite database, seed the demo session and serve it.
## Another port: make demo PORT=8080. Start the demo afresh: make demo RESET=1.
PORT ?= 5000
demo: sodium speech $(STAMP)
	@$(BIN)/ballot demo --serve --port $(PORT) $(if $(RESET),--reset)

## make test: install and run the whole suite (SQLite, then PostgreSQL when configured).
test: sodium $(STAMP)
	$(BIN)/python -m tests.setup_env
	$(BIN)/ruff check ballot bench config tests wsgi.py
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

## make test-fast: the inner loop (about 5 minutes of CPU): domain, ballot box, crypto and services on
## SQLite; no browser, no web layer, no slow tests. `make test` is what CI runs.
test-fast: $(STAMP)
	env -u BALLOT_TEST_DATABASE_URL $(BIN)/python -m pytest -q tests/domain tests/ballotbox tests/crypto tests/services $(PYTEST_ARGS)

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

## make screenshots: retake docs/screenshots/*.png from the browser tests.
screenshots: $(STAMP)
	$(BIN)/python -m tests.setup_env
	env -u BALLOT_TEST_DATABASE_URL BALLOT_SCREENSHOTS=1 $(BIN)/python -m pytest tests/e2e -q

serve: sodium speech $(STAMP)
	$(BIN)/ballot serve --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check ballot bench config tests wsgi.py

## make translations: after adding or changing a _()/gettext()/N_() string, re-extract every
## message, merge it into each catalog, then translate the new (empty) entries in
## ballot/translations/*/LC_MESSAGES/messages.po and run it again to compile the .mo files
## (committed; tests/test_translations.py fails while any message is untranslated).
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -c TRANSLATORS: --sort-by-file --no-wrap \
	  --project=ballot -o ballot/translations/messages.pot .
	$(BIN)/pybabel update -i ballot/translations/messages.pot -d ballot/translations \
	  --no-wrap --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d ballot/translations --statistics

## make bench: install the bench extras, then benchmark on SQLite and PostgreSQL (127.0.0.1:5432,
## user postgres; database ballot_bench is created if missing). About 18 min; see bench/README.md.
## Options through BENCH_ARGS, e.g. make bench BENCH_ARGS=--quick
bench: sodium $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench,postgres]'
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
