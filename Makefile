# Atelier — the two commands: `make run` and `make test`. `make bench` for the figures.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Each app loads its own part of the demo data (all idempotent).
DEMO_COMMANDS := seed_demo seed_demo_privatisation seed_demo_pending_orders

.PHONY: run test bench install messages migrate demo lint makemessages clean
# The local commands run with DEBUG on unless told otherwise (the start-up checks refuse the dev
# secret key and the dev payment gateway without it).
run migrate demo: export DJANGO_DEBUG ?= true

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed (Python 3.11)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing into $(VENV) (first run takes a minute)…"
	@set -o pipefail; $(PY) -m pip install --quiet --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
	@set -o pipefail; $(PY) -m pip install --quiet ".[dev]" 2>&1 | { grep -v '^WARNING: Location' || true; }
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

messages: install
	@$(PY) -m config.compile_translations

migrate: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	@for cmd in $(DEMO_COMMANDS); do $(PY) manage.py $$cmd || exit 1; done

# Links in emails and SMS follow the served address: SITE_URL defaults to the port we run on.
ATELIER_PORT ?= 8000
export ATELIER_PORT
run: export SITE_URL ?= http://127.0.0.1:$(ATELIER_PORT)
run: messages demo
	@$(PY) manage.py collectstatic --noinput -v 0
	@$(PY) -m config.banner
	$(VENV)/bin/honcho -f Procfile.dev start

test: messages
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: messages
	@test -n "$$DATABASE_URL" || { echo "make bench needs DATABASE_URL (PostgreSQL)"; exit 1; }
	@for script in bench/[!_]*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

makemessages: install
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=var --ignore=tests
	$(PY) manage.py makemessages -d djangojs -l fr --ignore=.venv --ignore=var --ignore=static/vendor

clean:
	rm -rf $(VENV) var
