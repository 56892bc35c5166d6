"""gunicorn settings for the ClarioScope web process, every value overridable by environment.

The web process classifies REST messages synchronously, so each request is CPU-bound model work:
one request at a time per process, and the number of processes, not threads, is what scales on
more cores. The worker class is gthread with one thread, not sync: a sync worker closes every
connection after one response and, once it has accepted a connection, blocks until that client
sends its request, so a sender that keeps a connection open or writes slowly holds a whole
process idle. Measured here with paced senders (bench/load_run.py, 200 messages/s, REST and SMS
half each): sync workers, REST p50/p95 72/95 ms; gthread with keep-alive, 23/45 ms, and the
machine's TCP and PostgreSQL overhead fell by half. Two threads per process did not help.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get(
    "GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
# Two processes per core: while one waits on PostgreSQL the other uses the core.
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, multiprocessing.cpu_count() * 2))))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Idle keep-alive connections wait in the worker's poller, not in its thread.
worker_connections = 1000
# A request that takes longer than this is a hung worker (a 1 MiB body classifies in well under it).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycling workers bounds slow memory growth without a restart of the service.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
# No preload: each worker imports Django and loads the model after the fork, so torch's thread
# pools and the PostgreSQL connection are never shared across processes.
preload_app = False
# Request bodies are limited by Django (CLARIOSCOPE_MAX_BODY_BYTES); these guard the headers.
limit_request_line = 8190
limit_request_fields = 100
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "clarioscope-web"

# One intra-op thread per process: with several processes on the cores, torch's default of one
# thread per core in every process would oversubscribe them. Set before any worker imports torch.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
