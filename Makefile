# make run   - the whole system on the embedded default (SQLite, file lake, file-system broker)
# make test  - the full test suite against PostgreSQL, Redis and an S3 server (moto)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.txt | cut -c1-16)
PORT ?= 8000

.PHONY: run test test-fast lint format typecheck migrations-check bench faults faults-quick simulate superuser clean

$(STAMP): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

run: $(STAMP)
	mkdir -p var/broker/queue var/broker/processed var/broker/control
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py collectstatic --noinput --verbosity 0
	DEBUG=$${DEBUG:-true} $(PY) manage.py ensure_classifier
	@echo
	@echo "  Complaint form:   http://127.0.0.1:$(PORT)/complaints/new/"
	@echo "  Agents' queue:    http://127.0.0.1:$(PORT)/agents/"
	@echo "  Dashboard:        http://127.0.0.1:$(PORT)/dashboard/"
	@echo "  Admin:            http://127.0.0.1:$(PORT)/admin/"
	@echo "  Create a login:   make superuser   (or: DEBUG=true $(PY) manage.py createsuperuser)"
	@echo
	rm -rf var/prometheus && mkdir -p var/prometheus  # multi-process metrics (docs/operations.md)
	DEBUG=$${DEBUG:-true} PORT=$(PORT) PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/var/prometheus $(VENV)/bin/honcho start -f Procfile

superuser: $(STAMP)
	DEBUG=true $(PY) manage.py createsuperuser

# The whole suite. Browser tests need Debian's chromium (installed by .ci/run).
test: $(STAMP)
	$(PY) -m pytest -p no:cacheprovider --create-db $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: $(STAMP)
	$(VENV)/bin/mypy complaintsite ingestion classification warehouse agents lake monitoring metrics

migrations-check: $(STAMP)
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

bench: $(STAMP)
	$(PY) bench/run_all.py

# Fault injection (faults/run.py): a private PostgreSQL cluster, Redis, gunicorn, worker and beat
# under simulated traffic while Redis stops, workers are SIGKILLed, PostgreSQL restarts and the
# lake goes read-only; fails if any accepted message is lost. About 5 minutes; faults-quick ~3.
faults: $(STAMP)
	$(PY) -m faults $(FAULTS_ARGS)

faults-quick: $(STAMP)
	$(PY) -m faults --quick $(FAULTS_ARGS)

# Synthetic traffic against a running `make run` (RATE messages/s for DURATION seconds); the
# providers' secrets come from .env, as for `make run` (a provider without one is skipped).
simulate: $(STAMP)
	DEBUG=$${DEBUG:-true} $(VENV)/bin/honcho run $(PY) manage.py simulate_traffic --rate $${RATE:-5} --duration $${DURATION:-60} --base-url http://127.0.0.1:$(PORT)

clean:
	rm -rf var/broker var/cache var/static
