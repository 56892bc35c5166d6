"""Chat-widget webhook: JSON, HMAC-SHA256 of the body in X-ClarioScope-Signature."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from intake.models import Message, MessageStatus

FIXTURES = Path(__file__).resolve().parent.parent / "intake" / "channels" / "chat" / "fixtures"

pytestmark = pytest.mark.django_db


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(practice: Any, body: bytes, *, secret: str | None = None, signature: str | None = None):
    header = signature if signature is not None else sign(secret or practice.chat_secret, body)
    return Client().post(
        f"/hooks/chat/{practice.slug}/",
        body,
        content_type="application/json",
        headers={"X-ClarioScope-Signature": header},
    )


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_visitor_message_is_acknowledged_202_then_classified(
    practice, django_capture_on_commit_callbacks
):
    body = fixture_bytes("visitor_message.json")

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = deliver(practice, body)

    assert response.status_code == 202
    assert response.json()["created"] is True
    assert len(queued) == 1
    message = Message.objects.get(pk=response.json()["id"])
    assert message.channel == "chat"
    assert message.external_id == "msg_01HS3Q9B2D4F6H8J0K2M4N6P8R"
    assert message.sender == "jordan.lee@fastmail.com"
    assert message.text.startswith("hey, i've had a rash on my arm")
    assert message.received_at.isoformat().startswith("2024-03-22T18:41:07")
    assert message.raw_payload == body.decode()
    assert message.status == MessageStatus.CLASSIFIED


def test_redelivered_chat_message_is_stored_once(practice):
    body = fixture_bytes("visitor_message.json")
    first, again = deliver(practice, body), deliver(practice, body)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert Message.objects.count() == 1


@pytest.mark.parametrize("name", ["agent_reply.json", "conversation_closed.json"])
def test_agent_replies_and_other_events_are_acknowledged_and_ignored(practice, name):
    response = deliver(practice, fixture_bytes(name))
    assert response.status_code == 200
    assert response.json() == {"id": None, "status": "ignored", "created": False}
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=", "sha256=" + "0" * 64, "sha1=abc", "garbage"],
)
def test_bad_signature_is_403(practice, signature):
    response = deliver(practice, fixture_bytes("visitor_message.json"), signature=signature)
    assert response.status_code == 403
    assert response.json()["error"] == "bad_signature"
    assert not Message.objects.exists()


def test_body_changed_after_signing_is_403(practice):
    body = fixture_bytes("visitor_message.json")
    signature = sign(practice.chat_secret, body)
    tampered = body.replace(b"rash on my arm", b"bill for my arm")
    assert deliver(practice, tampered, signature=signature).status_code == 403


def test_another_practices_secret_is_403(practice, other_practice):
    response = deliver(
        practice, fixture_bytes("visitor_message.json"), secret=other_practice.chat_secret
    )
    assert response.status_code == 403
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"text": "hi"}, "message_id"),
        ({"message_id": "m1"}, "text"),
        ({"message_id": "m1", "text": "hi", "sent_at": "noon"}, "sent_at"),
        ({"message_id": "m1", "text": "hi", "sender": {"type": "alien"}}, "sender"),
    ],
)
def test_signed_but_invalid_event_is_a_clear_400(practice, payload, field):
    body = json.dumps(payload).encode()
    response = deliver(practice, body)
    assert response.status_code == 400
    assert field in response.json()["detail"]
    assert not Message.objects.exists()


def test_signed_invalid_utf8_is_400(practice):
    assert deliver(practice, b'{"message_id": "m1", "text": "\xff"}').status_code == 400
    assert not Message.objects.exists()


def test_signed_form_body_is_415(practice):
    body = b"message_id=m1&text=hi"
    response = Client().post(
        f"/hooks/chat/{practice.slug}/",
        body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-ClarioScope-Signature": sign(practice.chat_secret, body)},
    )
    assert response.status_code == 415
    assert not Message.objects.exists()
