#!/usr/bin/env bash
# Project-local RabbitMQ node for development and tests, bound to loopback only.
# Usage: scripts/services/rabbitmq.sh {start|stop|status|pid|install|state-dir|tls-ca}
#
# The node runs as user rabbitmq (the Debian wrappers refuse anyone but root and
# rabbitmq), so start and stop need root (or user rabbitmq). State goes to
# <repo>/var/services/rabbitmq, or, when user rabbitmq cannot reach that (a clone under
# a private home directory), to /var/lib/sehub-services/<hash of the repo path>/rabbitmq;
# start says so in one line and state-dir prints the directory in use. See lib.sh.
#
# Environment:
#   HUB_SERVICES_DIR         state root, used as given (default: chosen as above)
#   HUB_AMQP_PORT            AMQP port (default: 5672); distribution uses PORT+20000
#   HUB_AMQP_MGMT_PORT       management HTTP port (default: 15672)
#   HUB_AMQP_TLS_PORT        amqps port on loopback (default: HUB_AMQP_PORT - 1, i.e. 5671,
#                            the IANA amqps port, next to 5672); 0 opens no TLS listener.
#                            Its throwaway CA and server certificate (CN localhost, SAN
#                            127.0.0.1) are made with openssl under <state>/tls once; tls-ca
#                            prints the CA's path, for amqps://...?cafile=PATH
#   HUB_RABBITMQ_NODENAME    Erlang node name (default: hub@localhost, or
#                            hub-PORT@localhost when HUB_AMQP_PORT is not 5672)
#   HUB_RABBITMQ_MANAGEMENT  0 to disable the management plugin (default: 1;
#                            it adds under a second to start, ~5 s to stop)
#   HUB_RABBITMQ_COOKIE_HOME a directory holding the .erlang.cookie to use instead of the
#                            package's /var/lib/rabbitmq one (rabbitmq-cluster.sh sets it)
set -euo pipefail
umask 022

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"
# Set by set_paths once the service user exists (the package may not be installed yet).
# The Debian wrapper cd's to /var/lib/rabbitmq, so every path is absolute.
STATE_DIR=""
PID_FILE=""
AMQP_PORT=${HUB_AMQP_PORT:-5672}
DIST_PORT=$((AMQP_PORT + 20000))
MGMT_PORT=${HUB_AMQP_MGMT_PORT:-15672}
TLS_PORT=${HUB_AMQP_TLS_PORT:-$((AMQP_PORT - 1))}
MANAGEMENT=${HUB_RABBITMQ_MANAGEMENT:-1}
# One node name per AMQP port, so a second checkout on other ports neither
# collides with nor answers for the first one in epmd.
if [ "$AMQP_PORT" = 5672 ]; then
    NODE_NAME=${HUB_RABBITMQ_NODENAME:-hub@localhost}
else
    NODE_NAME=${HUB_RABBITMQ_NODENAME:-hub-$AMQP_PORT@localhost}
fi
PATH=$PATH:/usr/sbin:/sbin
COOKIE_HOME=${HUB_RABBITMQ_COOKIE_HOME:-}

die() {
    echo "rabbitmq.sh: $*" >&2
    exit 1
}

# Single source of truth for the environment of rabbitmq-server and of the CLI
# tools. The Debian wrappers switch to the rabbitmq user but keep RABBITMQ_* and
# ERL_* variables, and set HOME=/var/lib/rabbitmq, so server and CLI (even when
# called as root) share the cookie /var/lib/rabbitmq/.erlang.cookie.
rmq_env() {
    set_paths
    export RABBITMQ_NODENAME=$NODE_NAME
    export RABBITMQ_CONFIG_FILE=$STATE_DIR/rabbitmq.conf
    export RABBITMQ_MNESIA_BASE=$STATE_DIR/mnesia
    export RABBITMQ_LOG_BASE=$STATE_DIR/log
    export RABBITMQ_PID_FILE=$PID_FILE
    export RABBITMQ_ENABLED_PLUGINS_FILE=$STATE_DIR/enabled_plugins
    # Otherwise derived from RABBITMQ_NODE_PORT (not from the config file), i.e.
    # 25672 for every node whatever its AMQP port.
    export RABBITMQ_DIST_PORT=$DIST_PORT
    export ERL_EPMD_ADDRESS=127.0.0.1
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
    # The CLI tools are Erlang nodes too; keep their distribution port on loopback.
    export RABBITMQ_CTL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
}

# Runs a RabbitMQ tool. With a cookie home, as user rabbitmq with that directory as HOME, where
# Erlang looks for its cookie (the Debian wrappers would reset HOME to /var/lib/rabbitmq).
rmq_tool() {
    local tool=$1
    shift
    if [ -z "$COOKIE_HOME" ]; then
        "$tool" "$@"
    else
        run_as rabbitmq env HOME="$COOKIE_HOME" "/usr/lib/rabbitmq/bin/$tool" "$@"
    fi
}

ensure_installed() {
    command -v rabbitmq-server >/dev/null 2>&1 && return 0
    if [ "$(id -u)" -ne 0 ]; then
        die "rabbitmq-server is not installed; run as root or: apt-get install -y rabbitmq-server"
    fi
    echo "rabbitmq.sh: installing rabbitmq-server" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y rabbitmq-server
    # Without a policy-rc.d the package starts the distro node (rabbit@host on
    # 0.0.0.0:5672), which would take our port; invoke-rc.d honours any policy.
    invoke-rc.d rabbitmq-server stop >/dev/null 2>&1 || true
}

# Chooses the state directory (see lib.sh) and the paths under it.
set_paths() {
    resolve_services_dir rabbitmq rabbitmq
    STATE_DIR=$SERVICES_DIR/rabbitmq
    PID_FILE=$STATE_DIR/rabbitmq.pid
}

# Cheap pre-check that needs no Erlang VM (and does not spawn epmd).
registered_in_epmd() {
    epmd -names 2>/dev/null | grep -q "^name ${NODE_NAME%@*} at port "
}

node_answers() {
    registered_in_epmd && rmq_tool rabbitmq-diagnostics -q ping >/dev/null 2>&1
}

# True if $1 is a live (not zombie) beam.smp started with our environment.
is_our_beam() {
    local pid=$1 comm state
    read -r comm 2>/dev/null <"/proc/$pid/comm" || return 1
    [ "$comm" = beam.smp ] || return 1
    # A killed VM lingers as a zombie until init reaps it.
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [ "$state" != Z ] || return 1
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "RABBITMQ_PID_FILE=$PID_FILE"
}

# Prints the OS pid of our node's VM: from the pid file, else by scanning /proc
# (the pid file is written only some way into boot).
node_pid() {
    local pid p
    if [ -r "$PID_FILE" ]; then
        pid=$(tr -dc '0-9' <"$PID_FILE")
        if [ -n "$pid" ] && is_our_beam "$pid"; then
            echo "$pid"
            return 0
        fi
    fi
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        if is_our_beam "$pid"; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

check_ports_free() {
    local port
    for port in "$AMQP_PORT" "$DIST_PORT"; do
        ! port_in_use "$port" ||
            die "127.0.0.1:$port is already in use (AMQP $AMQP_PORT, distribution $DIST_PORT); set HUB_AMQP_PORT"
    done
    if [ "$TLS_PORT" != 0 ] && port_in_use "$TLS_PORT"; then
        die "127.0.0.1:$TLS_PORT is already in use; set HUB_AMQP_TLS_PORT (0: no TLS listener)"
    fi
    if [ "$MANAGEMENT" = 1 ] && port_in_use "$MGMT_PORT"; then
        die "127.0.0.1:$MGMT_PORT is already in use; set HUB_AMQP_MGMT_PORT or HUB_RABBITMQ_MANAGEMENT=0"
    fi
}

ensure_openssl() {
    command -v openssl >/dev/null 2>&1 && return 0
    [ "$(id -u)" -eq 0 ] || die "openssl is not installed; run as root or: apt-get install -y openssl"
    echo "rabbitmq.sh: installing openssl" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y openssl
}

# A throwaway CA and a server certificate it signed, made once per state directory: for
# loopback tests and demos of amqps, never for production (docs/operations.md).
ensure_tls_files() {
    local dir=$STATE_DIR/tls
    [ -s "$dir/server.pem" ] && [ -s "$dir/ca.pem" ] && return 0
    ensure_openssl
    mkdir -p "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=sehub throwaway test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 3650 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
    rm -f "$dir/server.csr" "$dir/server.ext" "$dir/ca.srl"
    chmod 0600 "$dir/ca.key" "$dir/server.key"
    chmod 0644 "$dir/ca.pem" "$dir/server.pem"
}

prepare_state_dir() {
    mkdir -p "$STATE_DIR/mnesia" "$STATE_DIR/log"
    [ "$TLS_PORT" = 0 ] || ensure_tls_files
    {
        echo "# Generated by scripts/services/rabbitmq.sh on every start; edits are overwritten."
        echo "listeners.tcp.1 = 127.0.0.1:$AMQP_PORT"
        if [ "$TLS_PORT" != 0 ]; then
            echo "listeners.ssl.1 = 127.0.0.1:$TLS_PORT"
            echo "ssl_options.cacertfile = $STATE_DIR/tls/ca.pem"
            echo "ssl_options.certfile = $STATE_DIR/tls/server.pem"
            echo "ssl_options.keyfile = $STATE_DIR/tls/server.key"
            # Clients are not asked for certificates: they log in with a user and password.
            echo "ssl_options.verify = verify_none"
            echo "ssl_options.fail_if_no_peer_cert = false"
            echo "ssl_options.versions.1 = tlsv1.3"
            echo "ssl_options.versions.2 = tlsv1.2"
        fi
        if [ "$MANAGEMENT" = 1 ]; then
            # Only valid when the plugin is enabled (unknown keys abort boot).
            echo "management.tcp.ip = 127.0.0.1"
            echo "management.tcp.port = $MGMT_PORT"
        fi
    } >"$STATE_DIR/rabbitmq.conf"
    # What 'rabbitmq-plugins enable --offline' would write, without its 2-3 s VM boot.
    if [ "$MANAGEMENT" = 1 ]; then
        echo "[rabbitmq_management]." >"$STATE_DIR/enabled_plugins"
    else
        echo "[]." >"$STATE_DIR/enabled_plugins"
    fi
    chown -R rabbitmq:rabbitmq "$STATE_DIR"
    check_reachable rabbitmq "$STATE_DIR"
}

# Only logs written by this start (rabbitmq.conf is rewritten just before it).
# Errors from before logging is set up (e.g. a bad config) go nowhere with -detached.
show_log_tail() {
    local f
    for f in "$STATE_DIR"/log/*.log; do
        if [ ! -s "$f" ] || [ ! "$f" -nt "$STATE_DIR/rabbitmq.conf" ]; then
            continue
        fi
        echo "--- tail of $f" >&2
        tail -n 30 "$f" >&2
    done
}

# The node answers ping before its plugins listen: the management API (hub provision) comes
# up seconds after AMQP. Ready means every listener we configured accepts connections.
wait_for_listeners() {
    local port start=$SECONDS
    local ports=("$AMQP_PORT")
    [ "$TLS_PORT" = 0 ] || ports+=("$TLS_PORT")
    [ "$MANAGEMENT" != 1 ] || ports+=("$MGMT_PORT")
    for port in "${ports[@]}"; do
        until port_in_use "$port"; do
            if [ $((SECONDS - start)) -ge 60 ]; then
                show_log_tail
                die "node $NODE_NAME is not listening on 127.0.0.1:$port after 60 s"
            fi
            sleep 0.2
        done
    done
}

wait_until_up() {
    local start=$SECONDS
    until rmq_tool rabbitmq-diagnostics -q ping >/dev/null 2>&1; do
        if [ $((SECONDS - start)) -ge 60 ]; then
            show_log_tail
            die "node $NODE_NAME did not answer ping within 60 s"
        fi
        # Give the detached VM a moment to appear before deciding it died.
        if [ $((SECONDS - start)) -ge 5 ] && ! node_pid >/dev/null; then
            show_log_tail
            die "node $NODE_NAME exited during boot; see $STATE_DIR/log, or run rabbitmq-server in the foreground with the same environment"
        fi
        sleep 1
    done
    rmq_tool rabbitmqctl -q await_startup --timeout 120 >/dev/null
}

cmd_start() {
    ensure_installed
    require_root_or rabbitmq
    rmq_env
    prepare_services_dir rabbitmq rabbitmq
    mkdir -p "$STATE_DIR"
    # Outside the checkout, so private to the node (logs, config, database).
    ! services_dir_is_fallback || chmod 0700 "$STATE_DIR"
    exec 9>"$STATE_DIR/.lock"
    flock 9
    if node_answers; then
        wait_for_listeners
        echo "rabbitmq already running on 127.0.0.1:$AMQP_PORT"
        return 0
    fi
    if node_pid >/dev/null; then
        echo "rabbitmq: node process exists but does not answer yet; waiting" >&2
    else
        check_ports_free
        prepare_state_dir
        # A pid file left by kill -9 is harmless (the node rewrites it) but misleading.
        rm -f "$PID_FILE"
        # 9>&- keeps the detached VM from inheriting (and holding) our lock.
        rmq_tool rabbitmq-server -detached 9>&-
    fi
    wait_until_up
    wait_for_listeners
    echo "rabbitmq ready on 127.0.0.1:$AMQP_PORT"
    if [ "$TLS_PORT" != 0 ]; then
        echo "rabbitmq amqps on 127.0.0.1:$TLS_PORT (CA: $STATE_DIR/tls/ca.pem)"
    fi
    if [ "$MANAGEMENT" = 1 ]; then
        echo "rabbitmq management on http://127.0.0.1:$MGMT_PORT/"
    fi
}

stop_epmd_if_idle() {
    local names
    names=$(epmd -names 2>/dev/null) || return 0
    if ! grep -q '^name ' <<<"$names"; then
        epmd -kill >/dev/null 2>&1 || true
    fi
}

cmd_stop() {
    local pid i
    require_root_or rabbitmq
    rmq_env
    if [ -d "$STATE_DIR" ]; then
        exec 9>"$STATE_DIR/.lock"
        flock 9
    fi
    # shutdown returns once the VM has exited.
    if registered_in_epmd && rmq_tool rabbitmqctl -q shutdown >/dev/null 2>&1; then
        echo "rabbitmq stopped"
    elif pid=$(node_pid); then
        # Running but not answering (still booting or wedged).
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 30; i++)); do
            is_our_beam "$pid" || break
            sleep 1
        done
        kill -KILL "$pid" 2>/dev/null || true
        echo "rabbitmq stopped (pid $pid did not answer)"
    else
        echo "rabbitmq not running"
    fi
    rm -f "$PID_FILE"
    stop_epmd_if_idle
}

cmd_status() {
    rmq_env
    if node_answers; then
        if node_pid >/dev/null; then
            echo "rabbitmq running on 127.0.0.1:$AMQP_PORT (node $NODE_NAME, state in $STATE_DIR)"
        else
            echo "rabbitmq running on 127.0.0.1:$AMQP_PORT (node $NODE_NAME)"
        fi
        return 0
    fi
    echo "rabbitmq not running"
    return 3
}

cmd_pid() {
    local pid
    rmq_env
    if pid=$(node_pid); then
        echo "$pid"
        return 0
    fi
    node_answers || die "node $NODE_NAME is not running"
    pid=$(rmq_tool rabbitmqctl -q eval 'os:getpid().')
    echo "${pid//\"/}"
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    pid) cmd_pid ;;
    install) ensure_installed ;;
    state-dir)
        set_paths
        echo "$STATE_DIR"
        ;;
    tls-ca)
        set_paths
        echo "$STATE_DIR/tls/ca.pem"
        ;;
    *)
        echo "usage: $0 {start|stop|status|pid|install|state-dir|tls-ca}" >&2
        exit 2
        ;;
esac
