#!/bin/sh
# Run once by the postgres image, on an empty data directory (docker-entrypoint-initdb.d):
# the two least-privilege roles of hub/db/_roles.py. Their rights are granted afterwards, by
# the tables' owner, in docker-compose.yml's one-shot `migrate` service (`hub db grant`).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v writer_password="$HUB_DB_WRITER_PASSWORD" \
    -v auditor_password="$HUB_DB_AUDITOR_PASSWORD" <<'SQL'
CREATE ROLE hub_writer LOGIN PASSWORD :'writer_password';
CREATE ROLE hub_auditor LOGIN PASSWORD :'auditor_password';
SQL
