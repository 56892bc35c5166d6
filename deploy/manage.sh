#!/usr/bin/env bash
# manage.py with the environment `make serve` runs in (same database, broker, secret, models):
#   ./deploy/manage.sh create_demo
#   ./deploy/manage.sh create_api_key --practice sunrise-clinic
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/env.sh
exec "$PYTHON" manage.py "$@"
