"""gunicorn settings for the ClarioScope web process, every value overridable by environment.

The web process classifies REST messages synchronously, so a request is mostly CPU: the model's
forward pass (ONNX Runtime, which releases the GIL) and Django around it. Measured here with
paced senders (bench/load_run.py, 200 messages/s for 30 s, REST and SMS webhook half each, REST
p50/p95 in ms on 2 cores):

    sync workers x4                       72 / 95   a sync worker closes each connection after
                                                    one answer and, once it accepts one, waits
                                                    for its sender: an idle sender holds a process
    gthread x4 processes, 1 thread        21 / 55   keep-alive; idle connections wait in a poller
    gthread x8 processes, 1 thread        29 / 78
    gthread x2 processes, 1 thread        19 / 53   a connection stays with its process: requests
                                                    queue behind their neighbour's
    gthread x2 processes, 2 threads       14 / 32   the default: one process per core, a second
                                                    thread runs Django while the first waits on
                                                    the model or on PostgreSQL
    gthread x2 processes, 4 threads       18 / 44

More processes than cores cost more than they gained: every process holds its own copy of the
model, and switching between them on a core evicts it from the caches (a REST message took 5.5 ms
of CPU alone and 7.3 ms among four busy processes).
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get(
    "GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
# One process per core, two threads each (see above).
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, multiprocessing.cpu_count()))))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
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
