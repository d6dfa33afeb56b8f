#!/usr/bin/env bash
# Starts the services the tests need, runs the command given, stops the services and exits with
# the command's status:
#
#     tests/services.sh cargo test --workspace
#
# Services: a throwaway Postgres (a fresh cluster in a temporary folder, listening on 127.0.0.1
# only, on a free port, trusting local connections), whose URL the tests read from
# AGENCY_TEST_POSTGRES_URL; and a throwaway Redis (no persistence, 127.0.0.1, a free port),
# AGENCY_TEST_REDIS_URL (tests that stop and restart Redis start their own redis-server, from
# PATH). Everything it starts and writes is gone when it exits, whether the command passed,
# failed or was interrupted.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]   (e.g. $0 cargo test --workspace)" >&2
  exit 2
fi

say() { echo "services: $*" >&2; }

# --- Postgres binaries: on PATH, in Debian's folders, or installed from Debian's packages.
pg_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

if ! PG_BIN=$(pg_bin); then
  say "installing Postgres (Debian's postgresql)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  # The package would create and start a cluster of its own on port 5432: only ours is wanted.
  $sudo apt-get install -y -qq postgresql-common >/dev/null
  $sudo sed -i 's/^#\?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
    /etc/postgresql-common/createcluster.conf
  $sudo apt-get install -y -qq postgresql >/dev/null
  PG_BIN=$(pg_bin) || { say "no initdb/pg_ctl after installing postgresql"; exit 1; }
fi

# --- Redis: on PATH, or installed from Debian's packages (without the service it would start).
if ! command -v redis-server >/dev/null 2>&1; then
  say "installing Redis (Debian's redis-server)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d keeps the package from starting a server of its own on port 6379.
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq redis-server >/dev/null
  $sudo rm -f /usr/sbin/policy-rc.d
  command -v redis-server >/dev/null 2>&1 || { say "no redis-server after installing it"; exit 1; }
fi

# --- The AG-UI protocol's own checkers, which tests/it/agui.rs runs: the official TypeScript
# client (@ag-ui/client, pinned in tests/agui/package-lock.json, from the npm registry) and
# ag-ui-validate (PyPI, pinned).
AGUI_DIR="$(cd "$(dirname "$0")" && pwd)/agui"
AG_UI_VALIDATE=0.4.0
if [ ! -d "$AGUI_DIR/node_modules/@ag-ui/client" ]; then
  say "installing @ag-ui/client (npm ci in tests/agui)"
  npm ci --prefix "$AGUI_DIR" --silent --no-audit --no-fund >/dev/null
fi
if ! ag-ui-validate --version 2>/dev/null | grep -q "$AG_UI_VALIDATE"; then
  say "installing ag-ui-validate==$AG_UI_VALIDATE (PyPI)"
  python3 -m pip install --quiet --root-user-action=ignore "ag-ui-validate==$AG_UI_VALIDATE"
fi

# --- The web chat's browser tests (tests/it/chat_ui.rs): Debian's chromium, driven by
# playwright-core (pinned in tests/browser/package-lock.json, from the npm registry).
if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  say "installing chromium (Debian's package)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [ -x /usr/bin/chromium ] || { say "no /usr/bin/chromium after installing chromium"; exit 1; }
fi
BROWSER_DIR="$(cd "$(dirname "$0")" && pwd)/browser"
if [ ! -d "$BROWSER_DIR/node_modules/playwright-core" ]; then
  say "installing playwright-core (npm ci in tests/browser)"
  npm ci --prefix "$BROWSER_DIR" --silent --no-audit --no-fund >/dev/null
fi

# --- The official OpenAI Python client (PyPI, pinned), which tests/it/openai_api.rs drives
# against an agency served as a model (tests/openai/check.py).
OPENAI_PY=3.60.0
if ! python3 -c "import openai, sys; sys.exit(openai.__version__ != '$OPENAI_PY')" 2>/dev/null; then
  say "installing openai==$OPENAI_PY (PyPI)"
  python3 -m pip install --quiet --root-user-action=ignore "openai==$OPENAI_PY"
fi

# --- The official MCP Python SDK (PyPI, pinned), which tests/it/mcp_server.rs drives against
# the /mcp endpoint (tests/mcp/check.py).
MCP_PY=2.3.0
if ! python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('mcp') != '$MCP_PY')" 2>/dev/null; then
  say "installing mcp==$MCP_PY (PyPI)"
  python3 -m pip install --quiet --root-user-action=ignore "mcp==$MCP_PY"
fi

# --- A fresh cluster in a temporary folder. initdb refuses to run as root: then the server
# runs as the postgres user (which Debian's package creates).
TMP=$(mktemp -d "${TMPDIR:-/tmp}/agency-services.XXXXXX")
DATA="$TMP/data"
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    say "running as root, and there is no postgres user to run the server as"
    rm -rf "$TMP"
    exit 1
  fi
  chown postgres: "$TMP"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

stop_services() {
  if [ -n "${REDIS_PID:-}" ]; then kill -TERM "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; fi
  if [ -f "$DATA/postmaster.pid" ]; then
    if ! as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >/dev/null 2>&1; then
      # pg_ctl could not stop it: end the server by its pid (its first line).
      local pid
      pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)
      if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
  fi
  rm -rf "$TMP"
}
trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_pg "$PG_BIN/initdb" -D "$DATA" -U agency --auth=trust --no-locale -E UTF8 --no-sync \
  >"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; exit 1; }

free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# A port found free may be taken before the server binds it: try a few.
started=""
for _ in 1 2 3 4 5; do
  PORT=$(free_port)
  if as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$TMP/postgres.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [ -z "$started" ]; then
  say "Postgres did not start; its log:"
  cat "$TMP/postgres.log" >&2 || true
  exit 1
fi

DB=agency_test
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U agency "$DB"
export AGENCY_TEST_POSTGRES_URL="postgres://agency@127.0.0.1:$PORT/$DB"
say "Postgres on 127.0.0.1:$PORT ($AGENCY_TEST_POSTGRES_URL)"

# --- Redis on a free port (a few tries, as for Postgres).
REDIS_PID=""
for _ in 1 2 3 4 5; do
  RPORT=$(free_port)
  redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no --daemonize no \
    --dir "$TMP" --logfile "$TMP/redis.log" &
  REDIS_PID=$!
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$RPORT") 2>/dev/null; then break; fi
    sleep 0.1
  done
  if kill -0 "$REDIS_PID" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$RPORT") 2>/dev/null; then
    break
  fi
  REDIS_PID=""
done
if [ -z "$REDIS_PID" ]; then
  say "Redis did not start; its log:"
  cat "$TMP/redis.log" >&2 || true
  exit 1
fi
export AGENCY_TEST_REDIS_URL="redis://127.0.0.1:$RPORT"
say "Redis on 127.0.0.1:$RPORT"

# Hundreds of concurrent streams need more descriptors than a default soft limit of 1024.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- The command; the trap stops the services, and the command's status is the script's.
status=0
"$@" || status=$?
exit "$status"
