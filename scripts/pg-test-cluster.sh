#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests and benchmarks (used by .ci/run and bench/).
#
#   scripts/pg-test-cluster.sh install   find the server binaries; apt-get install them if missing (root)
#   scripts/pg-test-cluster.sh start     initdb + start on a free 127.0.0.1 port, create the database;
#                                        the last stdout line is DATABASE_URL=postgres://...
#   scripts/pg-test-cluster.sh stop      stop it (immediate) and delete its directory
#   scripts/pg-test-cluster.sh status    exit 0 and print DATABASE_URL=... when it is running
#   scripts/pg-test-cluster.sh restart   pg_ctl restart -m fast, same port (fault tests: test/postgres/faults)
#   scripts/pg-test-cluster.sh halt      stop the server (fast) but keep its data; `resume` starts it again
#   scripts/pg-test-cluster.sh resume    start a halted cluster on its old port
#
# Environment:
#   PG_TEST_DIR   state directory (data, unix socket, log, url); default /tmp/licensewire-pg-test.
#                 May be an existing empty directory (e.g. from mktemp -d).
#   PG_TEST_DB    database to create; default licensewire_test
#   PG_TEST_PORT  port to use instead of a free one picked at random
#   PG_BIN        directory holding initdb/pg_ctl/postgres; default: newest /usr/lib/postgresql/*/bin
#   PG_TEST_KEEP  1 → `stop` leaves the directory (and server.log) in place
#
# As root, the server runs as the `postgres` user (Postgres refuses to run as root);
# otherwise as the current user. Progress goes to stderr; only the URL goes to stdout.
# Test-speed settings: fsync, synchronous_commit and full_page_writes are off. Never
# point this at data you care about.
set -euo pipefail

DIR="${PG_TEST_DIR:-/tmp/licensewire-pg-test}"
DB="${PG_TEST_DB:-licensewire_test}"
MARKER=".licensewire-pg-test"

log () { echo "pg-test-cluster: $*" >&2; }
die () { log "error: $*"; exit 1; }

# --- binaries ---------------------------------------------------------------

find_bin () {
  if [[ -n "${PG_BIN:-}" ]]; then
    [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] || die "PG_BIN=$PG_BIN has no initdb/pg_ctl"
    echo "$PG_BIN"
    return 0
  fi
  local d best=""
  # Newest major version first.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then best="$d"; break; fi
  done
  if [[ -z "$best" ]] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    best="$(dirname "$(command -v initdb)")"
  fi
  [[ -n "$best" ]] || return 1
  echo "$best"
}

install_bin () {
  if find_bin >/dev/null; then
    log "PostgreSQL server binaries found in $(find_bin)"
    return 0
  fi
  log "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: installing Debian's postgresql package"
  command -v apt-get >/dev/null 2>&1 || die "no apt-get: install the PostgreSQL server (initdb, pg_ctl) by hand or set PG_BIN"
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot apt-get install postgresql"
    sudo=(sudo -n)
  fi
  "${sudo[@]}" apt-get update </dev/null >&2
  # The package may create and start its own "main" cluster on 5432; we ignore it and
  # run our own cluster on a free port.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql </dev/null >&2
  find_bin >/dev/null || die "apt-get installed postgresql but no initdb/pg_ctl was found under /usr/lib/postgresql/*/bin"
  log "installed; binaries in $(find_bin)"
}

# --- running as the cluster owner ------------------------------------------

RUN_AS=()
if [[ "$(id -u)" -eq 0 ]]; then
  RUN_AS=(runuser -u postgres --)
fi

ensure_owner () {
  [[ "$(id -u)" -eq 0 ]] || return 0
  if ! id postgres >/dev/null 2>&1; then
    log "creating system user postgres"
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
}

# Runs a command as the cluster owner from inside $DIR: initdb and pg_ctl fail when the
# current directory is not readable by that user (e.g. a checkout under /root).
as_owner () {
  (cd "$DIR" && "${RUN_AS[@]}" "$@")
}

# --- helpers ----------------------------------------------------------------

free_port () {
  if [[ -n "${PG_TEST_PORT:-}" ]]; then echo "$PG_TEST_PORT"; return 0; fi
  local port
  if command -v node >/dev/null 2>&1 && port="$(node -e '
    const s = require("node:net").createServer()
    s.listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close() })
  ' 2>/dev/null)" && [[ "$port" =~ ^[0-9]+$ ]]; then
    echo "$port"; return 0
  fi
  if command -v python3 >/dev/null 2>&1 && port="$(python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
' 2>/dev/null)" && [[ "$port" =~ ^[0-9]+$ ]]; then
    echo "$port"; return 0
  fi
  # Last resort: scan upwards from 55432 for a port nothing answers on.
  for ((port = 55432; port < 55632; port++)); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  die "no free port found"
}

running () {
  [[ -f "$DIR/pgdata/PG_VERSION" ]] || return 1
  local bin
  bin="$(find_bin)" || return 1
  as_owner "$bin/pg_ctl" status -D "$DIR/pgdata" >/dev/null 2>&1
}

url_for () { echo "DATABASE_URL=postgres://postgres@127.0.0.1:$1/$DB"; }

# --- subcommands ------------------------------------------------------------

cmd_start () {
  local bin
  bin="$(find_bin)" || die "PostgreSQL server binaries not found (run: $0 install)"
  ensure_owner

  if [[ -e "$DIR" && ! -d "$DIR" ]]; then die "PG_TEST_DIR=$DIR exists and is not a directory"; fi
  if [[ -d "$DIR" ]]; then
    if running; then die "a cluster is already running in $DIR (run: $0 stop)"; fi
    if [[ -f "$DIR/$MARKER" ]]; then
      log "removing stale state in $DIR"
      rm -rf "${DIR:?}/pgdata" "${DIR:?}/socket" "$DIR/server.log" "$DIR/initdb.log" "$DIR/url" "$DIR/port"
    elif [[ -n "$(ls -A "$DIR")" ]]; then
      die "PG_TEST_DIR=$DIR is not empty and was not made by this script"
    fi
  fi
  mkdir -p "$DIR"
  DIR="$(cd "$DIR" && pwd -P)"
  touch "$DIR/$MARKER"
  mkdir -p "$DIR/socket"
  if [[ "$(id -u)" -eq 0 ]]; then chown -R postgres:postgres "$DIR"; fi
  as_owner test -w "$DIR" || die "the postgres user cannot write $DIR (a parent directory is not traversable?); choose another PG_TEST_DIR"

  log "initdb ($("$bin/postgres" --version)) in $DIR/pgdata"
  if ! as_owner "$bin/initdb" -D "$DIR/pgdata" -A trust -U postgres --encoding=UTF8 --locale=C >"$DIR/initdb.log" 2>&1; then
    cat "$DIR/initdb.log" >&2
    die "initdb failed"
  fi
  cat >>"$DIR/pgdata/postgresql.conf" <<EOF

# --- licensewire throw-away test cluster (scripts/pg-test-cluster.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR/socket'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

  # Unix socket paths are limited to 107 bytes: $DIR/socket/.s.PGSQL.NNNNN.lock
  (( ${#DIR} + 27 <= 107 )) || die "PG_TEST_DIR=$DIR is too long for a unix socket path"
  local port attempt started=0
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    log "starting on 127.0.0.1:$port (attempt $attempt)"
    if as_owner "$bin/pg_ctl" start -D "$DIR/pgdata" -l "$DIR/server.log" -w -t 60 -o "-p $port" >&2; then
      started=1
      break
    fi
    [[ -n "${PG_TEST_PORT:-}" ]] && break
    log "start failed; last log lines:"; tail -n 5 "$DIR/server.log" >&2 || true
  done
  if [[ "$started" -ne 1 ]]; then
    tail -n 30 "$DIR/server.log" >&2 || true
    die "could not start PostgreSQL"
  fi
  echo "$port" >"$DIR/port"

  local i
  for ((i = 0; i < 60; i++)); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then break; fi
    sleep 0.5
  done
  "$bin/pg_isready" -h 127.0.0.1 -p "$port" -U postgres -d postgres >&2 || die "server did not become ready"

  "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DB" || die "createdb $DB failed"
  url_for "$port" >"$DIR/url"
  log "ready: database $DB on 127.0.0.1:$port, state in $DIR (stop with: PG_TEST_DIR=$DIR $0 stop)"
  url_for "$port"
}

cmd_stop () {
  if [[ ! -d "$DIR" ]]; then log "nothing to stop in $DIR"; return 0; fi
  if [[ -f "$DIR/pgdata/PG_VERSION" ]]; then
    local bin pid=""
    [[ -f "$DIR/pgdata/postmaster.pid" ]] && pid="$(head -n 1 "$DIR/pgdata/postmaster.pid" 2>/dev/null || true)"
    if bin="$(find_bin)" && as_owner "$bin/pg_ctl" stop -D "$DIR/pgdata" -m immediate -w -t 30 >&2; then
      log "stopped the cluster in $DIR"
    elif [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      # pg_ctl missing or failing: SIGQUIT is Postgres' immediate shutdown.
      log "pg_ctl stop failed; sending SIGQUIT to postmaster $pid"
      kill -QUIT "$pid" 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  if [[ "${PG_TEST_KEEP:-}" == "1" ]]; then
    log "PG_TEST_KEEP=1: leaving $DIR in place"
  elif [[ -f "$DIR/$MARKER" ]]; then
    rm -rf "${DIR:?}"
    log "removed $DIR"
  else
    log "$DIR was not made by this script; not removing it"
  fi
}

cmd_status () {
  if running && [[ -f "$DIR/url" ]]; then cat "$DIR/url"; return 0; fi
  log "no cluster running in $DIR"
  return 1
}

# The fault tests stop and start the server under a running licensewire; the data, the
# port and the URL stay the same.
cmd_halt () {
  local bin
  bin="$(find_bin)" || die "PostgreSQL server binaries not found"
  running || die "no cluster running in $DIR"
  as_owner "$bin/pg_ctl" stop -D "$DIR/pgdata" -m fast -w -t 60 >&2
}

cmd_resume () {
  local bin
  bin="$(find_bin)" || die "PostgreSQL server binaries not found"
  [[ -f "$DIR/port" ]] || die "no halted cluster in $DIR"
  running && die "the cluster in $DIR is running"
  as_owner "$bin/pg_ctl" start -D "$DIR/pgdata" -l "$DIR/server.log" -w -t 60 -o "-p $(cat "$DIR/port")" >&2
}

cmd_restart () {
  local bin
  bin="$(find_bin)" || die "PostgreSQL server binaries not found"
  running || die "no cluster running in $DIR"
  as_owner "$bin/pg_ctl" restart -D "$DIR/pgdata" -l "$DIR/server.log" -m fast -w -t 60 -o "-p $(cat "$DIR/port")" >&2
}

case "${1:-}" in
  install) install_bin ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  halt) cmd_halt ;;
  resume) cmd_resume ;;
  restart) cmd_restart ;;
  *) echo "usage: [PG_TEST_DIR=dir] $0 install|start|stop|status|halt|resume|restart" >&2; exit 64 ;;
esac
