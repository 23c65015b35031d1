# Atelier — the two commands: `make run` and `make test`. `make bench` for the figures.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Locked versions with hashes (`make upgrade` writes them from pyproject.toml's ranges):
# run.txt = runtime + dev tools (`make run`), test.txt = that + test and lint tools,
# prod.txt = runtime only (the Docker image).
RUN_LOCK := requirements/run.txt
TEST_LOCK := requirements/test.txt
RUN_STAMP := $(VENV)/.installed-run-$(shell cat $(RUN_LOCK) pyproject.toml | cksum | cut -d' ' -f1)
TEST_STAMP := $(VENV)/.installed-test-$(shell cat $(TEST_LOCK) pyproject.toml | cksum | cut -d' ' -f1)
# pip prints a line per package (and its progress bar on a terminal); drop only the noise
# about index locations this machine's pip configuration may name.
PIP_INSTALL = set -o pipefail; $(PY) -m pip install --require-hashes --no-deps -r
NOISE := 2> >(grep -v '^WARNING: Location' >&2)
UV := $(VENV)-tools/bin/uv
COMPILE = $(UV) pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make upgrade" --quiet $(UPGRADE_ARGS)
# Each app loads its own part of the demo data (all idempotent).
DEMO_COMMANDS := seed_demo seed_demo_privatisation seed_demo_pending_orders

.PHONY: run test bench install install-test upgrade messages migrate demo lint makemessages clean
# The local commands run with DEBUG on unless told otherwise (the start-up checks refuse the dev
# secret key and the dev payment gateway without it).
run migrate demo: export DJANGO_DEBUG ?= true

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed (Python 3.11)"; exit 1; }
	@echo "== Creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)

# The project itself brings no code to install, only its metadata; `pip check` then fails
# if pyproject.toml names a dependency the lock lacks (run `make upgrade`).
define install_lock
	@echo "== Installing the locked dependencies of $(1) into $(VENV) (first run: about a minute)"
	@$(PIP_INSTALL) $(1) $(NOISE)
	@echo "== Installing the project (no dependencies) and checking them"
	@$(PY) -m pip install --quiet --no-deps . $(NOISE)
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; echo "$(1) is out of date with pyproject.toml: run make upgrade"; exit 1; }
endef

$(RUN_STAMP): $(RUN_LOCK) pyproject.toml | $(PY)
	$(call install_lock,$(RUN_LOCK))
	@rm -f $(VENV)/.installed-run-*; touch $@

$(TEST_STAMP): $(TEST_LOCK) pyproject.toml | $(PY)
	$(call install_lock,$(TEST_LOCK))
	@rm -f $(VENV)/.installed-test-*; touch $@

install: $(RUN_STAMP)

install-test: $(TEST_STAMP)

# Re-resolve every lock from pyproject.toml's ranges (newest versions allowed);
# `make upgrade UPGRADE_ARGS="--upgrade-package django"` moves one package only.
upgrade:
	@test -x $(UV) || { $(PYTHON) -m venv $(VENV)-tools && $(VENV)-tools/bin/pip install --quiet "uv>=0.5,<1"; }
	$(COMPILE) --upgrade --extra dev --extra test --extra lint -o $(TEST_LOCK)
	$(COMPILE) --extra dev -c $(TEST_LOCK) -o $(RUN_LOCK)
	$(COMPILE) -c $(TEST_LOCK) -o requirements/prod.txt

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

test: install-test messages
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Redis as in production: REDIS_URL, else the local one if it answers (the captures bench needs
# a real broker; kombu's filesystem transport delivers its 500 tasks slowly).
bench: messages
	@test -n "$$DATABASE_URL" || { echo "make bench needs DATABASE_URL (PostgreSQL)"; exit 1; }
	@if [ -z "$$REDIS_URL" ] && $(PY) -c "import redis; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null; then \
		export REDIS_URL=redis://127.0.0.1:6379/0; echo "== REDIS_URL=$$REDIS_URL (the local Redis)"; fi; \
	echo "loadavg: $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	for script in bench/[!_]*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

lint: install-test
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

makemessages: install
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=var --ignore=tests
	$(PY) manage.py makemessages -d djangojs -l fr --ignore=.venv --ignore=var --ignore=static/vendor

clean:
	rm -rf $(VENV) $(VENV)-tools var
