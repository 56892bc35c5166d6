"""Production settings pass Django's deployment checks; health probes tell the truth.

Settings are read once per process, so production mode is tested in subprocesses started with
the environment a real deployment would have.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client, RequestFactory

from clarioscope.errors import server_error
from mlops import registry
from tests.stack import ROOT, free_port

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-of-enough-length-and-variety-0123456789-QWERTY",
    "ALLOWED_HOSTS": "intake.clinic.example",
    "DATABASE_URL": "postgres://clarioscope:pw@db.internal:5432/clarioscope",
    "REDIS_URL": "redis://cache.internal:6379/0",
}


def run_manage(
    args: list[str], env_overrides: dict[str, str | None]
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    for key in (
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    ):
        env.pop(key, None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_no_warnings_with_production_settings():
    result = run_manage(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_settings_refuse_to_load_without_secret_key_when_debug_is_off():
    result = run_manage(["manage.py", "check"], {**PRODUCTION_ENV, "SECRET_KEY": None})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_settings_turn_on_hsts_secure_cookies_and_csp():
    probe = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'DEBUG', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_SSL_REDIRECT', "
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'CONTENT_SECURITY_POLICY', 'X_FRAME_OPTIONS', 'CELERY_TASK_ALWAYS_EAGER')}))"
    )
    env = {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "clarioscope.settings"}
    result = run_manage(["-c", probe], env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert "script-src 'self'" in values["CONTENT_SECURITY_POLICY"]
    assert "frame-ancestors 'none'" in values["CONTENT_SECURITY_POLICY"]
    assert values["X_FRAME_OPTIONS"] == "DENY"
    # Production hands classification to real workers; nothing runs in the web process.
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False


def test_every_response_carries_csp_and_no_store(client: Client):
    response = client.get("/healthz")
    assert response.headers["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_healthz_answers_ok(client: Client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_database_broker_and_model_ready(client: Client, tiny_model_dir: Path):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["broker"].startswith("ok")
    assert checks["model"] == f"ok: {tiny_model_dir.name}"


@pytest.mark.django_db
def test_readyz_says_why_when_model_files_are_corrupt(
    client: Client, tiny_model_dir: Path, tmp_path
):
    corrupt = tmp_path / "corrupt-model"
    shutil.copytree(tiny_model_dir, corrupt)
    (corrupt / "model.safetensors").write_bytes(b"\x00not a safetensors file" * 64)
    settings.CLARIOSCOPE_MODEL = str(corrupt)
    registry.reset_cache()

    response = client.get("/readyz")

    assert response.status_code == 503
    model_check = response.json()["checks"]["model"]
    assert model_check.startswith("error: model corrupt-model failed to load")
    assert registry.last_load_error() in model_check


@pytest.mark.django_db
def test_readyz_says_why_when_model_directory_is_missing(client: Client, tmp_path):
    settings.CLARIOSCOPE_MODEL = str(tmp_path / "no-such-model")
    registry.reset_cache()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert "failed to load" in response.json()["checks"]["model"]


@pytest.mark.django_db
def test_readyz_reports_an_unreachable_broker(client: Client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error: ConnectionError")
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.parametrize("path", ["/api/v1/messages/", "/hooks/twilio/x/sms/", "/review/"])
def test_an_outage_escaping_a_view_answers_503_with_retry_after(path: str):
    request = RequestFactory().post(path)
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


def test_a_bug_escaping_a_view_is_still_a_500():
    request = RequestFactory().get("/api/v1/messages/")
    try:
        raise KeyError("bug")
    except KeyError:
        response = server_error(request)
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "error": "server_error",
        "detail": "Internal server error.",
    }


@pytest.mark.faults
@pytest.mark.postgres
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"] or not shutil.which("redis-server"),
    reason="`make serve` runs on PostgreSQL and Redis (set DATABASE_URL; install redis-server)",
)
def test_serve_script_starts_every_process_and_serves_in_production_mode(
    tiny_model_dir: Path, tmp_path: Path
):
    """deploy/serve.sh as `make serve` runs it: database created, migrated, static collected,
    a model ensured, then web + default worker + mlops worker + beat under the supervisor."""
    import psycopg

    from tests.stack import RedisServer, http, wait_until

    db = settings.DATABASES["default"]
    name = f"clarioscope_serve_{os.getpid()}"
    base = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    redis = RedisServer()
    redis.start()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"{base}/{name}",
        "REDIS_URL": redis.url,
        "PORT": str(port),
        "CLARIOSCOPE_DATA_DIR": str(tmp_path / "data"),
        "CLARIOSCOPE_MODEL": str(tiny_model_dir),
        "WEB_CONCURRENCY": "1",
        "CELERY_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
        "SUPERVISE_STOP_GRACE_SECONDS": "15",
    }
    for key in (
        "DEBUG",
        "SECRET_KEY",
        "DJANGO_SETTINGS_MODULE",
        "SECURE_SSL_REDIRECT",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    ):
        env.pop(key, None)
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        ["./deploy/serve.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            if serve.poll() is not None:
                log.flush()
                tail = (tmp_path / "serve.log").read_text(errors="replace")[-3000:]
                raise AssertionError(f"serve.sh exited with {serve.returncode}:\n{tail}")
            try:
                return http("GET", f"{url}/readyz", timeout=5)[0] == 200
            except OSError:
                return False

        wait_until(ready, timeout=240, interval=1)
        state = json.loads((tmp_path / "data" / "processes.json").read_text())
        assert set(state) == {"web", "worker", "mlops", "beat"}
        # The secret was generated once, readable by its owner only; no default was used.
        assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0
        key = subprocess.run(
            ["./deploy/manage.sh", "create_api_key", "--practice", "serve-check"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
        status, response_headers, body = http(
            "POST",
            f"{url}/api/v1/messages/",
            body=json.dumps({"channel": "email", "text": "can I book a flu shot"}).encode(),
            headers=headers,
        )
        assert status == 201, body
        assert json.loads(body)["status"] == "classified"
        # Plain HTTP on loopback: no HSTS (browsers ignore it there anyway), no redirect loop.
        assert "Strict-Transport-Security" not in response_headers
        # The workers classify what the web process queued.
        status, _, body = http(
            "POST",
            f"{url}/api/v1/messages/batch/",
            body=json.dumps({"messages": [{"channel": "sms", "text": "refill please"}]}).encode(),
            headers=headers,
        )
        assert status == 202, body
        message_id = json.loads(body)["ids"][0]
        wait_until(
            lambda: (
                json.loads(http("GET", f"{url}/api/v1/messages/{message_id}/", headers=headers)[2])[
                    "status"
                ]
                == "classified"
            ),
            timeout=60,
        )
        # Static files by whitenoise, pages rendered against the collected manifest.
        assert http("GET", f"{url}/static/admin/css/base.css")[0] == 200
        login = http("GET", f"{url}/accounts/login/")
        assert login[0] == 200 and "Content-Security-Policy" in login[1]
        # Behind a TLS proxy (X-Forwarded-Proto: https) the HSTS header is sent.
        hsts = http("GET", f"{url}/healthz", headers={"X-Forwarded-Proto": "https"})[1]
        assert "max-age=31536000" in hsts.get("Strict-Transport-Security", "")
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(60)
        except subprocess.TimeoutExpired:
            serve.kill()
        redis.stop()
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    log.close()
    output = (tmp_path / "serve.log").read_text(errors="replace")
    assert serve.returncode == 0, output[-3000:]
    assert "all processes stopped" in output
