"""The serving model: which checkpoint answers in this process, loaded once and swapped live.

Every web process and worker asks the registry for the active ModelVersion at most once per
REGISTRY_CHECK_SECONDS, so a promote or rollback takes effect everywhere within that interval
without a restart. Below intake in the dependency order: it imports only the ML core and mlops
models, never intake or review.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from mlops.core.inference import Classifier
from mlops.models import ModelStatus, ModelVersion

logger = logging.getLogger(__name__)

REGISTRY_CHECK_SECONDS = 1.0
# After a failed load, retry at most this often instead of on every message.
FAILED_LOAD_RETRY_SECONDS = 10.0


class ModelUnavailable(Exception):
    """No model can serve right now; the message goes to review as unclassified."""


@dataclass(frozen=True)
class ModelKey:
    model_version_id: int | None
    path: str
    temperature: float
    name: str


@dataclass(frozen=True)
class ServingModel:
    key: ModelKey
    classifier: Classifier

    @property
    def version(self) -> str:
        return self.key.name


_lock = threading.Lock()
_serving: ServingModel | None = None
_failure: tuple[ModelKey, str, float] | None = None
_checked: tuple[float, ModelKey | None] | None = None


def active_model_key() -> ModelKey | None:
    row = (
        ModelVersion.objects.filter(status=ModelStatus.ACTIVE)
        .values_list("id", "path", "temperature", "name")
        .first()
    )
    if row is not None:
        return ModelKey(model_version_id=row[0], path=row[1], temperature=row[2], name=row[3])
    if settings.CLARIOSCOPE_MODEL:
        name = Path(settings.CLARIOSCOPE_MODEL).name or settings.CLARIOSCOPE_MODEL
        return ModelKey(None, settings.CLARIOSCOPE_MODEL, 1.0, name)
    return None


def _current_key() -> ModelKey | None:
    global _checked
    now = time.monotonic()
    if _checked is not None and now - _checked[0] < REGISTRY_CHECK_SECONDS:
        return _checked[1]
    key = active_model_key()
    _checked = (now, key)
    return key


def serving_model() -> ServingModel:
    """The model that classifies in this process; raises ModelUnavailable with the reason."""
    global _serving, _failure
    key = _current_key()
    if key is None:
        raise ModelUnavailable("no active model: train one (make run, or the MLOps admin)")
    serving = _serving
    if serving is not None and serving.key == key:
        return serving
    with _lock:
        if _serving is not None and _serving.key == key:
            return _serving
        if (
            _failure is not None
            and _failure[0] == key
            and time.monotonic() - _failure[2] < FAILED_LOAD_RETRY_SECONDS
        ):
            raise ModelUnavailable(_failure[1])
        try:
            classifier = Classifier.load(
                key.path,
                quantize=settings.CLARIOSCOPE_QUANTIZE,
                temperature=key.temperature,
                version=key.name,
            )
        except Exception as exc:
            reason = f"model {key.name} failed to load: {type(exc).__name__}: {exc}"[:480]
            logger.error("model load failed: version=%s error=%s", key.name, type(exc).__name__)
            _failure = (key, reason, time.monotonic())
            raise ModelUnavailable(reason) from exc
        _failure = None
        _serving = ServingModel(key=key, classifier=classifier)
        logger.info("serving model version=%s", key.name)
        return _serving


def last_load_error() -> str:
    return _failure[1] if _failure is not None else ""


def forget_checks() -> None:
    """Re-read the active model on the next call and retry a failed load, but keep the loaded
    model (it is keyed by path and temperature, so a different active model still swaps in)."""
    global _failure, _checked
    with _lock:
        _failure = None
        _checked = None


def reset_cache() -> None:
    """Forget the loaded model and the last check (tests and promotions in this process)."""
    global _serving, _failure, _checked
    with _lock:
        _serving = None
        _failure = None
        _checked = None
