#!/usr/bin/env bash
# Project-local PostgreSQL cluster for development and tests, bound to loopback only.
# Usage: scripts/services/postgres.sh {start|stop|status|state-dir}
#
# The server runs as user postgres, so start and stop need root (or user postgres).
# State goes to <repo>/var/services/postgres, or, when user postgres cannot reach that
# (a clone under a private home directory), to /var/lib/sehub-services/<hash of the repo
# path>/postgres; start says so in one line and state-dir prints the directory in use.
# See lib.sh for the rules.
#
# Environment:
#   HUB_SERVICES_DIR  state root, used as given (default: chosen as above)
#   HUB_PG_PORT       TCP port on 127.0.0.1 (default: 55432)
set -euo pipefail
umask 022

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"
# Set by set_paths once the service user exists (the package may not be installed yet).
PG_DIR=""
DATA_DIR=""
SOCKET_DIR=""
LOG_FILE=""
PORT=${HUB_PG_PORT:-55432}
DB_NAME=hub_test
# make bench's own database (bench/e2e.py wipes it); never the tests'.
BENCH_DB_NAME=hub_bench
DB_USER=hub
DB_PASSWORD=hub
BIN=""

die() {
    echo "postgres.sh: $*" >&2
    exit 1
}

# Newest installed server version, e.g. /usr/lib/postgresql/15/bin.
find_bindir() {
    local dir
    dir=$( (find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null || true) |
        sort -V | tail -n 1)
    [ -n "$dir" ] || return 1
    dirname "$dir"
}

ensure_installed() {
    if BIN=$(find_bindir); then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        die "PostgreSQL server is not installed; run as root or: apt-get install -y postgresql"
    fi
    echo "postgres.sh: installing postgresql" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
    # Without a policy-rc.d the package starts its own 'main' cluster; we do not use it.
    invoke-rc.d postgresql stop >/dev/null 2>&1 || true
    BIN=$(find_bindir) || die "postgresql installed but no server binaries under /usr/lib/postgresql"
}

# An existing cluster must be run by the major version that created it.
use_cluster_version() {
    local ver
    [ -s "$DATA_DIR/PG_VERSION" ] || return 0
    ver=$(cat "$DATA_DIR/PG_VERSION")
    [ -x "/usr/lib/postgresql/$ver/bin/pg_ctl" ] ||
        die "$DATA_DIR is a PostgreSQL $ver cluster but that server is not installed (apt-get install postgresql-$ver, or remove the directory)"
    BIN=/usr/lib/postgresql/$ver/bin
}

# initdb and postgres refuse to run as root.
as_postgres() {
    run_as postgres "$@"
}

# Chooses the state directory (see lib.sh) and the paths under it.
set_paths() {
    resolve_services_dir postgres postgres
    PG_DIR=$SERVICES_DIR/postgres
    DATA_DIR=$PG_DIR/data
    SOCKET_DIR=$PG_DIR/run
    LOG_FILE=$PG_DIR/postgres.log
}

is_ready() {
    "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t "${1:-3}"
}

# Process state letter (R, S, Z, ...), empty if there is no such process.
proc_state() {
    awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true
}

postmaster_pid() {
    head -n 1 "$DATA_DIR/postmaster.pid" 2>/dev/null | tr -dc '0-9' || true
}

# True if the postmaster of our data directory is alive. pg_ctl status is not
# used because it counts a zombie (killed, not yet reaped by init) as running.
cluster_running() {
    local pid state
    pid=$(postmaster_pid)
    [ -n "$pid" ] || return 1
    state=$(proc_state "$pid")
    [ -n "$state" ] && [ "$state" != Z ]
}

# After a kill -9 the postmaster may linger as a zombie and backends may still be
# exiting; postgres refuses to start until both are gone, so wait for them.
wait_for_crashed_cluster() {
    local pid deadline=$((SECONDS + 30)) p comm busy
    pid=$(postmaster_pid)
    [ -n "$pid" ] || return 0
    while [ "$SECONDS" -lt "$deadline" ]; do
        busy=0
        [ "$(proc_state "$pid")" != Z ] || busy=1
        # Backends run with the data directory as their working directory.
        for p in /proc/[0-9]*; do
            read -r comm 2>/dev/null <"$p/comm" || continue
            [ "$comm" = postgres ] || continue
            if [ "$(readlink "$p/cwd" 2>/dev/null)" = "$DATA_DIR" ]; then
                busy=1
                break
            fi
        done
        [ "$busy" = 1 ] || return 0
        sleep 0.5
    done
    die "processes of a previous server on $DATA_DIR are still exiting; try again"
}

init_cluster() {
    local tmp=$PG_DIR/data.init
    [ -s "$DATA_DIR/PG_VERSION" ] && return 0
    [ -e "$DATA_DIR" ] && die "$DATA_DIR exists but is not a cluster; remove it to re-initialise"
    echo "postgres.sh: initialising cluster in $DATA_DIR" >&2
    # Initialise aside and rename, so an interrupted initdb never leaves a half cluster.
    rm -rf "$tmp"
    # Trust auth on local socket and 127.0.0.1 only: a throwaway dev/test cluster
    # that listens on loopback only. Never use these settings for a shared server.
    as_postgres "$BIN/initdb" -D "$tmp" -U postgres --auth-local=trust --auth-host=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
        {
            cat "$PG_DIR/initdb.log" >&2
            die "initdb failed"
        }
    echo "include 'hub.conf'" >>"$tmp/postgresql.conf"
    mv "$tmp" "$DATA_DIR"
}

write_config() {
    local sock=${SOCKET_DIR//\'/\'\'}
    {
        echo "# Generated by scripts/services/postgres.sh on every start; edits are overwritten."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $PORT"
        echo "unix_socket_directories = '$sock'"
    } >"$DATA_DIR/hub.conf"
    chown postgres:postgres "$DATA_DIR/hub.conf"
}

psql_admin() {
    "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres
}

ensure_db() {
    psql_admin >/dev/null <<SQL
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', '$DB_USER', '$DB_PASSWORD')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER') \gexec
ALTER ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD';
SELECT format('CREATE DATABASE %I OWNER %I', '$DB_NAME', '$DB_USER')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB_NAME') \gexec
ALTER DATABASE $DB_NAME OWNER TO $DB_USER;
SELECT format('CREATE DATABASE %I OWNER %I', '$BENCH_DB_NAME', '$DB_USER')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB_NAME') \gexec
SQL
    # The least-privilege roles the hub and auditors connect as (granted by 'hub db grant').
    local role
    for role in hub_writer hub_auditor; do
        psql_admin >/dev/null <<SQL
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', '$role', '$role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role') \gexec
SQL
    done
}

cmd_start() {
    local sock_path state=ready
    ensure_installed
    require_root_or postgres
    set_paths
    prepare_services_dir postgres postgres
    mkdir -p "$PG_DIR"
    # Outside the checkout, so private to the server (logs, config, socket).
    ! services_dir_is_fallback || chmod 0700 "$PG_DIR"
    # Physical path, to compare with the backends' /proc/PID/cwd.
    PG_DIR=$(cd "$PG_DIR" && pwd -P)
    DATA_DIR=$PG_DIR/data
    SOCKET_DIR=$PG_DIR/run
    LOG_FILE=$PG_DIR/postgres.log
    exec 9>"$PG_DIR/.lock"
    flock 9
    use_cluster_version
    if cluster_running; then
        state="already running"
    else
        if is_ready 1; then
            die "127.0.0.1:$PORT already answers but it is not the cluster in $DATA_DIR (set HUB_PG_PORT)"
        fi
        # A Unix socket path is limited to 107 bytes.
        sock_path=$SOCKET_DIR/.s.PGSQL.$PORT
        [ "${#sock_path}" -le 107 ] ||
            die "socket path too long (${#sock_path} > 107 bytes): $sock_path; set a shorter HUB_SERVICES_DIR"
        mkdir -p "$SOCKET_DIR"
        chown postgres:postgres "$PG_DIR" "$SOCKET_DIR"
        [ ! -e "$LOG_FILE" ] || chown postgres:postgres "$LOG_FILE"
        check_reachable postgres "$PG_DIR"
        init_cluster
        write_config
        wait_for_crashed_cluster
        # pg_ctl recovers by itself from a stale postmaster.pid after kill -9.
        # 9>&- keeps the server from inheriting (and holding) our lock.
        if ! as_postgres "$BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start >/dev/null 9>&-; then
            tail -n 30 "$LOG_FILE" >&2 || true
            die "pg_ctl start failed (log: $LOG_FILE)"
        fi
    fi
    is_ready 10 || die "server started but pg_isready on 127.0.0.1:$PORT fails"
    ensure_db
    echo "postgres $state: postgresql+asyncpg://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"
}

cmd_stop() {
    BIN=$(find_bindir) || {
        echo "postgres not installed"
        return 0
    }
    require_root_or postgres
    set_paths
    if [ -d "$PG_DIR" ]; then
        exec 9>"$PG_DIR/.lock"
        flock 9
    fi
    use_cluster_version
    if cluster_running; then
        as_postgres "$BIN/pg_ctl" -D "$DATA_DIR" -m fast -w -t 60 stop >/dev/null
        echo "postgres stopped"
    else
        echo "postgres not running"
    fi
}

cmd_status() {
    BIN=$(find_bindir) || {
        echo "postgres not installed"
        return 3
    }
    if is_ready; then
        set_paths
        if cluster_running; then
            echo "postgres running on 127.0.0.1:$PORT (cluster in $DATA_DIR)"
        else
            echo "postgres running on 127.0.0.1:$PORT"
        fi
        return 0
    fi
    echo "postgres not running"
    return 3
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    state-dir)
        set_paths
        echo "$PG_DIR"
        ;;
    *)
        echo "usage: $0 {start|stop|status|state-dir}" >&2
        exit 2
        ;;
esac
