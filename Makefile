# Ronde: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PG_DIR := var/pg
RONDE_PG_PORT ?= 54329
export RONDE_PG_PORT
REPLICA_DIR := var/pg-replica
RONDE_PG_REPLICA_PORT ?= 54330
HOST ?= 127.0.0.1
PORT ?= 8000
IDP_PORT ?= 8001

.PHONY: run idp test bench db replica ha stop setup system venv vendor messages lock migrate seed clean backup restore

## Everything a fresh Debian/Ubuntu machine needs, only what is missing.
setup: system venv vendor messages

system:
	@scripts/bootstrap.sh

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.lock
	@touch $@

vendor: static/vendor/.installed

static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@scripts/vendor.sh
	@touch $@

## Compile the UI translations (locale/*/LC_MESSAGES/django.po -> .mo).
messages: venv
	@$(PY) manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules

## Only start the database (the project's own cluster when DATABASE_URL is unset).
db: system
	@if [ -z "$$DATABASE_URL" ]; then scripts/pg.sh start $(PG_DIR) $(RONDE_PG_PORT); fi

## A streaming read replica of the project's own cluster (hot standby, port below). Point
## DATABASE_REPLICA_URL at it for lag-tolerant reads (docs/scaling.md).
replica: db
	@scripts/replica.sh start $(REPLICA_DIR) $(RONDE_PG_REPLICA_PORT) $(RONDE_PG_PORT)
	@echo "replica: DATABASE_REPLICA_URL=postgis://ronde@127.0.0.1:$(RONDE_PG_REPLICA_PORT)/ronde"

## Automatic failover: a pg_auto_failover formation (monitor + primary + standby) on loopback
## ports from RONDE_HA_PORT; prints the multi-host DATABASE_URL to run Ronde with.
RONDE_HA_PORT ?= 54340
ha: system venv
	@scripts/ha.sh start var/ha $(RONDE_HA_PORT)

stop:
	@[ ! -d var/ha ] || scripts/ha.sh stop var/ha
	@[ ! -d $(REPLICA_DIR) ] || scripts/replica.sh stop $(REPLICA_DIR)
	@scripts/pg.sh stop $(PG_DIR)

migrate: setup db
	@$(PY) manage.py migrate --no-input -v 0

seed: migrate
	@$(PY) manage.py seed_demo --if-empty

## Serve the app and run the background worker (imports, recomputations) beside it, and the
## demo's local identity provider on $(IDP_PORT) ("Se connecter avec Annuaire local (démo)").
run: seed
	@$(PY) manage.py demo_logins
	@trap 'kill $$worker $$idp 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py db_worker -v 0 & worker=$$!; \
	$(PY) manage.py demo_idp --port $(IDP_PORT) --url http://$(HOST):$(PORT) & idp=$$!; \
	$(PY) manage.py runserver $(HOST):$(PORT)

## Only the demo's local OpenID Connect provider, in the foreground (beside another `make run`).
idp: seed
	@$(PY) manage.py demo_idp --port $(IDP_PORT) --url http://$(HOST):$(PORT)

test: setup
	@scripts/test.sh

bench: migrate
	@$(PY) -m benchmarks

## Backups: pg_dump (custom format) + media. `make restore FROM=var/backups/ronde-...`
backup: db
	@scripts/backup.sh $(TO)

restore: db
	@scripts/restore.sh $(FROM)

## Re-pin requirements.lock from pyproject.toml in a scratch venv.
lock:
	rm -rf var/lock-venv && $(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install -q --upgrade pip && var/lock-venv/bin/pip install -q '.[dev]'
	var/lock-venv/bin/pip freeze --exclude-editable | grep -v '^ronde' > requirements.lock
	rm -rf var/lock-venv

clean: stop
	rm -rf $(VENV) node_modules static/vendor var
