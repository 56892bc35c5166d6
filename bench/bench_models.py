"""Benchmark the registered models beside the baselines, on this machine; print the table.

    .venv/bin/python bench/bench_models.py [--json bench/results/models.json] [benchmark options]

A thin wrapper over `manage.py benchmark` (same code, same BenchmarkRun row, same JSON): the
active model and the newest candidate, TF-IDF + logistic regression, the DeBERTa-v3-base-sized
timing model (fp32 and int8), LLMs when keys are set, and the reference's published figures.
Every option of the command passes through (`--no-deberta`, `--speed-runs`, `--models`, ...).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clarioscope.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    if "--json" not in argv:
        argv = [*argv, "--json", str(ROOT / "bench" / "results" / "models.json")]
    call_command("benchmark", *argv)


if __name__ == "__main__":
    main(sys.argv[1:])
