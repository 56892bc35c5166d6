#!/usr/bin/env bash
# Production mode on this machine: gunicorn, a Celery worker on `default`, a Celery worker on
# `mlops` (concurrency 1), Celery beat, against PostgreSQL and Redis; static files by whitenoise.
# Settings: deploy/env.sh (each overridable from the environment). README, "Production".
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/env.sh

echo "serve: database $DATABASE_URL, broker $REDIS_URL, models in $CLARIOSCOPE_MODEL_DIR"
"$PYTHON" deploy/createdb.py
"$PYTHON" manage.py migrate --noinput
"$PYTHON" manage.py collectstatic --noinput --verbosity 0
# On loopback this reports W008 (no SSL redirect) and nothing else; a real host reports nothing.
"$PYTHON" manage.py check --deploy
"$PYTHON" manage.py ensure_model
echo "serve: http://$HOST:$PORT/ (web, worker, mlops, beat; Ctrl-C stops all)"
echo "serve: users and keys: ./deploy/manage.sh create_demo, ./deploy/manage.sh create_api_key --practice SLUG"
exec "$PYTHON" deploy/supervise.py deploy/Procfile --state "$CLARIOSCOPE_DATA_DIR/processes.json" ${SERVE_ONLY:+--only "$SERVE_ONLY"}
