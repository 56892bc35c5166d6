"""Inbound email: the Mailgun-style signed webhook and the raw RFC 822 upload."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from intake.channels.email.parse import html_to_text, strip_reply_and_signature
from intake.models import Message, MessageStatus

FIXTURES = Path(__file__).resolve().parent.parent / "intake" / "channels" / "email" / "fixtures"
UPLOAD = "/api/v1/messages/email/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def mailgun_payload(name: str, key: str, *, timestamp: int | None = None, token: str = "") -> dict:
    """A fixture re-signed as Mailgun signs: HMAC-SHA256(key, timestamp + token), hex."""
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    payload["timestamp"] = str(int(time.time()) if timestamp is None else timestamp)
    payload["token"] = token or secrets.token_hex(25)
    payload["signature"] = hmac.new(
        key.encode(), (payload["timestamp"] + payload["token"]).encode(), hashlib.sha256
    ).hexdigest()
    return payload


def deliver(practice: Any, payload: dict, *, multipart: bool = True) -> Any:
    url = f"/hooks/mailgun/{practice.slug}/"
    if multipart:
        return Client().post(url, payload)
    from urllib.parse import urlencode

    return Client().post(url, urlencode(payload), content_type="application/x-www-form-urlencoded")


# --- Mailgun webhook ---------------------------------------------------------------------


def test_gmail_reply_is_stored_with_the_quote_and_signature_cut(
    practice, django_capture_on_commit_callbacks
):
    payload = mailgun_payload("mailgun_gmail_reply.json", practice.mailgun_signing_key)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = deliver(practice, payload)

    assert response.status_code == 200
    assert response.json()["created"] is True
    assert len(queued) == 1
    message = Message.objects.get()
    assert message.channel == "email"
    assert message.external_id == "CAO3xk9pQ2v+Hh4wT7e1Zc8mKJ5rDq0s@mail.gmail.com"
    assert message.sender == "Daniel Okafor <d.okafor@gmail.com>"
    assert message.subject == "Re: Your lab results are ready"
    assert message.text.startswith("Hi,\n\nThanks for sending these.")
    assert message.text.endswith("Thanks,\nDaniel")
    assert "Senior Project Manager" not in message.text  # signature
    assert "lab results are now available" not in message.text  # quoted reply
    # The raw payload keeps everything, quote and signature included.
    assert "lab results are now available" in message.raw_payload
    assert "Senior Project Manager" in message.raw_payload
    assert message.raw_content_type.startswith("multipart/form-data")
    assert message.status == MessageStatus.CLASSIFIED


def test_html_only_email_becomes_text(practice):
    payload = mailgun_payload("mailgun_outlook_html_only.json", practice.mailgun_signing_key)

    assert deliver(practice, payload, multipart=False).status_code == 200

    text = Message.objects.get().text
    assert text.startswith("Hello,\n\nI received statement #44817 for $312.40")
    assert text.endswith("Karen Whitfield")
    assert "<" not in text and "MsoNormal" not in text  # no markup, no CSS
    assert "Amount due" not in text and "Get Outlook" not in text


def test_redelivery_of_the_same_email_is_stored_once(practice):
    key = practice.mailgun_signing_key
    first = deliver(practice, mailgun_payload("mailgun_gmail_reply.json", key))
    again = deliver(practice, mailgun_payload("mailgun_gmail_reply.json", key))

    assert first.status_code == again.status_code == 200
    assert again.json() == {**first.json(), "created": False}
    assert Message.objects.count() == 1


def test_replayed_token_is_refused(practice):
    payload = mailgun_payload("mailgun_gmail_reply.json", practice.mailgun_signing_key)
    assert deliver(practice, payload).status_code == 200
    Message.objects.all().delete()

    replay = deliver(practice, payload)

    assert replay.status_code == 403
    assert replay.json()["error"] == "replayed"
    assert not Message.objects.exists()


@pytest.mark.parametrize("age", [11 * 60, -11 * 60])
def test_stale_or_future_timestamp_is_refused(practice, age):
    payload = mailgun_payload(
        "mailgun_gmail_reply.json", practice.mailgun_signing_key, timestamp=int(time.time()) - age
    )
    response = deliver(practice, payload)
    assert response.status_code == 403
    assert response.json()["error"] == "stale_signature"
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p.update(signature="0" * 64),
        lambda p: p.update(token=p["token"] + "x"),
        lambda p: p.update(timestamp=str(int(p["timestamp"]) + 1)),
        lambda p: p.pop("signature"),
        lambda p: p.pop("token"),
    ],
    ids=["wrong-signature", "token-changed", "timestamp-changed", "no-signature", "no-token"],
)
def test_bad_signature_is_refused(practice, tamper):
    payload = mailgun_payload("mailgun_gmail_reply.json", practice.mailgun_signing_key)
    tamper(payload)
    response = deliver(practice, payload)
    assert response.status_code == 403
    assert response.json()["error"] == "bad_signature"
    assert not Message.objects.exists()


def test_another_practices_signing_key_is_refused(practice, other_practice):
    payload = mailgun_payload("mailgun_gmail_reply.json", other_practice.mailgun_signing_key)
    assert deliver(practice, payload).status_code == 403
    assert not Message.objects.exists()


def test_a_refused_payload_does_not_burn_its_token(practice):
    """A signed delivery that fails validation can be retried: its token is not a replay."""
    key = practice.mailgun_signing_key
    payload = mailgun_payload("mailgun_gmail_reply.json", key)
    payload["from"] = "x" * 400  # over the field limit: 400

    assert deliver(practice, payload).status_code == 400
    payload["from"] = "Daniel <d@example.com>"
    assert deliver(practice, payload).status_code == 200


def test_attachment_is_accepted_and_kept_in_the_raw_payload(practice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = mailgun_payload("mailgun_gmail_reply.json", practice.mailgun_signing_key)
    payload["attachment-count"] = "1"
    payload["attachment-1"] = SimpleUploadedFile(
        "rash.jpg", b"\xff\xd8\xff\xe0fakejpeg", "image/jpeg"
    )

    assert deliver(practice, payload).status_code == 200
    assert 'filename="rash.jpg"' in Message.objects.get().raw_payload


# --- raw RFC 822 upload ------------------------------------------------------------------


def upload(client: Client, raw: bytes, content_type: str = "message/rfc822", **headers: str):
    return client.post(UPLOAD, raw, content_type=content_type, headers=headers)


def test_raw_gmail_reply_is_parsed_stripped_classified_and_kept(api_client):
    raw = (FIXTURES / "gmail_reply_quoted_printable.eml").read_bytes()

    response = upload(api_client, raw)

    assert response.status_code == 201
    assert response.json()["status"] == "classified"
    message = Message.objects.get()
    assert message.external_id == "CAJ8pN2xV7rT0kQ=Wm4HbE1s9dF3gYc5uLz6oA@mail.gmail.com"
    assert message.sender == "Priya Natarajan <priya.natarajan@gmail.com>"
    assert message.subject.startswith("Re: Appointment reminder")
    assert message.received_at.isoformat() == "2024-03-18T14:52:01+00:00"
    assert "cancel Thursday\u2019s appointment" in message.text  # quoted-printable decoded
    assert message.text.endswith("Thank you!\nPriya")
    assert "reminder of your appointment" not in message.text
    assert message.raw_payload == raw.decode()
    assert message.raw_content_type == "message/rfc822"


def test_raw_html_only_base64_email_becomes_text(api_client):
    raw = (FIXTURES / "outlook_html_only_base64.eml").read_bytes()

    assert upload(api_client, raw).status_code == 201

    text = Message.objects.get().text
    assert text.startswith("I waited almost two hours past my appointment time yesterday")
    assert text.endswith("Tom Brennan")


def test_raw_latin1_french_email_is_decoded_and_its_quote_cut(api_client):
    raw = (FIXTURES / "apple_mail_french_latin1.eml").read_bytes()

    assert upload(api_client, raw).status_code == 201

    message = Message.objects.get()
    assert message.subject == "Fièvre et brûlures"
    assert message.sender == "Élodie Marchand <elodie.marchand@orange.fr>"
    assert "forte fièvre depuis hier soir" in message.text
    assert "Envoyé de mon iPhone" not in message.text
    assert "ordonnance" not in message.text


def test_raw_email_with_an_unknown_charset_is_still_stored(api_client):
    raw = (FIXTURES / "broken_charset_no_message_id.eml").read_bytes()

    assert upload(api_client, raw).status_code == 201
    message = Message.objects.get()
    assert "accepting new patients" in message.text
    assert message.external_id == ""


def test_raw_email_uploaded_twice_is_stored_once(api_client):
    raw = (FIXTURES / "gmail_reply_quoted_printable.eml").read_bytes()
    first, again = upload(api_client, raw), upload(api_client, raw)
    assert (first.status_code, again.status_code) == (201, 200)
    assert Message.objects.count() == 1


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"\x00\xff\xfe garbage without headers"])
def test_raw_upload_that_is_not_an_email_is_400(api_client, raw):
    response = upload(api_client, raw)
    assert response.status_code == 400
    assert response.json()["error"] in {"empty", "not_an_email"}
    assert not Message.objects.exists()


def test_raw_upload_with_the_wrong_content_type_is_415(api_client):
    raw = (FIXTURES / "gmail_reply_quoted_printable.eml").read_bytes()
    assert upload(api_client, raw, content_type="text/plain").status_code == 415


def test_raw_upload_needs_a_key(client, practice):
    raw = (FIXTURES / "gmail_reply_quoted_printable.eml").read_bytes()
    assert upload(client, raw).status_code == 401
    assert not Message.objects.exists()


# --- the text rules on their own ---------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Need a refill.\n\nOn Tue, Jan 2, 2024 at 9:00 AM Clinic <a@b.c> wrote:\n> old",
            "Need a refill.",
        ),
        ("Need a refill.\n-----Original Message-----\nFrom: x", "Need a refill."),
        ("Need a refill.\n\nFrom: Clinic <a@b.c>\nSent: Monday\nTo: me\n\nold", "Need a refill."),
        ("Need a refill.\n-- \nJane Doe\nAcme Corp", "Need a refill."),
        ("Need a refill.\n\nSent from my iPhone", "Need a refill."),
        ("> all quoted\n> nothing new", "> all quoted\n> nothing new"),
        ("Answer one.\n> question two?\nAnswer two.", "Answer one.\nAnswer two."),
        ("On Monday I wrote to you about my knee.", "On Monday I wrote to you about my knee."),
    ],
)
def test_strip_reply_and_signature(text, expected):
    assert strip_reply_and_signature(text) == expected


def test_html_to_text_drops_scripts_styles_and_quotes():
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Can I book&nbsp;a visit?</p><blockquote>old question</blockquote><p>Thanks</p>"
        "<div class='gmail_quote'>On Mon ... wrote:<blockquote>history</blockquote></div>"
        "</body></html>"
    )
    assert html_to_text(html) == "Can I book a visit?\n\nThanks"
