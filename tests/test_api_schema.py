"""The OpenAPI schema is served, valid, and describes every intake endpoint and its errors."""

from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

INTAKE_OPERATIONS = {
    ("/api/v1/messages/", "get"): {"200", "400", "401"},
    ("/api/v1/messages/", "post"): {"200", "201", "400", "401", "413", "415"},
    ("/api/v1/messages/batch/", "post"): {"202", "400", "401", "413", "415"},
    ("/api/v1/messages/email/", "post"): {"200", "201", "400", "401", "413", "415"},
    ("/api/v1/messages/{message_id}/", "get"): {"200", "401", "404"},
    ("/hooks/twilio/{slug}/sms/", "post"): {"200", "400", "403", "404", "413", "415"},
    ("/hooks/twilio/{slug}/voicemail/", "post"): {"200", "400", "403", "404", "413", "415"},
    ("/hooks/mailgun/{slug}/", "post"): {"200", "400", "403", "404", "413", "415"},
    ("/hooks/chat/{slug}/", "post"): {"200", "202", "400", "403", "404", "413", "415"},
}


def schema() -> dict:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_public_and_lists_every_intake_operation_with_its_errors():
    paths = schema()["paths"]
    for (path, method), statuses in INTAKE_OPERATIONS.items():
        assert method in paths[path], (path, method)
        assert set(paths[path][method]["responses"]) == statuses, (path, method)


def test_api_key_scheme_is_declared_and_webhooks_need_none():
    document = schema()
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": document["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    assert document["paths"]["/api/v1/messages/"]["post"]["security"] == [{"ApiKey": []}]
    assert "security" not in document  # no global requirement ...
    assert "security" not in document["paths"]["/hooks/chat/{slug}/"]["post"]  # ... nor here


def test_error_bodies_and_enums_are_named_once():
    components = schema()["components"]["schemas"]
    assert set(components["Error"]["required"]) == {"error", "detail"}
    for name in ("IntentEnum", "ChannelEnum", "DestinationEnum", "MessageStatusEnum"):
        assert name in components
    assert not [name for name in components if name.endswith(("Enum2", "B66Enum"))]


def test_schema_generation_has_no_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO())


def test_docs_page_is_served():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
