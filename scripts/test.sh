#!/usr/bin/env bash
# Lint, then the whole suite on SQLite, then again on PostgreSQL when it answers.
# REQUIRE_POSTGRES=1 (set by .ci/run) turns an unreachable Postgres into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
PG_URL=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}

echo "== lint"
"$BIN/ruff" format --check --quiet .
"$BIN/ruff" check --quiet .
"$BIN/mypy" bot handlers
"$BIN/lint-imports" --no-cache

echo "== tests on SQLite"
env -u TEST_DATABASE_URL "$BIN/pytest" "$@"

if "$BIN/python" - "$PG_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()
except Exception as err:
    print(f"PostgreSQL at {sys.argv[1]} is not reachable: {err}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "== tests on PostgreSQL ($PG_URL)"
  TEST_DATABASE_URL="$PG_URL" "$BIN/pytest" "$@"
elif [ "${REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is required here (REQUIRE_POSTGRES=1) but is not reachable." >&2
  exit 1
else
  echo "== skipped the PostgreSQL run: no server at $PG_URL (set TEST_DATABASE_URL to use another)"
fi
