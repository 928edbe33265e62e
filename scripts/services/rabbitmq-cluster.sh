#!/usr/bin/env bash
# A project-local RabbitMQ cluster on loopback: N nodes (default 3) joined into one cluster,
# for quorum queues replicated over several nodes and for killing one of them.
# Usage: scripts/services/rabbitmq-cluster.sh {start|stop|status|pid|urls|state-dir}
#            [--nodes N] [--node I]
#
# Each node is a rabbitmq.sh node of its own (so it starts, stops, reports its pid and
# stays on loopback the same way), with its state in <cluster>/<node name>/rabbitmq (so two
# clusters of one checkout on other ports keep apart), where
# <cluster> is <repo>/var/services/rabbitmq-cluster or, when user rabbitmq cannot reach
# that (a clone under a private home directory), /var/lib/sehub-services/<hash>/
# rabbitmq-cluster (see lib.sh). Node I (from 1) listens on:
#
#   AMQP          HUB_AMQP_PORT      + STEP * (I-1)     default base 5672, STEP 2
#   management    HUB_AMQP_MGMT_PORT + STEP * (I-1)     default base 15672
#   distribution  its AMQP port + 20000 (rabbitmq.sh); no amqps listener
#
# and is named sehub<I>@localhost (sehub<I>-<its AMQP port>@localhost off the default base
# port, so that another checkout's cluster never answers for this one in epmd).
#
# The nodes share one Erlang cookie, generated on the first start into <cluster>/home/
# .erlang.cookie (owned by rabbitmq, mode 0400, in a 0700 directory; never in the
# repository): the nodes and the CLI tools run with that directory as HOME, not with the
# package's /var/lib/rabbitmq cookie. Nodes 2..N join node 1 with join_cluster once; after
# that a node restarted (or killed and restarted) rejoins by itself.
#
# start   starts every node that is not running, in parallel (a node that was stopped
#         while its peers ran waits for them at boot), joins those not yet clustered, and
#         returns once all N are running in the cluster. Idempotent.
# stop    stops every node (--node I: only that one).
# status  exit 0 when all N nodes run in one cluster, 3 otherwise.
# pid     --node I: the OS pid of node I's VM (for kill -9 in fault runs).
# urls    the AMQP URLs of the nodes as guest, comma-separated (HUB_AMQP_URL takes them).
#
# Environment: HUB_SERVICES_DIR, HUB_AMQP_PORT, HUB_AMQP_MGMT_PORT, HUB_RABBITMQ_MANAGEMENT
# (0: no management plugin) as for rabbitmq.sh; HUB_CLUSTER_PORT_STEP (default 2: room for
# rabbitmq.sh's amqps port below each AMQP port).
set -euo pipefail
umask 022

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"
BASE_AMQP_PORT=${HUB_AMQP_PORT:-5672}
BASE_MGMT_PORT=${HUB_AMQP_MGMT_PORT:-15672}
STEP=${HUB_CLUSTER_PORT_STEP:-2}
NODES=3
ONLY_NODE=""
CLUSTER_DIR=""
COOKIE_HOME=""
PATH=$PATH:/usr/sbin:/sbin

die() {
    echo "rabbitmq-cluster.sh: $*" >&2
    exit 1
}

amqp_port() { echo $((BASE_AMQP_PORT + STEP * ($1 - 1))); }
mgmt_port() { echo $((BASE_MGMT_PORT + STEP * ($1 - 1))); }

node_name() {
    if [ "$BASE_AMQP_PORT" = 5672 ]; then
        echo "sehub$1@localhost"
    else
        echo "sehub$1-$(amqp_port "$1")@localhost"
    fi
}

set_paths() {
    resolve_services_dir rabbitmq rabbitmq-cluster
    CLUSTER_DIR=$SERVICES_DIR/rabbitmq-cluster
    COOKIE_HOME=$CLUSTER_DIR/home
}

# rabbitmq.sh ACTION for node $1, with the node's ports, name, state and the cluster's cookie.
node_script() {
    local i=$1
    shift
    HUB_SERVICES_DIR=$CLUSTER_DIR/$(node_name "$i" | cut -d@ -f1) \
        HUB_AMQP_PORT=$(amqp_port "$i") \
        HUB_AMQP_MGMT_PORT=$(mgmt_port "$i") \
        HUB_AMQP_TLS_PORT=0 \
        HUB_RABBITMQ_NODENAME=$(node_name "$i") \
        HUB_RABBITMQ_COOKIE_HOME=$COOKIE_HOME \
        "$SCRIPT_DIR/rabbitmq.sh" "$@"
}

# rabbitmqctl against node $1, as user rabbitmq with the cluster's cookie, on loopback.
ctl() {
    local i=$1
    shift
    ERL_EPMD_ADDRESS=127.0.0.1 \
        RABBITMQ_CTL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' \
        run_as rabbitmq env HOME="$COOKIE_HOME" /usr/lib/rabbitmq/bin/rabbitmqctl \
        -q -n "$(node_name "$i")" "$@"
}

nodes_to_act_on() {
    if [ -n "$ONLY_NODE" ]; then
        echo "$ONLY_NODE"
    else
        seq 1 "$NODES"
    fi
}

# The cluster's directory (0700, user rabbitmq) and its cookie, made once.
prepare_cluster_dir() {
    local cookie=$COOKIE_HOME/.erlang.cookie
    prepare_services_dir rabbitmq rabbitmq-cluster
    mkdir -p "$CLUSTER_DIR" "$COOKIE_HOME"
    chown rabbitmq:rabbitmq "$CLUSTER_DIR" "$COOKIE_HOME"
    chmod 0700 "$CLUSTER_DIR" "$COOKIE_HOME"
    if [ ! -s "$cookie" ]; then
        # 32 bytes from the kernel's generator, in hex (a cookie is at most 255 characters).
        (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$cookie.new")
        chown rabbitmq:rabbitmq "$cookie.new"
        chmod 0400 "$cookie.new"
        mv -f "$cookie.new" "$cookie"
    fi
}

# True if node $1 counts node 1 among its cluster's members (running or not).
is_clustered() {
    local status
    status=$(ctl "$1" cluster_status --formatter json 2>/dev/null) || return 1
    [[ $status == *"\"$(node_name 1)\""* ]]
}

join_node() {
    local i=$1
    echo "rabbitmq-cluster.sh: joining $(node_name "$i") to $(node_name 1)" >&2
    ctl "$i" stop_app >>"$CLUSTER_DIR/join.log" 2>&1
    # A node joins empty; it has held nothing yet (it was never in this cluster).
    ctl "$i" reset >>"$CLUSTER_DIR/join.log" 2>&1
    ctl "$i" join_cluster "$(node_name 1)" >>"$CLUSTER_DIR/join.log" 2>&1 ||
        die "$(node_name "$i") could not join; see $CLUSTER_DIR/join.log"
    ctl "$i" start_app >>"$CLUSTER_DIR/join.log" 2>&1
}

cmd_start() {
    local i rc=0
    local -a pids=()
    "$SCRIPT_DIR/rabbitmq.sh" install
    require_root_or rabbitmq
    set_paths
    prepare_cluster_dir
    exec 8>"$CLUSTER_DIR/.lock"
    flock 8
    # In parallel: a node restarted after its peers went down waits for them at boot.
    for i in $(seq 1 "$NODES"); do
        node_script "$i" start 8>&- >"$CLUSTER_DIR/start-$i.out" 2>&1 &
        pids+=($!)
    done
    for i in $(seq 1 "$NODES"); do
        if ! wait "${pids[$((i - 1))]}"; then
            rc=1
            echo "rabbitmq-cluster.sh: node $i did not start:" >&2
            tail -n 20 "$CLUSTER_DIR/start-$i.out" >&2
        fi
    done
    [ "$rc" = 0 ] || die "not every node started; the others are left running (stop them with: $0 stop)"
    for i in $(seq 2 "$NODES"); do
        is_clustered "$i" || join_node "$i"
    done
    ctl 1 await_online_nodes "$NODES" --timeout 120000 >/dev/null ||
        die "the cluster did not reach $NODES running nodes"
    echo "rabbitmq cluster of $NODES nodes ready: $(cmd_urls)"
}

cmd_stop() {
    local i rc=0
    local -a pids=()
    require_root_or rabbitmq
    set_paths
    [ -d "$CLUSTER_DIR" ] || {
        echo "rabbitmq cluster not running"
        return 0
    }
    for i in $(nodes_to_act_on); do
        node_script "$i" stop &
        pids+=($!)
    done
    for i in "${pids[@]}"; do
        wait "$i" || rc=1
    done
    return "$rc"
}

cmd_status() {
    local i running=0 status
    set_paths
    for i in $(seq 1 "$NODES"); do
        if node_script "$i" status >/dev/null 2>&1; then
            running=$((running + 1))
        fi
    done
    if [ "$running" = "$NODES" ]; then
        status=$(ctl 1 cluster_status --formatter json 2>/dev/null || true)
        for i in $(seq 1 "$NODES"); do
            [[ $status == *"\"$(node_name "$i")\""* ]] || {
                echo "rabbitmq cluster: $(node_name "$i") runs but is not in the cluster"
                return 3
            }
        done
        echo "rabbitmq cluster running: $NODES nodes ($(cmd_urls)), state in $CLUSTER_DIR"
        return 0
    fi
    echo "rabbitmq cluster: $running of $NODES nodes running"
    return 3
}

cmd_urls() {
    local i urls=()
    for i in $(seq 1 "$NODES"); do
        urls+=("amqp://guest:guest@127.0.0.1:$(amqp_port "$i")/")
    done
    (IFS=,; echo "${urls[*]}")
}

ACTION=${1:-}
[ $# -eq 0 ] || shift
while [ $# -gt 0 ]; do
    case $1 in
        --nodes) NODES=${2:?--nodes needs a number}; shift 2 ;;
        --node) ONLY_NODE=${2:?--node needs a number}; shift 2 ;;
        *) die "unknown option $1" ;;
    esac
done
[[ $NODES =~ ^[1-9][0-9]*$ ]] || die "--nodes must be a positive number"
if [ -n "$ONLY_NODE" ]; then
    if ! [[ $ONLY_NODE =~ ^[1-9][0-9]*$ ]] || [ "$ONLY_NODE" -gt "$NODES" ]; then
        die "--node must be between 1 and $NODES"
    fi
fi

case $ACTION in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    pid)
        [ -n "$ONLY_NODE" ] || die "pid needs --node I"
        set_paths
        node_script "$ONLY_NODE" pid
        ;;
    urls) cmd_urls ;;
    state-dir)
        set_paths
        echo "$CLUSTER_DIR"
        ;;
    *)
        echo "usage: $0 {start|stop|status|pid|urls|state-dir} [--nodes N] [--node I]" >&2
        exit 2
        ;;
esac
