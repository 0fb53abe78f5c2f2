#!/usr/bin/env bash
# make test: lint, migration check and the whole suite on a throwaway PostgreSQL cluster
# (unless DATABASE_URL points at a server). Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=config.settings.test

if [ -z "${DATABASE_URL:-}" ]; then
  dir=var/pg-test
  export RONDE_PG_PORT="${RONDE_TEST_PG_PORT:-54339}"
  scripts/pg.sh destroy "$dir" 2>/dev/null || true
  trap 'scripts/pg.sh destroy "$dir" || true' EXIT
  # fsync off: the cluster is thrown away at the end of the run.
  PG_FSYNC=off scripts/pg.sh start "$dir" "$RONDE_PG_PORT"
fi

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy .
echo "== makemigrations --check"
$PY manage.py makemigrations --check --dry-run
echo "== pytest"
.venv/bin/pytest --create-db "$@"
