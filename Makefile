# The two commands of the README: `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := var/demo.sqlite3

.PHONY: install demo test lint typecheck unit integration e2e xapi-conformance xapi-expected field-list bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# A fresh demo every time: migrated SQLite file, fictional organisation, server on :8000.
# E-mails go to a local SMTP sink on 127.0.0.1:8025, readable at http://127.0.0.1:8000/dev/mail.
demo: install
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	rm -rf var/mail
	GARDIEN_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/gardien db upgrade
	GARDIEN_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/gardien demo-data --learners 200 --seed 1
	GARDIEN_DATABASE_URL=sqlite:///$(DEMO_DB) GARDIEN_MAIL_SINK_DIR=var/mail \
		$(BIN)/gardien serve --host 127.0.0.1 --port 8000 --dev-mail

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy src

test: lint typecheck
	$(BIN)/pytest

unit: install
	$(BIN)/pytest -m unit

integration: install
	$(BIN)/pytest -m integration

e2e: install
	$(BIN)/pytest -m e2e

# ADL's xAPI conformance suite alone (part of `make test`), and the regeneration of its lists of
# allowed failures, tests/xapi_conformance/expected_failures_*.txt (see docs/xapi.md).
xapi-conformance: install
	$(BIN)/pytest -m xapi_conformance

xapi-expected: install
	$(BIN)/python -m tests.xapi_conformance.run --update

# After a change to the tables: the field list the policy loader and the notice read.
field-list: install
	$(BIN)/python -m gardien.store.field_list_writer

bench: install
	$(BIN)/python bench/import.py

# Screenshots of every page of issue 17 at 1280 and 390 px, as its browser test walks them.
OUT ?= var/shots
.PHONY: screenshots
screenshots: install
	$(BIN)/python -m tests.a11y.screenshots $(OUT)

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache .hypothesis
