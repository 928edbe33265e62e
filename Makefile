# Two commands for a newcomer: `make run` and `make test`. Everything else is a building block.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help venv run test lint typecheck unit integration services services-stop \
        rabbitmq rabbitmq-stop postgres postgres-stop demo bench bench-audit faults cluster-faults \
        rabbitmq-cluster rabbitmq-cluster-stop clean

help:
	@echo "make run            start RabbitMQ and run the hub with the demo configuration"
	@echo "make test           start RabbitMQ and PostgreSQL, then ruff, mypy and pytest"
	@echo "make services       start RabbitMQ and PostgreSQL (idempotent)"
	@echo "make services-stop  stop them"
	@echo "make bench          every benchmark of issue 13: latest.json, docs/benchmarks.md (< 15 min)"
	@echo "make bench-audit    benchmark the audit log (PostgreSQL and SQLite; SIZES=10000,100000)"
	@echo "make faults         kill -9 the broker and the hub while posting; count losses (docs/faults.md)"
	@echo "make cluster-faults the same against a 3-node RabbitMQ cluster, one node killed at a time"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

services:
	scripts/services/all.sh start

services-stop:
	scripts/services/all.sh stop

rabbitmq:
	scripts/services/rabbitmq.sh start

rabbitmq-stop:
	scripts/services/rabbitmq.sh stop

# Three nodes on $HUB_AMQP_PORT, +2, +4 (management on $HUB_AMQP_MGMT_PORT, +2, +4).
rabbitmq-cluster:
	scripts/services/rabbitmq-cluster.sh start

rabbitmq-cluster-stop:
	scripts/services/rabbitmq-cluster.sh stop

postgres:
	scripts/services/postgres.sh start

postgres-stop:
	scripts/services/postgres.sh stop

demo: venv
	$(BIN)/hub demo init

# The hub runs as the broker user hub provision made for the router; guest stays for the tests
# and the other commands (docs/operations.md, "Broker identities").
run: venv rabbitmq demo
	HUB_RABBITMQ_ADMIN_URL="$${HUB_RABBITMQ_ADMIN_URL:-http://guest:guest@127.0.0.1:$${HUB_AMQP_MGMT_PORT:-15672}}" \
		$(BIN)/hub provision --keep-guest
	HUB_AMQP_URL="$$(cat var/demo/amqp/sehub-router.url)" $(BIN)/hub run

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

# pytest exits 5 when it collects nothing; an empty subset is not a failure.
unit: venv
	$(BIN)/pytest tests/unit || [ $$? -eq 5 ]

integration: venv services
	$(BIN)/pytest tests/integration || [ $$? -eq 5 ]

test: lint typecheck unit integration

# Not a test: the relay, the hub end to end, decide() and the audit log, one progress bar;
# writes bench/results/latest.json and docs/benchmarks.md's results and plots. Its PostgreSQL
# database hub_bench is wiped. The audit part stops at 10^5 to keep the whole run under 15
# minutes (make bench BENCH_AUDIT_SIZES=10000,100000,1000000 for the full curve, about 5 more).
BENCH_AUDIT_SIZES ?= 10000,100000
bench: venv services
	$(BIN)/python -m bench --audit-sizes $(BENCH_AUDIT_SIZES)

# Not a test: it measures, and writes bench/results/audit.json (docs/benchmarks.md).
# The PostgreSQL database given is wiped; its name must end in _test or _bench.
BENCH_POSTGRES_URL ?= postgresql+asyncpg://hub:hub@127.0.0.1:$${HUB_PG_PORT:-55432}/hub_test
SIZES ?= 10000,100000,1000000
bench-audit: venv postgres
	$(BIN)/python -m bench.audit --sizes $(SIZES) --postgres-url "$(BENCH_POSTGRES_URL)"

# Not a test either: kill -9 runs against its own RabbitMQ and PostgreSQL (var/faults/services, on
# $HUB_AMQP_PORT and $HUB_PG_PORT, which must be free), writing bench/results/faults.json.
# Every count can be set by FAULTS_<FLAG> (FAULTS_NOTIFICATIONS=2000 make faults) or FAULTS_ARGS.
FAULTS_ARGS ?=
faults: venv
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)

# make faults against its own 3-node RabbitMQ cluster ($HUB_AMQP_PORT, +2, +4; their +20000),
# writing bench/results/cluster-faults.json; fewer notifications by default (about 8 minutes).
cluster-faults: venv
	$(BIN)/python -m bench.cluster_faults $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
