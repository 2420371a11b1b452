#!/usr/bin/env bash
# Lint, then the whole suite on SQLite, then again on PostgreSQL when it answers.
# REQUIRE_POSTGRES=1 (set by .ci/run) turns an unreachable Postgres into a failure, and
# REQUIRE_BROWSER=1 a missing chromium (installed here with apt-get when run as root) or
# node packages that `npm ci` cannot install.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
PG_URL=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}

echo "== lint"
"$BIN/ruff" format --check --quiet .
"$BIN/ruff" check --quiet .
"$BIN/mypy" bot handlers
"$BIN/lint-imports" --no-cache
echo "== alembic check: the models and the migrations agree (SQLite)"
"$BIN/python" scripts/schema_check.py

# The release page is tested in a real headless browser: Debian's chromium.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's chromium for the release page's browser test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "could not install chromium" >&2
  fi
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "${REQUIRE_BROWSER:-0}" = "1" ]; then
      echo "chromium is required here (REQUIRE_BROWSER=1) but is not installed." >&2
      exit 1
    fi
    echo "== no chromium: the release page's browser test will be skipped (apt-get install chromium)"
  fi
fi

# Calendar clients' own parsers and the page's accessibility engine run under node: ical.js,
# axe-core and playwright-core (which drives Debian's chromium, never a downloaded browser),
# pinned by package-lock.json. Without node those tests are skipped, saying so.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing Debian's nodejs and npm for the calendar client and accessibility checks"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null) \
    || echo "could not install nodejs and npm" >&2
fi
if command -v npm >/dev/null 2>&1; then
  if ! (npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null); then
    if [ "${REQUIRE_BROWSER:-0}" = "1" ]; then
      echo "npm ci failed: node's packages are required here (REQUIRE_BROWSER=1)." >&2
      exit 1
    fi
    echo "== npm ci failed: the ical.js and axe checks will be skipped"
  fi
elif [ "${REQUIRE_BROWSER:-0}" = "1" ]; then
  echo "node and npm are required here (REQUIRE_BROWSER=1) but are not installed." >&2
  exit 1
else
  echo "== no node/npm: the ical.js and axe checks will be skipped (install nodejs and npm)"
fi

# The two legs run side by side: most of a test's time is spent waiting on sockets and
# timers, so the machine's cores have room for both, and CI takes the longer leg's time.
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
  echo "== alembic check: the models and the migrations agree (PostgreSQL)"
  "$BIN/python" scripts/schema_check.py "$PG_URL"
  PG_LOG=$(mktemp "${TMPDIR:-/tmp}/releasebot-pg-tests.XXXXXX")
  echo "== tests on PostgreSQL ($PG_URL) started beside the SQLite run; their output follows it"
  TEST_DATABASE_URL="$PG_URL" "$BIN/pytest" "$@" >"$PG_LOG" 2>&1 &
  PG_PID=$!
elif [ "${REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is required here (REQUIRE_POSTGRES=1) but is not reachable." >&2
  exit 1
else
  PG_PID=""
fi

echo "== tests on SQLite"
sqlite_rc=0
env -u TEST_DATABASE_URL "$BIN/pytest" "$@" || sqlite_rc=$?

if [ -n "$PG_PID" ]; then
  pg_rc=0
  wait "$PG_PID" || pg_rc=$?
  echo "== tests on PostgreSQL ($PG_URL)"
  cat "$PG_LOG"
  rm -f "$PG_LOG"
  [ "$sqlite_rc" = 0 ] || { echo "the SQLite run failed (exit $sqlite_rc)" >&2; exit "$sqlite_rc"; }
  [ "$pg_rc" = 0 ] || { echo "the PostgreSQL run failed (exit $pg_rc)" >&2; exit "$pg_rc"; }
else
  [ "$sqlite_rc" = 0 ] || exit "$sqlite_rc"
  echo "== skipped the PostgreSQL run: no server at $PG_URL (set TEST_DATABASE_URL to use another)"
fi
