"""Sustained ingestion load on loopback: REST API + Twilio SMS webhook against the production stack.

    .venv/bin/python bench/load_run.py [--duration 60] [--users 8] [--mix 1:1] [--tool wrk]
    make bench-load LOAD_ARGS="--duration 60 --users 8"

Starts what `make serve` starts (gunicorn in production mode, a Celery worker on `default`, beat;
deploy/supervise.py over deploy/Procfile) against PostgreSQL (database `clarioscope_bench`, created
and migrated here) and a private redis-server on a free loopback port, then drives it for a bounded
time with wrk (bench/load_wrk.lua: closed loop, one connection per wrk thread, so every answer is
matched to its message id) or locust (headless, paced at --rate). Every message carries a unique
external id; REST and SMS webhook requests go over separate connections. At the end it waits
for the workers to drain and proves from the database that every accepted message was stored
exactly once and classified. Prints a table; writes every figure to bench/results/load.json.

--url and --database-url point it at a stack that is already running (`make serve`) instead.
Only loopback addresses are accepted as targets. The load generator shares the machine's cores
with the service it measures; the JSON records how the CPU time was split.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/clarioscope_bench"
DRAIN_TIMEOUT_SECONDS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except OSError:
        return 0, b""


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise SystemExit(f"load_run: {what} not reached within {timeout:.0f}s")


def newest_trained_model() -> str:
    """The newest checkpoint `make run`/`make serve` trained into var/models, if any."""
    models = ROOT / "var" / "models"
    candidates = (
        [
            p
            for p in models.glob("*")
            if not p.name.startswith(".") and (p / "config.json").is_file()
        ]
        if models.is_dir()
        else []
    )
    return str(max(candidates, key=lambda p: p.stat().st_mtime)) if candidates else ""


def stack_environment(database_url: str) -> dict[str, str]:
    """Production mode on loopback against `database_url`, for the processes OwnStack starts."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHON": PYTHON,
    }


class OwnStack:
    """A private redis-server plus the supervised production processes."""

    def __init__(self, args: argparse.Namespace, env: dict[str, str]) -> None:
        self.args = args
        self.env = env
        self.port = free_port()
        self.redis_port = free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="clarioscope-load-"))
        self.redis: subprocess.Popen[bytes] | None = None
        self.supervisor: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise SystemExit("load_run: redis-server is not installed (apt install redis-server)")
        self.redis = subprocess.Popen(
            [
                redis_server,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
        )
        self.env.update(
            {
                "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "PORT": str(self.port),
                "HOST": "127.0.0.1",
                "CLARIOSCOPE_DATA_DIR": str(self.tmp),
                "WEB_CONCURRENCY": str(self.args.web_workers),
                "GUNICORN_THREADS": str(self.args.web_threads),
                "CELERY_CONCURRENCY": str(self.args.celery_concurrency),
            }
        )
        subprocess.run([PYTHON, "deploy/createdb.py"], cwd=ROOT, env=self.env, check=True)
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=self.env, check=True
        )
        log = (self.tmp / "stack.log").open("ab")
        self.supervisor = subprocess.Popen(
            [
                PYTHON,
                "deploy/supervise.py",
                "deploy/Procfile",
                "--only",
                "web,worker,beat",
                "--state",
                str(self.tmp / "processes.json"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: get(f"{self.url}/readyz")[0] == 200, 180, "stack ready (/readyz 200)")

    def processes(self) -> list[psutil.Process]:
        if self.supervisor is None:
            return []
        try:
            root = psutil.Process(self.supervisor.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        if self.supervisor is not None and self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)
            try:
                self.supervisor.wait(60)
            except subprocess.TimeoutExpired:
                self.supervisor.kill()
        if self.redis is not None and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait(10)


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, tuple[str, float]]:
    """CPU seconds so far of each process, with its role (web, worker, beat, supervisor)."""
    out = {}
    for process in processes:
        try:
            times = process.cpu_times()
            cmdline = " ".join(process.cmdline())
        except psutil.NoSuchProcess:
            continue
        role = next(
            (r for key, r in ROLES if key in cmdline),
            "other",
        )
        out[process.pid] = (role, times.user + times.system)
    return out


ROLES = (
    ("gunicorn", "web"),
    ("worker --queues default", "worker"),
    (" beat ", "beat"),
    ("supervise.py", "supervisor"),
)


def latency_stats(samples: list[list[Any]], kind: str | None) -> dict[str, float]:
    """Exact percentiles of the recorded response times of one endpoint kind (None: all)."""
    import numpy as np

    picked = [s for s in samples if kind is None or s[0] == kind]
    if not picked:
        return {"requests": 0, "failures": 0}
    times = np.array([s[2] for s in picked], dtype=float)
    ends = [s[1] for s in picked]
    span = max(ends) - min(ends) or 1.0
    return {
        "requests": len(picked),
        "failures": sum(1 for s in picked if not s[3]),
        "rps": round(len(picked) / span, 1),
        "p50_ms": round(float(np.percentile(times, 50)), 1),
        "p95_ms": round(float(np.percentile(times, 95)), 1),
        "p99_ms": round(float(np.percentile(times, 99)), 1),
        "max_ms": round(float(times.max()), 1),
        "avg_ms": round(float(times.mean()), 1),
    }


def sustained_windows(per_second: dict[int, int], window: int = 10) -> dict[str, Any]:
    """Accepted messages per second in consecutive `window`-second slices of the run.

    The first and last whole seconds are dropped (ramp-up, and the stop cutting a second short),
    as is a final slice shorter than `window`, unless nothing else is left.
    """
    if not per_second:
        return {}
    first, last = min(per_second), max(per_second)
    seconds = [per_second.get(t, 0) for t in range(first + 1, last)] or [
        per_second.get(t, 0) for t in range(first, last + 1)
    ]
    slices = [seconds[i : i + window] for i in range(0, len(seconds), window)]
    full = [s for s in slices if len(s) == window] or slices
    rates = [sum(s) / len(s) for s in full]
    return {
        "window_s": window,
        "min_msg_per_s": round(min(rates), 1),
        "max_msg_per_s": round(max(rates), 1),
        "per_window": [round(x, 1) for x in rates],
    }


def read_failures(prefix: Path) -> list[dict[str, str]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def warm_up(url: str, api_key: str, *, requests: int = 48) -> None:
    """Load the model in every gunicorn worker before the clock starts (not counted)."""

    def send(n: int) -> None:
        body = json.dumps(
            {
                "channel": "email",
                "text": "warm-up, please ignore",
                "external_id": f"warm-{uuid.uuid4().hex}-{n}",
            }
        ).encode()
        request = urllib.request.Request(
            f"{url}/api/v1/messages/",
            data=body,
            method="POST",
            headers={"Authorization": f"Api-Key {api_key}", "Content-Type": "application/json"},
        )
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=60).read()

    def sender(i: int) -> None:
        for k in range(requests // 8):
            send(i * 100 + k)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (max 600)")
    parser.add_argument(
        "--tool",
        choices=("wrk", "locust"),
        default="wrk" if shutil.which("wrk") else "locust",
        help="wrk (default when installed): about 1%% of a core; locust: its Python costs a "
        "large share of 2 cores",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=220.0,
        help="target messages per second, all endpoints together, each connection on a fixed "
        "schedule; 0 (wrk only): closed loop, each connection sends as soon as answered",
    )
    parser.add_argument("--users", type=int, default=16, help="concurrent connections (senders)")
    parser.add_argument("--mix", default="1:1", help="REST:SMS weight, e.g. 1:1, 1:0, 0:1")
    parser.add_argument(
        "--web-workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY") or max(2, os.cpu_count() or 1)),
        help="gunicorn processes (deploy/gunicorn.conf.py's default: one per core)",
    )
    parser.add_argument(
        "--web-threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", "2"))
    )
    parser.add_argument("--celery-concurrency", type=int, default=1)
    parser.add_argument("--model", default=os.environ.get("CLARIOSCOPE_MODEL", ""))
    parser.add_argument("--url", help="an already running stack (loopback only)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    args = parser.parse_args()
    if not 1 <= args.duration <= 600:
        raise SystemExit("load_run: --duration must be 1..600 seconds")
    if args.url and urllib.parse.urlparse(args.url).hostname not in {
        "127.0.0.1",
        "localhost",
        "::1",
    }:
        raise SystemExit("load_run: only loopback targets are allowed")
    rest_weight, sms_weight = (int(x) for x in args.mix.split(":"))

    database_url = args.database_url or DEFAULT_DATABASE_URL
    env = stack_environment(database_url)
    stack: OwnStack | None = None
    model = args.model or newest_trained_model()
    if not args.url:
        if not model:
            raise SystemExit(
                "load_run: no trained model found in var/models; run `make run` or `make serve` "
                "once (it trains one), or pass --model PATH"
            )
        env["CLARIOSCOPE_MODEL"] = model
        stack = OwnStack(args, env)
    os.environ.update(
        {"DJANGO_SETTINGS_MODULE": "clarioscope.settings", "DATABASE_URL": database_url}
    )
    os.environ.pop("REDIS_URL", None)
    try:
        if stack is not None:
            print(f"load_run: starting the stack (model {model}) ...", flush=True)
            stack.start()
        url = args.url or (stack.url if stack else "")
        return run(args, url, stack, model, rest_weight, sms_weight)
    finally:
        if stack is not None:
            stack.stop()


@dataclass
class Drive:
    """What one load generator reports: accepted ids, latencies and its own CPU time."""

    tool: str
    accepted: dict[str, list[str]]
    endpoints: dict[str, dict[str, float]]
    # Accepted messages per whole second of the run (epoch second -> count), for the windows.
    per_second: dict[int, int]
    generator_cpu_s: float
    errors: int
    requests: int
    failures: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Ran out of unique requests and repeated one: the run proves less than it should.
    exhausted: bool = False


def split_connections(users: int, rest_weight: int, sms_weight: int) -> tuple[int, int]:
    """Connections per endpoint in proportion to the mix, at least one for a non-zero weight."""
    if rest_weight and not sms_weight:
        return users, 0
    if sms_weight and not rest_weight:
        return 0, users
    rest = max(1, min(users - 1, round(users * rest_weight / (rest_weight + sms_weight))))
    return rest, users - rest


def write_requests(
    path: Path, *, kind: str, count: int, url: str, texts: list[str], creds: dict[str, Any]
) -> None:
    """`count` ready-made requests for load_wrk.lua, each with its own message id."""
    from twilio.request_validator import RequestValidator

    host = urllib.parse.urlparse(url).netloc
    validator = RequestValidator(creds["twilio_token"])
    sms_path = f"/hooks/twilio/{creds['practice']}/sms/"
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            text = texts[n % len(texts)]
            if kind == "rest":
                message_id = f"{creds['run']}-r{n}"
                body = json.dumps({"channel": "email", "text": text, "external_id": message_id})
                headers = {
                    "Host": host,
                    "Authorization": f"Api-Key {creds['api_key']}",
                    "Content-Type": "application/json",
                }
                target = "/api/v1/messages/"
            else:
                message_id = "SM" + hashlib.md5(f"{creds['run']}-s{n}".encode()).hexdigest()  # noqa: S324
                params = {
                    "MessageSid": message_id,
                    "AccountSid": "AC" + "0" * 32,
                    "From": "+15550100001",
                    "To": "+15550100002",
                    "Body": text[:1600],
                    "NumMedia": "0",
                }
                body = urllib.parse.urlencode(params)
                headers = {
                    "Host": host,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": validator.compute_signature(
                        f"http://{host}{sms_path}", params
                    ),
                }
                target = sms_path
            header_text = "".join(f"{name}: {value}\\n" for name, value in headers.items())
            handle.write(f"{message_id}\tPOST\t{target}\t{header_text}\t{body}\n")


def drive_wrk(
    args: argparse.Namespace,
    url: str,
    texts: list[str],
    creds: dict[str, Any],
    work: Path,
    mark_start: Callable[[], None],
) -> Drive:
    """Two wrk processes at once, one per endpoint, one connection per wrk thread."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("load_run: wrk is not installed (apt install wrk), or use --tool locust")
    rest_connections, sms_connections = split_connections(
        args.users, creds["rest_w"], creds["sms_w"]
    )
    connections = {"rest": rest_connections, "sms": sms_connections}
    # Enough unique requests for 1,000 messages/s per endpoint: more than this machine can take.
    count = args.duration * 1000
    commands: dict[str, tuple[list[str], dict[str, str], Path]] = {}
    for kind, conns in connections.items():
        if not conns:
            continue
        out = work / kind
        out.mkdir()
        requests_file = work / f"{kind}.requests"
        write_requests(requests_file, kind=kind, count=count, url=url, texts=texts, creds=creds)
        env = {
            **os.environ,
            "LOAD_REQUESTS": str(requests_file),
            "LOAD_OUT": str(out),
            "LOAD_OK": "201" if kind == "rest" else "200",
            "LOAD_THREADS": str(conns),
            "LOAD_RATE": str(args.rate * creds[f"{kind}_w"] / (creds["rest_w"] + creds["sms_w"])),
        }
        command = [wrk, "-t", str(conns), "-c", str(conns), "-d", f"{args.duration}s"]
        command += ["--timeout", "30s", "-s", str(ROOT / "bench" / "load_wrk.lua"), url]
        commands[kind] = (command, env, out)
    # The clock (and the CPU accounting) starts once the requests are written.
    mark_start()
    processes = {
        kind: (
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT),
            out,
        )
        for kind, (command, env, out) in commands.items()
    }
    cpu = {kind: 0.0 for kind in processes}
    while any(p.poll() is None for p, _ in processes.values()):
        for kind, (process, _) in processes.items():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = psutil.Process(process.pid).cpu_times()
                cpu[kind] = times.user + times.system
        time.sleep(0.5)
    accepted: dict[str, list[str]] = {"rest": [], "sms": []}
    per_second: dict[int, int] = {}
    endpoints: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    errors = requests = 0
    exhausted = False
    for kind, (process, out) in processes.items():
        output = process.stdout.read().decode(errors="replace") if process.stdout else ""
        summary_file = out / "summary.json"
        if process.returncode != 0 or not summary_file.is_file():
            raise SystemExit(f"load_run: wrk ({kind}) failed:\n{output[-3000:]}")
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
        for tsv in out.glob("accepted-*.tsv"):
            for line in tsv.read_text(encoding="utf-8").splitlines():
                second, message_id = line.split("\t")
                accepted[kind].append(message_id)
                per_second[int(second)] = per_second.get(int(second), 0) + 1
        failed = summary["rejected"] + sum(
            summary[f"errors_{e}"] for e in ("connect", "read", "write", "timeout")
        )
        if summary["sent_late"] > summary["requests"] / 100:
            notes.append(
                f"{kind}: {summary['sent_late']} requests went out late (up to "
                f"{summary['max_late_ms']:.0f} ms): the service did not keep up with --rate"
            )
        if summary["exhausted"]:
            exhausted = True
            notes.append(f"{kind}: ran out of unique requests ({summary['exhausted']} repeats)")
        seconds = summary["duration_us"] / 1e6
        endpoints[kind] = {
            "requests": summary["requests"],
            "failures": failed,
            "rps": round(summary["requests"] / seconds, 1),
            "p50_ms": round(summary["latency_p50_us"] / 1000, 1),
            "p90_ms": round(summary["latency_p90_us"] / 1000, 1),
            "p95_ms": round(summary["latency_p95_us"] / 1000, 1),
            "p99_ms": round(summary["latency_p99_us"] / 1000, 1),
            "max_ms": round(summary["latency_max_us"] / 1000, 1),
            "avg_ms": round(summary["latency_mean_us"] / 1000, 1),
            "connections": connections[kind],
            "sent_late": summary["sent_late"],
            "max_late_ms": summary["max_late_ms"],
        }
        errors += failed
        requests += summary["requests"]
    total_requests = sum(e["requests"] for e in endpoints.values())
    endpoints["all"] = {
        "requests": total_requests,
        "failures": errors,
        "rps": round(sum(e["rps"] for e in endpoints.values()), 1),
    }
    return Drive(
        tool="wrk",
        accepted=accepted,
        endpoints=endpoints,
        per_second=per_second,
        generator_cpu_s=sum(cpu.values()),
        errors=errors,
        requests=requests,
        notes=notes,
        exhausted=exhausted,
    )


def drive_locust(
    args: argparse.Namespace,
    url: str,
    texts: list[str],
    creds: dict[str, Any],
    work: Path,
    mark_start: Callable[[], None],
) -> Drive:
    """locust (headless, FastHttpUser) at a paced target rate; heavier on the CPU than wrk."""
    texts_file = work / "texts.json"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    ids_file = work / "accepted.json"
    locust_env = {
        **os.environ,
        "BENCH_API_KEY": creds["api_key"],
        "BENCH_PRACTICE": creds["practice"],
        "BENCH_TWILIO_TOKEN": creds["twilio_token"],
        "BENCH_TEXTS": str(texts_file),
        "BENCH_IDS_OUT": str(ids_file),
        "BENCH_RUN": creds["run"],
        "BENCH_REST_WEIGHT": str(creds["rest_w"]),
        "BENCH_SMS_WEIGHT": str(creds["sms_w"]),
        "BENCH_USER_RATE": str(args.rate / args.users),
    }
    command = [PYTHON, "-m", "locust", "-f", str(ROOT / "bench" / "load_locustfile.py")]
    command += ["--headless", "--users", str(args.users), "--spawn-rate"]
    command += [str(max(1, args.users // 2)), "--run-time", f"{args.duration}s", "--host", url]
    command += ["--csv", str(work / "locust"), "--only-summary", "--stop-timeout", "10"]
    command += ["--loglevel", "WARNING", "--exit-code-on-error", "0"]
    mark_start()
    locust = subprocess.Popen(
        command, cwd=ROOT, env=locust_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    locust_cpu = 0.0
    while locust.poll() is None:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = psutil.Process(locust.pid).cpu_times()
            locust_cpu = times.user + times.system
        time.sleep(0.5)
    stderr = locust.stderr.read().decode(errors="replace") if locust.stderr else ""
    if locust.returncode != 0:
        print(stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"load_run: locust exited with {locust.returncode}")
    recorded: dict[str, Any] = json.loads(ids_file.read_text(encoding="utf-8"))
    samples: list[list[Any]] = recorded["samples"]
    per_second: dict[int, int] = {}
    for sample in samples:
        if sample[3]:
            per_second[int(sample[1])] = per_second.get(int(sample[1]), 0) + 1
    total = latency_stats(samples, None)
    return Drive(
        tool="locust",
        accepted={"rest": recorded["rest"], "sms": recorded["sms"]},
        endpoints={
            "rest": latency_stats(samples, "rest"),
            "sms": latency_stats(samples, "sms"),
            "all": total,
        },
        per_second=per_second,
        generator_cpu_s=locust_cpu,
        errors=int(total.get("failures", 0)),
        requests=int(total.get("requests", 0)),
        failures=read_failures(work / "locust")[:20],
    )


def run(
    args: argparse.Namespace,
    url: str,
    stack: OwnStack | None,
    model: str,
    rest_weight: int,
    sms_weight: int,
) -> int:
    import django

    django.setup()
    from django.db import connection

    from intake.models import Message, MessageStatus
    from intake.services import api_key_create, practice_get_or_create
    from mlops.core.synth_test import generate_test

    # Every message is inserted and then updated once, leaving a dead row version behind. Where
    # autovacuum is off (this machine's PostgreSQL has it off), earlier runs' dead rows would
    # slow this one's queries on pending messages; a production server vacuums the table by
    # itself (intake's migration 0002 makes it do so after 1% of the table has changed).
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
        cursor.execute("VACUUM (ANALYZE) intake_message")
    run_id = time.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:4]
    practice = practice_get_or_create(slug=f"bench-{run_id}")[0]
    api_key = api_key_create(practice=practice, name="load bench").raw_key
    warm_practice = practice_get_or_create(slug=f"bench-warm-{run_id}")[0]
    warm_up(url, api_key_create(practice=warm_practice).raw_key)

    work = Path(tempfile.mkdtemp(prefix="clarioscope-load-gen-"))
    texts = [e.text for e in generate_test(600, seed=11)]
    creds: dict[str, Any] = {
        "api_key": api_key,
        "practice": practice.slug,
        "twilio_token": practice.twilio_auth_token,
        "run": run_id,
        "rest_w": rest_weight,
        "sms_w": sms_weight,
    }
    before: dict[str, Any] = {}

    def mark_start() -> None:
        before["stack"] = cpu_seconds(stack.processes()) if stack else {}
        before["system"] = psutil.cpu_times()
        before["loadavg"] = os.getloadavg()
        before["monotonic"] = time.monotonic()

    target = f"{args.rate:g} msg/s target" if args.rate else "closed loop"
    print(
        f"load_run: {args.tool}, {args.duration}s, {target}, {args.users} connections, "
        f"REST:SMS {rest_weight}:{sms_weight}, against {url} ...",
        flush=True,
    )
    drive = (drive_wrk if args.tool == "wrk" else drive_locust)(
        args, url, texts, creds, work, mark_start
    )
    elapsed = time.monotonic() - before["monotonic"]
    stack_before: dict[int, tuple[str, float]] = before["stack"]
    system_before = before["system"]
    load_before = before["loadavg"]
    stack_after = cpu_seconds(stack.processes()) if stack else {}
    system_after = psutil.cpu_times()

    accepted_ids = {*drive.accepted["rest"], *drive.accepted["sms"]}
    drain_started = time.monotonic()
    deadline = drain_started + DRAIN_TIMEOUT_SECONDS
    while Message.objects.filter(practice=practice, status=MessageStatus.PENDING).exists():
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    drain_seconds = time.monotonic() - drain_started

    rows = list(
        Message.objects.filter(practice=practice).values_list(
            "external_id", "status", "classify_attempts"
        )
    )
    stored = [r[0] for r in rows]
    by_status = {s: sum(1 for r in rows if r[1] == s) for s in MessageStatus.values}
    attempts_over_one = sum(1 for r in rows if r[2] > 1)
    duplicates = len(stored) - len(set(stored))
    lost = sorted(accepted_ids - set(stored))
    # Stored but never answered: requests still in flight when the generator stopped (at most
    # one per connection). Not lost: stored and classified, only the answer went unread.
    unanswered = sorted(set(stored) - accepted_ids)

    windows = sustained_windows(drive.per_second)
    cores = psutil.cpu_count() or 1
    busy = lambda t: t.user + t.system + t.nice + getattr(t, "irq", 0) + getattr(t, "softirq", 0)  # noqa: E731
    system_busy = busy(system_after) - busy(system_before)
    by_role: dict[str, float] = {}
    for pid, (role, seconds) in stack_after.items():
        spent = seconds - stack_before.get(pid, (role, 0.0))[1]
        by_role[role] = round(by_role.get(role, 0.0) + spent, 1)
    stack_cpu = sum(by_role.values())
    sms_accepted = len(drive.accepted["sms"])

    result: dict[str, Any] = {
        "run": run_id,
        "url": url,
        "model": model,
        "tool": drive.tool,
        "machine": {
            "cores": cores,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_before": load_before,
            "postgresql_autovacuum": autovacuum,
        },
        "config": {
            "duration_s": args.duration,
            "target_rate": args.rate or None,
            "connections": args.users,
            "mix_rest_sms": [rest_weight, sms_weight],
            "web_workers": args.web_workers,
            "web_threads": args.web_threads,
            "celery_concurrency": args.celery_concurrency,
        },
        "elapsed_s": round(elapsed, 2),
        "messages_per_s": round(len(accepted_ids) / args.duration, 1),
        "sustained": windows,
        "requests": drive.requests,
        "errors": drive.errors,
        "error_rate": round(drive.errors / max(1, drive.requests), 5),
        "failures": drive.failures,
        "notes": drive.notes,
        "endpoints": drive.endpoints,
        "accepted": len(accepted_ids),
        "accepted_rest": len(drive.accepted["rest"]),
        "accepted_sms": sms_accepted,
        "stored": len(stored),
        "stored_by_status": by_status,
        "duplicates": duplicates,
        "lost": len(lost),
        "lost_examples": lost[:10],
        "stored_unanswered": len(unanswered),
        "classified_more_than_once_attempted": attempts_over_one,
        "drain_after_load_s": round(drain_seconds, 2),
        "sms_classified_per_s": round(sms_accepted / (args.duration + drain_seconds), 1),
        "cpu": {
            "system_busy_pct": round(100 * system_busy / (elapsed * cores), 1),
            "stack_cpu_s": round(stack_cpu, 1),
            "stack_cpu_by_process_s": by_role,
            "stack_cpu_ms_per_message": round(1000 * stack_cpu / max(1, len(accepted_ids)), 1),
            "generator_cpu_s": round(drive.generator_cpu_s, 1),
            "other_cpu_s": round(system_busy - stack_cpu - drive.generator_cpu_s, 1),
            "note": "other = PostgreSQL, Redis and anything else on the machine (other work)",
        },
    }
    ok = (
        not lost
        and not duplicates
        and len(unanswered) <= args.users
        and by_status.get(MessageStatus.PENDING, 0) == 0
        and not drive.exhausted
    )
    result["every_accepted_message_stored_once_and_classified"] = ok
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")

    def row(name: str, s: dict[str, float]) -> str:
        return (
            f"{name:<22}{int(s.get('requests', 0)):>9}{s.get('rps', 0):>9.1f}"
            f"{s.get('p50_ms', 0):>8.1f}{s.get('p95_ms', 0):>8.1f}{s.get('p99_ms', 0):>8.1f}"
            f"{s.get('failures', 0) / max(1, s.get('requests', 1)):>9.2%}"
        )

    header = ("endpoint", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
    cpu = result["cpu"]
    verdict = "every accepted message stored once and classified" if ok else "FAILED"
    lines = [
        "",
        f"{header[0]:<22}{header[1]:>9}{header[2]:>9}{header[3]:>8}{header[4]:>8}{header[5]:>8}"
        f"{header[6]:>9}",
        row("REST (sync classify)", drive.endpoints.get("rest", {})),
        row("SMS webhook (async)", drive.endpoints.get("sms", {})),
        row("all", drive.endpoints["all"]),
        "",
        f"accepted messages      {len(accepted_ids)} ({result['messages_per_s']} msg/s over "
        f"{args.duration}s; slowest {windows.get('window_s')}s window "
        f"{windows.get('min_msg_per_s')} msg/s)",
        f"stored                 {len(stored)}  by status {by_status}",
        f"lost / duplicated      {len(lost)} / {duplicates}   stored but answer unread at stop "
        f"{len(unanswered)}",
        f"queue drained in       {drain_seconds:.1f}s after the load stopped",
        f"CPU                    machine {cpu['system_busy_pct']}% busy; stack {stack_cpu:.0f}s "
        f"({cpu['stack_cpu_ms_per_message']} ms/message), {drive.tool} "
        f"{drive.generator_cpu_s:.0f}s, other {cpu['other_cpu_s']}s",
        *(f"note                   {note}" for note in drive.notes),
        f"verdict                {verdict}",
    ]
    print("\n".join(lines))
    print(f"wrote {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
