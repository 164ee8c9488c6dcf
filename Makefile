# The two commands of the README: `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := var/demo.sqlite3
# The locked dependencies, with the hash of every file of each pinned version (docs/deployment.md,
# "Locked dependencies"): the development environment installs dev.lock, a server runtime.lock.
DEV_LOCK := requirements/dev.lock
RUNTIME_LOCK := requirements/runtime.lock

.PHONY: install demo test lint typecheck unit integration e2e xapi-conformance xapi-expected field-list bench clean
.PHONY: lock release release-check verify-units

# Exactly the locked versions, each file checked against its hash; then gardien itself, built
# by the locked hatchling (no build isolation, so nothing unpinned is fetched to build it).
$(STAMP): $(DEV_LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
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

# Regenerate both lock files from pyproject.toml with uv (pinned in the dev extra). Pins already in
# the files are kept unless asked: `make lock UPGRADE=--upgrade` moves everything to the newest
# allowed versions, `make lock UPGRADE="--upgrade-package fastapi"` one package. runtime.lock is
# resolved within dev.lock, so a server runs the very versions the tests ran.
UPGRADE ?=
LOCK_OPTIONS := --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock" --quiet
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_OPTIONS) $(UPGRADE) -o $(DEV_LOCK)
	$(BIN)/uv pip compile pyproject.toml -c $(DEV_LOCK) $(LOCK_OPTIONS) -o $(RUNTIME_LOCK)
	$(MAKE) install

# dist/gardien-VERSION.tar.gz: the wheel, runtime.lock, the install script, the systemd units and
# the environment file template (docs/deployment.md).
release: install
	PYTHON=$(abspath $(BIN)/python) deploy/release.sh

# The release installed into a fresh environment from runtime.lock, then run: --version, db
# upgrade on a new SQLite file, the notice in both languages, pages served (CI runs this).
release-check: release
	deploy/check-release.sh

# systemd-analyze verify on every unit, with the release installed where the units name it
# (/opt/gardien) and the system user created: needs root (CI runs this).
verify-units: release
	deploy/verify-units.sh

clean:
	rm -rf $(VENV) var dist .mypy_cache .pytest_cache .ruff_cache .hypothesis
