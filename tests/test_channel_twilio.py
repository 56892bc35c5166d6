"""Twilio SMS and voicemail-transcription webhooks, signed by twilio's own RequestValidator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from intake.channels.twilio.signature import compute_signature, signature_valid
from intake.models import Message, MessageStatus, ReviewItem

FIXTURES = Path(__file__).resolve().parent.parent / "intake" / "channels" / "twilio" / "fixtures"

pytestmark = pytest.mark.django_db


def fixture(name: str) -> dict[str, str]:
    return json.loads((FIXTURES / name).read_text())


def deliver(
    practice: Any,
    kind: str,
    params: dict[str, str],
    *,
    token: str | None = None,
    host: str = "testserver",
    secure: bool = False,
    url_suffix: str = "",
    **headers: str,
) -> Any:
    """POST the form the way Twilio does, signed with twilio's RequestValidator."""
    path = f"/hooks/twilio/{practice.slug}/{kind}/{url_suffix}"
    url = f"{'https' if secure else 'http'}://{host}{path}"
    signature = RequestValidator(token or practice.twilio_auth_token).compute_signature(url, params)
    return Client().post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature, "Host": host, **headers},
        secure=secure,
    )


def test_inbound_sms_is_acknowledged_with_empty_twiml_then_classified(
    practice, django_capture_on_commit_callbacks
):
    params = fixture("sms_reschedule.json")

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = deliver(practice, "sms", params)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    )
    assert len(queued) == 1
    message = Message.objects.get()
    assert message.channel == "sms"
    assert message.external_id == params["MessageSid"]
    assert message.sender == "+15035550187"
    assert message.text == params["Body"]
    assert message.raw_content_type.startswith("application/x-www-form-urlencoded")
    assert "FromCity=PORTLAND" in message.raw_payload
    assert message.status == MessageStatus.CLASSIFIED


def test_sms_is_stored_before_classification(practice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        deliver(practice, "sms", fixture("sms_reschedule.json"))
    assert Message.objects.get().status == MessageStatus.PENDING


def test_duplicate_twilio_delivery_stores_one_message(practice):
    params = fixture("sms_reschedule.json")
    responses = [deliver(practice, "sms", params) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert Message.objects.count() == 1


def test_non_english_sms_with_emoji_is_stored_exactly(practice):
    params = fixture("sms_spanish_emoji.json")
    assert deliver(practice, "sms", params).status_code == 200
    assert Message.objects.get().text == params["Body"]


def test_picture_only_mms_is_stored_and_sent_to_review_as_unclassified(
    practice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(practice, "sms", fixture("mms_photo_only.json")).status_code == 200

    message = Message.objects.get()
    assert message.text == ""
    assert message.status == MessageStatus.UNCLASSIFIED and message.needs_review
    assert ReviewItem.objects.get(message=message).reason == "unclassified"
    assert "MediaUrl0=" in message.raw_payload


def test_voicemail_transcription_is_stored_once_per_recording(
    practice, django_capture_on_commit_callbacks
):
    params = fixture("voicemail_transcription_completed.json")

    with django_capture_on_commit_callbacks(execute=True):
        first = deliver(practice, "voicemail", params)
        again = deliver(practice, "voicemail", params)

    assert first.status_code == again.status_code == 200
    assert b"<Response></Response>" in first.content
    message = Message.objects.get()
    assert message.channel == "voicemail"
    assert message.external_id == params["RecordingSid"]
    assert message.text.startswith("Hi uh this is Gerald Foster calling about my bill")
    assert message.sender == "+15035550176"
    assert message.status == MessageStatus.CLASSIFIED


def test_failed_transcription_is_kept_for_a_human_to_listen_to(
    practice, django_capture_on_commit_callbacks
):
    params = fixture("voicemail_transcription_failed.json")
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(practice, "voicemail", params).status_code == 200

    message = Message.objects.get()
    assert message.text == "" and message.needs_review
    assert params["RecordingUrl"].split("/")[-1] in message.raw_payload


def test_signature_of_the_https_url_behind_a_tls_proxy_is_valid(practice, settings):
    settings.ALLOWED_HOSTS = ["clinic.example.org"]
    response = deliver(
        practice,
        "sms",
        fixture("sms_reschedule.json"),
        host="clinic.example.org",
        secure=True,
    )
    assert response.status_code == 200


def test_url_with_a_query_string_is_signed_as_twilio_signs_it(practice):
    response = deliver(practice, "sms", fixture("sms_reschedule.json"), url_suffix="?source=main")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p, h: (dict(p, Body="I want a refund of everything"), h),
        lambda p, h: (dict(p, Extra="1"), h),
        lambda p, h: (p, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}),
        lambda p, h: (p, {"X-Twilio-Signature": ""}),
    ],
    ids=["body-changed", "param-added", "wrong-signature", "empty-signature"],
)
def test_bad_signature_is_403_and_stores_nothing(practice, tamper):
    params = fixture("sms_reschedule.json")
    url = f"http://testserver/hooks/twilio/{practice.slug}/sms/"
    headers = {
        "X-Twilio-Signature": RequestValidator(practice.twilio_auth_token).compute_signature(
            url, params
        )
    }
    params, override = tamper(params, {})
    headers.update(override)

    response = Client().post(
        f"/hooks/twilio/{practice.slug}/sms/",
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )

    assert response.status_code == 403
    assert response.json()["error"] == "bad_signature"
    assert not Message.objects.exists()


def test_missing_signature_header_is_403(practice):
    response = Client().post(
        f"/hooks/twilio/{practice.slug}/sms/",
        urlencode(fixture("sms_reschedule.json")),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_another_practices_token_is_403(practice, other_practice):
    response = deliver(
        practice, "sms", fixture("sms_reschedule.json"), token=other_practice.twilio_auth_token
    )
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_unknown_practice_is_404_json(practice):
    response = Client().post(
        "/hooks/twilio/no-such-clinic/sms/", "a=b", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_practice_without_a_twilio_token_refuses(practice):
    practice.twilio_auth_token = ""
    practice.save(update_fields=["twilio_auth_token"])
    response = deliver(practice, "sms", fixture("sms_reschedule.json"), token="anything")
    assert response.status_code == 403
    assert response.json()["error"] == "not_configured"


def test_signed_but_malformed_payload_is_400_and_stores_nothing(practice):
    params = dict(fixture("sms_reschedule.json"), MessageSid="SM\x00' OR 1=1 --")
    response = deliver(practice, "sms", params)
    assert response.status_code == 400
    assert "MessageSid" in response.json()["detail"]
    assert not Message.objects.exists()


def test_json_body_is_415(practice):
    response = Client().post(
        f"/hooks/twilio/{practice.slug}/sms/", "{}", content_type="application/json"
    )
    assert response.status_code == 415


# The signature module on its own, against twilio's implementation, over awkward inputs.


@pytest.mark.parametrize(
    "url, params",
    [
        ("https://example.org/hooks/twilio/a/sms/", {}),
        ("https://example.org:8443/x?b=2&a=1", {"Body": "héllo wörld 🙂", "From": "+1"}),
        ("http://example.org/x", {"a": "1", "A": "2", "b": "", "_": "x y"}),
    ],
)
def test_signature_matches_twilio_compute_signature(url, params):
    token = "12345678901234567890123456789012"
    ours = compute_signature(token, url, {k: [v] for k, v in params.items()})
    assert ours == RequestValidator(token).compute_signature(url, params)


def test_repeated_parameters_are_signed_like_twilio_signs_a_querydict():
    from django.http import QueryDict

    token = "secret-token"
    url = "https://example.org/hook"
    form = QueryDict("MediaUrl=b&MediaUrl=a&MediaUrl=a&Body=x")
    expected = RequestValidator(token).compute_signature(url, form)
    params = {k: form.getlist(k) for k in form}
    assert compute_signature(token, url, params) == expected
    assert signature_valid(token=token, url=url, params=params, signature=expected)


@pytest.mark.parametrize(
    "signed_url, served_url",
    [
        ("https://example.org:443/hook", "https://example.org/hook"),
        ("https://example.org/hook", "https://example.org:443/hook"),
    ],
)
def test_signature_is_valid_with_or_without_the_default_port(signed_url, served_url):
    token = "secret-token"
    signature = RequestValidator(token).compute_signature(signed_url, {"a": "1"})
    assert signature_valid(token=token, url=served_url, params={"a": ["1"]}, signature=signature)
    assert RequestValidator(token).validate(served_url, {"a": "1"}, signature)


def test_sharedkey_webhooks_signed_with_hmac_sha256_are_accepted(practice):
    params = fixture("sms_reschedule.json")
    url = f"http://testserver/hooks/twilio/{practice.slug}/sms/"
    signature = RequestValidator(practice.twilio_auth_token).compute_signature(
        url, params, algorithm="HMAC_SHA256"
    )
    response = Client().post(
        f"/hooks/twilio/{practice.slug}/sms/",
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Twilio-Signature": signature,
            "X-Twilio-Webhooks-Signature-Settings": "key=sk_1,algorithm=HMAC_SHA256",
        },
    )
    assert response.status_code == 200
