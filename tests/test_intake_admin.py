"""Intake admin pages: practice settings editable; messages read-only and audited when opened."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from intake.models import AccessAudit, ApiKey
from intake.services import api_key_create, message_ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(practice) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x" * 20))
    return client


def test_message_pages_are_read_only_and_opening_one_is_audited(admin_client, practice):
    message = message_ingest(practice=practice, channel="sms", text="private words").message

    listing = admin_client.get("/admin/intake/message/")
    assert listing.status_code == 200
    assert b"private words" not in listing.content  # no text in the list
    assert not AccessAudit.objects.exists()

    page = admin_client.get(f"/admin/intake/message/{message.pk}/change/")
    assert page.status_code == 200
    assert b"private words" in page.content
    assert b'name="_save"' not in page.content  # read-only
    audit = AccessAudit.objects.get()
    assert (audit.action, audit.object_id, audit.practice) == (
        "admin.message.read",
        str(message.pk),
        practice,
    )

    assert admin_client.get("/admin/intake/message/abc/change/").status_code in {200, 302, 404}
    assert admin_client.post(f"/admin/intake/message/{message.pk}/delete/").status_code == 403


def test_api_keys_are_revoked_not_deleted(admin_client, practice):
    key = api_key_create(practice=practice).api_key

    response = admin_client.post(
        "/admin/intake/apikey/", {"action": "revoke", "_selected_action": [key.pk]}
    )

    assert response.status_code == 302
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert admin_client.get("/admin/intake/apikey/add/").status_code == 403


def test_practice_settings_page_opens(admin_client, practice):
    response = admin_client.get(f"/admin/intake/practice/{practice.pk}/change/")
    assert response.status_code == 200
    assert b"twilio_auth_token" in response.content
    assert admin_client.get("/admin/intake/reviewitem/").status_code == 200
    assert admin_client.get("/admin/intake/accessaudit/").status_code == 200
