# Production environment for one machine, sourced by deploy/serve.sh and deploy/manage.sh.
# Every value comes from the environment when set; the defaults suit one machine on loopback.
# See the README, "Production", for what to set on a real host.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}

export DEBUG=0
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/clarioscope}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export HOST=${HOST:-127.0.0.1}
export PORT=${PORT:-8000}
export CLARIOSCOPE_DATA_DIR=${CLARIOSCOPE_DATA_DIR:-$ROOT/var}
# Every web process and worker reads models from here; on several machines, a shared mount.
export CLARIOSCOPE_MODEL_DIR=${CLARIOSCOPE_MODEL_DIR:-$CLARIOSCOPE_DATA_DIR/models}
export CELERY_CONCURRENCY=${CELERY_CONCURRENCY:-2}
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1}
export TOKENIZERS_PARALLELISM=false
export PYTHON
# Plain HTTP on loopback has no TLS to redirect to. Behind a TLS-terminating proxy that sets
# X-Forwarded-Proto, leave SECURE_SSL_REDIRECT unset (on) as `check --deploy` expects.
case "$HOST" in
  127.*|localhost) export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-0} ;;
esac
mkdir -p "$CLARIOSCOPE_DATA_DIR" "$CLARIOSCOPE_MODEL_DIR"

if [ -z "${SECRET_KEY:-}" ]; then
  # No default secret: one random key per data directory, created once, readable by its owner
  # only. Several machines must share one key: set SECRET_KEY on each of them instead.
  KEY_FILE=$CLARIOSCOPE_DATA_DIR/secret_key
  if [ ! -s "$KEY_FILE" ]; then
    (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$KEY_FILE")
    echo "serve: created a SECRET_KEY in $KEY_FILE" >&2
  fi
  SECRET_KEY=$(cat "$KEY_FILE")
  export SECRET_KEY
fi
