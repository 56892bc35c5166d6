"""Loaded with `-p tests.early_env` (pyproject addopts), before pytest-django reads settings:
the suite works offline and writes its files under a throwaway data directory, never ./var."""

import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("CLARIOSCOPE_DATA_DIR", tempfile.mkdtemp(prefix="clarioscope-test-"))
