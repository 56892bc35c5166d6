"""Start every process of a Procfile, restart any that dies, stop them all on SIGTERM or Ctrl-C.

A small stand-in for systemd or a container orchestrator on one machine, with no dependency
beyond the standard library: `make serve` runs it over deploy/Procfile. Each line of the Procfile
is `name: command`; `$VARS` in the command are expanded from the environment.

    python deploy/supervise.py deploy/Procfile [--only web,worker] [--state FILE]

--state writes {name: pid} as JSON after every (re)start, so operators and the fault tests can
find, say, the classification worker to kill it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# A process that dies sooner than this after its start is crash-looping: back off before the
# next start instead of spinning.
HEALTHY_AFTER_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 30.0
STOP_GRACE_SECONDS = float(os.environ.get("SUPERVISE_STOP_GRACE_SECONDS", "30"))


@dataclass
class Proc:
    name: str
    argv: list[str]
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = 1.0
    restart_at: float = 0.0
    restarts: int = field(default=0)


def read_procfile(path: Path) -> list[Proc]:
    procs = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip() or not command.strip():
            raise SystemExit(f"supervise: bad Procfile line: {raw!r}")
        procs.append(Proc(name=name.strip(), argv=shlex.split(os.path.expandvars(command))))
    return procs


def log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} supervise: {message}", file=sys.stderr, flush=True)


class Supervisor:
    def __init__(self, procs: list[Proc], state_file: Path | None) -> None:
        self.procs = procs
        self.state_file = state_file
        self.stopping = False

    def start(self, proc: Proc) -> None:
        # Own process group: a stop signal reaches the process and its children (celery's pool,
        # gunicorn's workers) without touching the supervisor or the other processes.
        proc.popen = subprocess.Popen(proc.argv, start_new_session=True)  # noqa: S603  (the operator's Procfile)
        proc.started_at = time.monotonic()
        log(f"started {proc.name} pid {proc.popen.pid}")
        self.write_state()

    def write_state(self) -> None:
        if self.state_file is None:
            return
        state = {p.name: p.popen.pid for p in self.procs if p.popen and p.popen.poll() is None}
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self.state_file)

    def signal_all(self, signum: int) -> None:
        for proc in self.procs:
            if proc.popen is not None and proc.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.popen.pid, signum)

    def request_stop(self, signum: int, _frame: object) -> None:
        if not self.stopping:
            log(f"signal {signal.Signals(signum).name}: stopping all processes")
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        for proc in self.procs:
            self.start(proc)
        while not self.stopping:
            now = time.monotonic()
            for proc in self.procs:
                if proc.popen is not None and proc.popen.poll() is not None:
                    code = proc.popen.returncode
                    proc.popen = None
                    healthy = now - proc.started_at >= HEALTHY_AFTER_SECONDS
                    proc.backoff = 1.0 if healthy else min(proc.backoff * 2, MAX_BACKOFF_SECONDS)
                    proc.restart_at = now + (0.5 if healthy else proc.backoff)
                    log(f"{proc.name} exited with {code}; restarting")
                    self.write_state()
                if proc.popen is None and now >= proc.restart_at:
                    proc.restarts += 1
                    self.start(proc)
            time.sleep(0.2)
        return self.stop()

    def stop(self) -> int:
        # Celery finishes its current task on SIGTERM (acks_late: an unfinished one is redelivered)
        # and gunicorn finishes its current requests; whatever is left after the grace is killed.
        self.signal_all(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and any(
            p.popen is not None and p.popen.poll() is None for p in self.procs
        ):
            time.sleep(0.2)
        self.signal_all(signal.SIGKILL)
        if self.state_file is not None:
            self.state_file.unlink(missing_ok=True)
        log("all processes stopped")
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("procfile", type=Path)
    parser.add_argument("--only", default="", help="comma-separated process names to run")
    parser.add_argument("--state", type=Path, default=None, help="write {name: pid} JSON here")
    args = parser.parse_args()
    os.environ.setdefault("PYTHON", sys.executable)
    procs = read_procfile(args.procfile)
    if args.only:
        wanted = {name.strip() for name in args.only.split(",") if name.strip()}
        unknown = wanted - {p.name for p in procs}
        if unknown:
            raise SystemExit(f"supervise: not in {args.procfile}: {', '.join(sorted(unknown))}")
        procs = [p for p in procs if p.name in wanted]
    return Supervisor(procs, args.state).run()


if __name__ == "__main__":
    sys.exit(main())
