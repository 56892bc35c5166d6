"""Shared fixtures: a tiny model built once per session, practices, users by role, API keys.

The suite never trains a real model: a tiny BERT with random weights and the packaged tokenizer
exercises the whole inference path (tokenise, forward, id2label mapping, routing) in milliseconds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from intake import localcache
from intake.models import Membership, Practice, Role
from intake.services import (
    CLASSIFY_PENDING_QUEUED_KEY,
    api_key_create,
    practice_get_or_create,
)
from mlops import registry
from mlops.core.tiny import build_tiny_model

# The real-Celery-worker fixture (`celery_worker`) for the integration tests.
pytest_plugins = ["tests.workers"]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(build_tiny_model(tmp_path_factory.mktemp("tiny-model")))


@pytest.fixture(autouse=True)
def serve_tiny_model(tiny_model_dir: Path) -> Iterator[Path]:
    """Every test serves the tiny model unless the registry has an active ModelVersion."""
    previous = settings.CLARIOSCOPE_MODEL
    settings.CLARIOSCOPE_MODEL = str(tiny_model_dir)
    # Subprocesses (Celery workers, gunicorn) inherit the environment, not settings.
    os.environ["CLARIOSCOPE_MODEL"] = str(tiny_model_dir)
    # Keep the loaded tiny model between tests (reloading it per test doubled the suite's time);
    # forgetting the checks is enough for each test to see its own registry state.
    registry.forget_checks()
    yield tiny_model_dir
    settings.CLARIOSCOPE_MODEL = previous
    registry.forget_checks()


@pytest.fixture(autouse=True)
def fresh_lookup_cache() -> None:
    # Each test's database is rolled back without signals; cached keys and practices must not
    # outlive the rows they came from, nor a "classification queued" mark its test.
    localcache.clear_all()
    cache.delete(CLASSIFY_PENDING_QUEUED_KEY)


@pytest.fixture
def practice(db: Any) -> Practice:
    return practice_get_or_create(slug="sunrise-clinic", name="Sunrise Clinic")[0]


@pytest.fixture
def other_practice(db: Any) -> Practice:
    return practice_get_or_create(slug="harbor-dental", name="Harbor Dental")[0]


def make_user(username: str, practice: Practice, role: str) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    Membership.objects.create(user=user, practice=practice, role=role)
    return user


@pytest.fixture
def reviewer(practice: Practice) -> User:
    return make_user("rita.reviewer", practice, Role.REVIEWER)


@pytest.fixture
def practice_admin(practice: Practice) -> User:
    return make_user("paul.admin", practice, Role.PRACTICE_ADMIN)


@pytest.fixture
def ml_staff(practice: Practice) -> User:
    return make_user("mona.ml", practice, Role.ML_STAFF)


@pytest.fixture
def other_reviewer(other_practice: Practice) -> User:
    return make_user("otto.other", other_practice, Role.REVIEWER)


@pytest.fixture
def api_key(practice: Practice) -> str:
    return api_key_create(practice=practice, name="tests").raw_key


@pytest.fixture
def other_api_key(other_practice: Practice) -> str:
    return api_key_create(practice=other_practice, name="tests").raw_key


@pytest.fixture
def api_client(api_key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Api-Key {api_key}")


@pytest.fixture
def other_api_client(other_api_key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Api-Key {other_api_key}")


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client
