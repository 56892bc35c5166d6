"""Hostile and odd input to the REST API: a clear 4xx JSON error or a stored message, never a
500 and never a half-stored row. (The test client re-raises any exception a view lets escape, so
a 500 would fail these tests loudly.)"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from intake.models import Message

URL = "/api/v1/messages/"

pytestmark = pytest.mark.django_db


def post_raw(client: Client, body: bytes | str, content_type: str = "application/json", **kw: Any):
    return client.post(URL, body, content_type=content_type, **kw)


def post(client: Client, body: Any, **headers: str) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) >= {"error", "detail"} and body["detail"]
    return body


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\x00\x00", "\x00 \r\n\x00"])
def test_empty_text_is_refused(api_client, text):
    body = assert_error(post(api_client, {"channel": "sms", "text": text}), 400)
    assert "text" in body["detail"]
    assert not Message.objects.exists()


def test_body_one_byte_over_the_limit_is_413_before_parsing(api_client):
    limit = settings.MAX_BODY_BYTES
    prefix, suffix = b'{"channel": "sms", "text": "', b'"}'
    body = prefix + b"a" * (limit + 1 - len(prefix) - len(suffix)) + suffix
    assert len(body) == limit + 1

    response = post_raw(api_client, body)

    assert assert_error(response, 413)["error"] == "too_large"
    assert not Message.objects.exists()


def test_body_at_the_limit_is_stored_and_flagged_truncated(api_client):
    limit = settings.MAX_BODY_BYTES
    prefix, suffix = b'{"channel": "email", "text": "', b'"}'
    body = prefix + b"word " * ((limit - len(prefix) - len(suffix)) // 5) + suffix

    response = post_raw(api_client, body)

    assert response.status_code == 201
    assert response.json()["truncated"] is True
    message = Message.objects.get()
    assert len(message.text) <= settings.MAX_MESSAGE_CHARS
    assert len(message.raw_payload) == len(body)  # the raw payload is kept whole


def test_413_also_guards_webhooks_and_the_form(practice):
    big = b"x" * (settings.MAX_BODY_BYTES + 1)
    for url, content_type in [
        (f"/hooks/twilio/{practice.slug}/sms/", "application/x-www-form-urlencoded"),
        (f"/hooks/chat/{practice.slug}/", "application/json"),
        (f"/f/{practice.slug}/", "application/x-www-form-urlencoded"),
    ]:
        assert_error(Client().post(url, big, content_type=content_type), 413)


def test_invalid_utf8_is_a_clear_400(api_client):
    body = b'{"channel": "sms", "text": "caf\xe9 \xff\xfe"}'
    assert assert_error(post_raw(api_client, body), 400)["error"] == "parse_error"
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b'{"channel": "sms", "text": ', b"", b"null", b"[]", b"42", b'"text"', b"{'a': 1}"],
)
def test_malformed_json_is_a_clear_400(api_client, body):
    assert_error(post_raw(api_client, body), 400)
    assert not Message.objects.exists()


def test_nul_bytes_and_lone_surrogates_in_text_are_removed_and_the_message_stored(api_client):
    body = '{"channel": "sms", "text": "need\\u0000 a refill\\ud800 please"}'

    response = post_raw(api_client, body)

    assert response.status_code == 201
    message = Message.objects.get()
    assert message.text == "need a refill please"
    assert message.raw_payload == body  # JSON escapes, stored as they arrived


def test_raw_nul_bytes_in_a_form_payload_are_stored_escaped(practice):
    from intake.services import message_ingest

    message = message_ingest(
        practice=practice, channel="sms", text="hi\x00", raw_payload=b"Body=hi\x00&x=\xff"
    ).message

    message.refresh_from_db()
    assert message.text == "hi"
    assert message.raw_payload == "Body=hi\\x00&x=\ufffd"


@pytest.mark.parametrize("external_id", ["SM\\u0000x", "SM\\ud83d"])
def test_nul_or_surrogate_in_external_id_is_refused(api_client, external_id):
    body = '{"channel": "sms", "text": "hi", "external_id": "' + external_id + '"}'
    assert_error(post_raw(api_client, body), 400)
    assert not Message.objects.exists()


def test_html_is_stored_as_the_literal_text_it_is(api_client):
    text = '<p onclick="alert(1)">Hi</p><script>alert("x")</script> can I book a visit?'

    response = post(api_client, {"channel": "web_form", "text": text})

    assert response.status_code == 201
    assert Message.objects.get().text == text  # escaping is the job of whoever renders it


@pytest.mark.parametrize(
    "text",
    [
        "need to reschedule 🙏🙏 sorry!! 😅",
        "¿Puedo cambiar mi cita del jueves? Gracias",
        "我想预约下周的体检，请问有空位吗？",  # noqa: RUF001
        "أحتاج إلى تجديد الوصفة الطبية من فضلك",
        "Ich habe seit gestern starke Bauchschmerzen",
        "e\u0301te\u0301 appointment",  # decomposed accents: stored in NFC
    ],
)
def test_emoji_and_non_english_text_is_stored_and_classified(api_client, text):
    response = post(api_client, {"channel": "sms", "text": text})

    assert response.status_code == 201
    assert response.json()["status"] == "classified"
    assert Message.objects.get().text == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("text/plain", "channel=sms&text=hi"),
        ("application/x-www-form-urlencoded", "channel=sms&text=hi"),
        ("application/xml", "<message><text>hi</text></message>"),
    ],
)
def test_wrong_content_type_is_415(api_client, content_type, body):
    body_json = assert_error(post_raw(api_client, body, content_type=content_type), 415)
    assert body_json["error"] == "unsupported_media_type"
    assert not Message.objects.exists()


def test_multipart_is_415(api_client):
    response = api_client.post(URL, {"channel": "sms", "text": "hi"})  # multipart by default
    assert_error(response, 415)


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"channel": "fax", "text": "hi"}, "channel"),
        ({"text": "hi"}, "channel"),
        ({"channel": "sms"}, "text"),
        ({"channel": "sms", "text": ["a", "b"]}, "text"),
        ({"channel": "sms", "text": {"a": 1}}, "text"),
        ({"channel": "sms", "text": None}, "text"),
        ({"channel": "sms", "text": 0}, "text"),
        ({"channel": "sms", "text": True}, "text"),
        ({"channel": "sms", "text": "hi", "external_id": 12345}, "external_id"),
        ({"channel": "sms", "text": "hi", "received_at": "yesterday"}, "received_at"),
        ({"channel": "sms", "text": "hi", "external_id": "x" * 256}, "external_id"),
        ({"channel": "sms", "text": "hi", "sender": "s" * 321}, "sender"),
    ],
)
def test_invalid_fields_are_named_in_a_400(api_client, payload, field):
    body = assert_error(post(api_client, payload), 400)
    assert field in body["detail"]
    assert not Message.objects.exists()


@pytest.mark.parametrize("key", ["x" * 256, "clé-non-ascii", "tab\there"])
def test_invalid_idempotency_key_is_a_400(api_client, key):
    response = post(api_client, {"channel": "sms", "text": "hi"}, **{"Idempotency-Key": key})
    assert assert_error(response, 400)["error"] == "invalid_idempotency_key"
    assert not Message.objects.exists()


def test_unknown_fields_are_ignored(api_client):
    response = post(api_client, {"channel": "sms", "text": "hi", "priority": "high"})
    assert response.status_code == 201


def test_unknown_message_id_is_404_json(api_client):
    assert_error(api_client.get(f"{URL}999999/"), 404)


@pytest.mark.parametrize(
    "query", [{"limit": "-5"}, {"limit": "0"}, {"offset": "abc"}, {"offset": "-1"}, {"limit": ""}]
)
def test_invalid_paging_is_a_400(api_client, query):
    assert set(assert_error(api_client.get(URL, query), 400)["detail"]) == set(query)


def test_limit_over_the_maximum_is_capped(api_client):
    for i in range(3):
        post(api_client, {"channel": "sms", "text": f"m{i}"})
    body = api_client.get(URL, {"limit": "100000", "offset": "1"}).json()
    assert body["count"] == 3 and len(body["results"]) == 2


@pytest.mark.parametrize("message_id", ["99999999999999999999999", "9223372036854775808", "0"])
def test_out_of_range_message_id_is_404(api_client, message_id):
    assert_error(api_client.get(f"{URL}{message_id}/"), 404)


def test_list_costs_a_fixed_number_of_queries(api_client, django_assert_max_num_queries):
    for i in range(30):
        post(api_client, {"channel": "sms", "text": f"message {i}"})
    # key lookup, count, page, audit row: not one query per message.
    with django_assert_max_num_queries(5):
        assert len(api_client.get(URL, {"limit": 30}).json()["results"]) == 30
