#!/usr/bin/env bash
# Start or stop every project-local service (PostgreSQL and RabbitMQ).
# Usage: scripts/services/all.sh {start|stop|status}
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

case ${1:-} in
    start)
        "$SCRIPT_DIR/postgres.sh" start
        "$SCRIPT_DIR/rabbitmq.sh" start
        ;;
    stop)
        # Stop both even if the first one fails; report failure at the end.
        rc=0
        "$SCRIPT_DIR/rabbitmq.sh" stop || rc=1
        "$SCRIPT_DIR/postgres.sh" stop || rc=1
        exit "$rc"
        ;;
    status)
        # Exits 0 only if both are running.
        rc=0
        "$SCRIPT_DIR/postgres.sh" status || rc=$?
        "$SCRIPT_DIR/rabbitmq.sh" status || rc=$?
        exit "$rc"
        ;;
    *)
        echo "usage: $0 {start|stop|status}" >&2
        exit 2
        ;;
esac
