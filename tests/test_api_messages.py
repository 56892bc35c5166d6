"""POST/GET /api/v1/messages/: synchronous classification, idempotency, listing, audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from clarioscope.taxonomy import DESTINATIONS, INTENTS
from intake.models import AccessAudit, Message, MessageStatus, ReviewItem
from intake.services import api_key_create, api_key_revoke

FIXTURES = Path(__file__).resolve().parent.parent / "intake" / "channels" / "rest" / "fixtures"
URL = "/api/v1/messages/"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def post(client: Client, body: Any, **headers: str) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)


pytestmark = pytest.mark.django_db


def test_post_message_is_stored_classified_and_routed_in_the_response(api_client, practice):
    response = post(api_client, fixture("message.json"))

    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {
        "id", "label", "confidence", "probabilities", "destination", "needs_review", "urgent",
        "model_version", "status", "red_flags", "truncated",
    }  # fmt: skip
    assert body["status"] == "classified"
    assert body["label"] in INTENTS
    assert body["destination"] in DESTINATIONS
    assert set(body["probabilities"]) == set(INTENTS)
    assert body["confidence"] == max(body["probabilities"].values())
    assert body["model_version"]
    message = Message.objects.get(pk=body["id"])
    assert message.practice == practice
    assert message.channel == "web_form"
    assert message.external_id == "crm-ticket-88213"
    assert message.sender == "marcus.hale@example.net"
    assert message.received_at.isoformat() == "2024-03-25T14:02:11+00:00"
    assert json.loads(message.raw_payload) == fixture("message.json")
    assert message.raw_content_type == "application/json"
    assert body["needs_review"] == ReviewItem.objects.filter(message=message).exists()


def test_red_flag_message_is_urgent_and_goes_to_review(api_client):
    response = post(
        api_client, {"channel": "sms", "text": "my wife cant breathe and her lips are swelling"}
    )

    body = response.json()
    assert response.status_code == 201
    assert body["urgent"] and body["needs_review"]
    assert body["destination"] == "clinical"
    assert "breathing" in body["red_flags"]


def test_repeated_external_id_returns_the_stored_message_with_200(api_client):
    first = post(
        api_client, {"channel": "sms", "text": "can i get a refill", "external_id": "SM-1"}
    )
    again = post(api_client, {"channel": "sms", "text": "different text", "external_id": "SM-1"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Message.objects.count() == 1


def test_same_external_id_on_another_channel_is_another_message(api_client):
    post(api_client, {"channel": "sms", "text": "hello", "external_id": "X-1"})
    response = post(api_client, {"channel": "email", "text": "hello", "external_id": "X-1"})

    assert response.status_code == 201
    assert Message.objects.count() == 2


def test_idempotency_key_returns_the_stored_message_with_200(api_client):
    body = {"channel": "chat", "text": "what are your opening hours on saturday"}
    first = post(api_client, body, **{"Idempotency-Key": "retry-7f1c"})
    again = post(api_client, body, **{"Idempotency-Key": "retry-7f1c"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Message.objects.get().idempotency_key == "retry-7f1c"


def test_retry_of_a_request_that_stored_but_never_classified_finishes_the_job(api_client, practice):
    from intake.services import message_ingest

    stored = message_ingest(
        practice=practice, channel="sms", text="need a new inhaler", external_id="SM-crash"
    ).message
    assert stored.status == MessageStatus.PENDING

    response = post(
        api_client, {"channel": "sms", "text": "need a new inhaler", "external_id": "SM-crash"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "classified"
    assert Message.objects.count() == 1


@pytest.mark.parametrize("key", ["", "   "])
def test_blank_idempotency_key_is_ignored(api_client, key):
    response = post(api_client, {"channel": "sms", "text": "hi"}, **{"Idempotency-Key": key})
    assert response.status_code == 201


def test_list_returns_only_this_practices_messages_newest_first_with_text(
    api_client, other_api_client
):
    ids = [
        post(api_client, {"channel": "sms", "text": f"message {i}"}).json()["id"] for i in range(3)
    ]
    post(other_api_client, {"channel": "sms", "text": "not yours"})

    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [m["id"] for m in body["results"]] == ids[::-1]
    assert body["results"][0]["text"] == "message 2"


def test_list_filters_and_paginates(api_client):
    for i in range(4):
        post(api_client, {"channel": "sms", "text": f"sms {i}"})
    post(api_client, {"channel": "email", "text": "my chest pain is back"})

    urgent = api_client.get(URL, {"urgent": "true"}).json()
    sms = api_client.get(URL, {"channel": "sms", "limit": 2}).json()
    review = api_client.get(URL, {"needs_review": "true", "destination": "clinical"}).json()

    assert [m["channel"] for m in urgent["results"]] == ["email"]
    assert sms["count"] == 4 and len(sms["results"]) == 2 and sms["next"]
    assert all(m["needs_review"] and m["destination"] == "clinical" for m in review["results"])
    assert review["count"] >= 1


@pytest.mark.parametrize(
    "query",
    [
        {"status": "nope"},
        {"label": "gossip"},
        {"channel": "fax"},
        {"needs_review": "maybe"},
        {"status": ""},
        {"urgent": ""},
    ],
)
def test_list_with_an_unknown_filter_value_is_a_clear_400(api_client, query):
    response = api_client.get(URL, query)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert set(response.json()["detail"]) == set(query)


def test_each_read_of_message_text_is_audited(api_client, practice):
    ids = [post(api_client, {"channel": "sms", "text": f"m{i}"}).json()["id"] for i in range(2)]
    AccessAudit.objects.all().delete()

    api_client.get(URL)
    api_client.get(f"{URL}{ids[0]}/")

    rows = list(AccessAudit.objects.order_by("pk"))
    assert [r.action for r in rows] == ["api.message.list", "api.message.read"]
    assert sorted(rows[0].detail["ids"]) == sorted(str(i) for i in ids)
    assert rows[1].object_id == str(ids[0])
    assert all(r.practice == practice and r.api_key is not None for r in rows)


def test_empty_list_reads_no_text_and_writes_no_audit(api_client):
    assert api_client.get(URL).json()["count"] == 0
    assert not AccessAudit.objects.exists()


def test_get_one_message(api_client):
    created = post(api_client, fixture("message.json")).json()

    response = api_client.get(f"{URL}{created['id']}/")

    assert response.status_code == 200
    assert response.json()["text"] == fixture("message.json")["text"]
    assert response.json()["routed_label"] == created["label"]


def test_missing_key_is_401(client, practice):
    response = post(client, {"channel": "sms", "text": "hi"})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == "Api-Key"
    assert not Message.objects.exists()


def test_revoked_key_is_401_and_stores_nothing(practice):
    created = api_key_create(practice=practice)
    api_key_revoke(api_key=created.api_key)
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {created.raw_key}")

    response = post(client, {"channel": "sms", "text": "hi"})

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert client.get(URL).status_code == 401
    assert not Message.objects.exists()


@pytest.mark.parametrize("header", ["Bearer abc", "Api-Key", "Api-Key    ", "cs_rawkeynoscheme"])
def test_malformed_authorization_header_is_401(practice, header):
    response = post(Client(HTTP_AUTHORIZATION=header), {"channel": "sms", "text": "hi"})
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_messages_cannot_be_changed_or_deleted_through_the_api(api_client, method):
    created = post(api_client, {"channel": "sms", "text": "hi"}).json()
    response = getattr(api_client, method)(f"{URL}{created['id']}/")
    assert response.status_code == 405
    assert Message.objects.filter(pk=created["id"]).exists()
