"""Corrupt or missing model files: messages are still accepted, go to review as unclassified,
and the admin (and /readyz) say why. Promoting a working model recovers without a restart."""

from __future__ import annotations

import shutil
import urllib.parse
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from twilio.request_validator import RequestValidator

from intake.models import Message, MessageStatus, Practice, ReviewItem, ReviewReason
from mlops import registry
from mlops.models import ModelStatus, ModelVersion

pytestmark = [pytest.mark.django_db, pytest.mark.faults]


def activate(name: str, path: Path) -> ModelVersion:
    ModelVersion.objects.filter(status=ModelStatus.ACTIVE).update(status=ModelStatus.RETIRED)
    version = ModelVersion.objects.create(name=name, path=str(path), status=ModelStatus.ACTIVE)
    registry.reset_cache()
    return version


@pytest.fixture
def corrupt_model(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """The active model's weights overwritten on disk (a bad copy, a full disk, bit rot)."""
    path = tmp_path / "v-corrupt"
    shutil.copytree(tiny_model_dir, path)
    (path / "model.safetensors").write_bytes(b"\x00\xffnot a checkpoint" * 100)
    activate("v-corrupt", path)
    return path


@pytest.fixture
def missing_model(tmp_path: Path) -> Path:
    """The active model's directory is gone (the shared model mount is not there)."""
    path = tmp_path / "v-missing"
    activate("v-missing", path)
    return path


def post_sms(client: Client, practice: Practice, body: str) -> int:
    url = f"http://testserver/hooks/twilio/{practice.slug}/sms/"
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC" + "1" * 32,
        "From": "+15550100001",
        "To": "+15550100002",
        "Body": body,
    }
    signature = RequestValidator(practice.twilio_auth_token).compute_signature(url, params)
    response = client.post(
        f"/hooks/twilio/{practice.slug}/sms/",
        data=urllib.parse.urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    return response.status_code


def assert_unclassified_in_review(message: Message, reason_fragment: str) -> None:
    message.refresh_from_db()
    assert message.status == MessageStatus.UNCLASSIFIED
    assert message.label == ""
    assert message.needs_review
    assert reason_fragment in message.classification_error
    item = ReviewItem.objects.get(message=message)
    assert item.reason == ReviewReason.UNCLASSIFIED


@pytest.mark.parametrize("broken", ["corrupt_model", "missing_model"])
def test_broken_model_files_still_accept_rest_messages_and_send_them_to_review(
    broken: str, request: pytest.FixtureRequest, api_client: Client
):
    request.getfixturevalue(broken)

    response = api_client.post(
        "/api/v1/messages/",
        {"channel": "email", "text": "Can I move my appointment to Friday?"},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == MessageStatus.UNCLASSIFIED
    assert body["label"] == "" and body["needs_review"] is True
    assert_unclassified_in_review(Message.objects.get(pk=body["id"]), "failed to load")


def test_broken_model_files_still_accept_webhook_messages(
    corrupt_model: Path, practice: Practice, client: Client, django_capture_on_commit_callbacks
):
    # Tasks run in-process here (no broker in the default suite) once the row is committed.
    with django_capture_on_commit_callbacks(execute=True):
        assert post_sms(client, practice, "need a refill of metformin") == 200

    message = Message.objects.get(practice=practice, channel="sms")
    assert_unclassified_in_review(message, "v-corrupt failed to load")


def test_a_red_flag_message_is_still_urgent_without_a_model(
    corrupt_model: Path, api_client: Client
):
    response = api_client.post(
        "/api/v1/messages/",
        {"channel": "sms", "text": "my husband has crushing chest pain"},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["urgent"] is True
    assert response.json()["needs_review"] is True


def test_admin_and_readyz_say_why_the_model_is_not_serving(
    corrupt_model: Path, api_client: Client, client: Client
):
    message_id = api_client.post(
        "/api/v1/messages/",
        {"channel": "email", "text": "what are your opening hours"},
        content_type="application/json",
    ).json()["id"]
    reason = registry.last_load_error()
    assert reason.startswith("model v-corrupt failed to load")

    readyz = client.get("/readyz")
    assert readyz.status_code == 503
    assert readyz.json()["checks"]["model"] == f"error: {reason}"

    admin = User.objects.create_superuser("site.admin", password="admin-pass-0123456789")
    client.force_login(admin)
    page = client.get(f"/admin/intake/message/{message_id}/change/")
    assert page.status_code == 200
    assert "v-corrupt failed to load" in page.content.decode()

    mlops_page = client.get("/admin/mlops/modelversion/")
    assert mlops_page.status_code == 200
    assert "No model can classify right now" in mlops_page.content.decode()
    assert "v-corrupt failed to load" in mlops_page.content.decode()


def test_promoting_a_working_model_recovers_without_a_restart(
    corrupt_model: Path, tiny_model_dir: Path, api_client: Client
):
    first = api_client.post(
        "/api/v1/messages/",
        {"channel": "email", "text": "please cancel tomorrow"},
        content_type="application/json",
    )
    assert first.json()["status"] == MessageStatus.UNCLASSIFIED

    activate("v-good", tiny_model_dir)
    second = api_client.post(
        "/api/v1/messages/",
        {"channel": "email", "text": "please cancel tomorrow's visit"},
        content_type="application/json",
    )

    assert second.status_code == 201
    assert second.json()["status"] == MessageStatus.CLASSIFIED
    assert second.json()["model_version"] == "v-good"
