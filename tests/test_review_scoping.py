"""Scoping: nobody reaches another practice's pages, items, messages, stats, exports or audit
log, whatever ids they try; and each role reaches only its own pages."""

from __future__ import annotations

import pytest
import review_factories as f
from conftest import make_user
from django.test import Client

from intake.models import Message, ReviewItem, ReviewStatus, Role
from review import exports, services
from review.models import CalibrationLabel, Export

SECRET = "foreign practice secret text 7731"


@pytest.fixture
def foreign(other_practice, other_reviewer):
    """Practice B's item, auto-routed message, decision and finished export."""
    item = f.queued(other_practice, text=SECRET)
    auto = f.auto_routed(other_practice, text=SECRET + " auto")
    decided = f.queued(other_practice, text=SECRET + " decided")
    services.review_claim(reviewer=other_reviewer, practice=other_practice, item_id=decided.pk)
    services.review_submit(
        reviewer=other_reviewer,
        practice=other_practice,
        message_id=decided.message_id,
        label="complaint",
    )
    admin_b = make_user("bella.admin", other_practice, Role.PRACTICE_ADMIN)
    export = services.export_request(
        user=admin_b,
        practice=other_practice,
        fmt="csv",
        filters=exports.ExportFilters(),
        deidentify=False,
    )
    services.export_run(export_id=export.pk)
    return {"item": item, "auto": auto, "export": Export.objects.get(pk=export.pk)}


def practice_urls(slug: str, item_id: int, message_id: int, export_id: int):
    base = f"/practices/{slug}"
    return [
        ("get", f"{base}/"),
        ("get", f"{base}/queue/"),
        ("get", f"{base}/review/"),
        ("post", f"{base}/review/next/"),
        ("post", f"{base}/review/undo/"),
        ("post", f"{base}/items/{item_id}/claim/"),
        ("post", f"{base}/items/{item_id}/skip/"),
        ("post", f"{base}/items/{item_id}/escalate/"),
        ("get", f"{base}/messages/{message_id}/"),
        ("get", f"{base}/messages/{message_id}/raw/"),
        ("post", f"{base}/messages/{message_id}/decide/"),
        ("get", f"{base}/spot-check/"),
        ("get", f"{base}/dashboard/"),
        ("get", f"{base}/settings/"),
        ("post", f"{base}/settings/"),
        ("get", f"{base}/audit/"),
        ("get", f"{base}/exports/"),
        ("post", f"{base}/exports/"),
        ("get", f"{base}/exports/{export_id}/"),
        ("get", f"{base}/exports/{export_id}/download/"),
        ("get", f"{base}/exports/{export_id}/manifest/"),
    ]


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def test_another_practices_pages_are_404_for_a_member_elsewhere(practice, foreign, practice_admin):
    """Practice A's admin (every role's rights in A) tries practice B's slug with B's ids."""
    client = Client()
    client.force_login(practice_admin)
    b = foreign["item"].practice.slug
    urls = practice_urls(b, foreign["item"].pk, foreign["item"].message_id, foreign["export"].pk)
    for method, url in urls:
        response = getattr(client, method)(url, {"label": "complaint", "format": "csv"})
        assert response.status_code == 404, (method, url, response.status_code)
        assert SECRET not in body_of(response)


def test_own_practice_urls_with_foreign_ids_are_404(practice, foreign, practice_admin):
    client = Client()
    client.force_login(practice_admin)
    a = practice.slug
    item, export = foreign["item"], foreign["export"]
    for method, url in practice_urls(a, item.pk, item.message_id, export.pk):
        if not any(part in url for part in ("/items/", "/messages/", "/exports/")):
            continue
        if url.endswith("/exports/"):
            continue
        response = getattr(client, method)(url, {"label": "complaint"})
        assert response.status_code == 404, (method, url, response.status_code)
        assert SECRET not in body_of(response)
    # Nothing of B's changed hands.
    item.refresh_from_db()
    assert item.status == ReviewStatus.OPEN and item.claimed_by is None
    assert not CalibrationLabel.objects.filter(practice=practice).exists()
    assert not ReviewItem.objects.filter(message=foreign["auto"]).exists()


def test_own_practice_pages_never_show_foreign_data(practice, foreign, practice_admin, reviewer):
    mine = f.queued(practice, text="our own patient text")
    for user in (practice_admin, reviewer):
        client = Client()
        client.force_login(user)
        pages = ["queue", "review", "spot-check"]
        if user == practice_admin:
            pages += ["dashboard", "audit", "exports", "settings"]
        for page in pages:
            response = client.get(f"/practices/{practice.slug}/{page}/")
            assert response.status_code == 200, page
            body = body_of(response)
            assert SECRET not in body, page
            assert f'data-item-id="{foreign["item"].pk}"' not in body
        services.review_skip(reviewer=user, practice=practice, item_id=mine.pk)
    nxt = Client()
    nxt.force_login(reviewer)
    body = body_of(nxt.post(f"/practices/{practice.slug}/review/next/", {"exclude": ""}))
    assert SECRET not in body


def test_exports_contain_only_the_practices_labels(practice, foreign, practice_admin, tmp_path):
    item = f.queued(practice, text="our own decided text")
    services.review_claim(reviewer=practice_admin, practice=practice, item_id=item.pk)
    services.review_submit(
        reviewer=practice_admin, practice=practice, message_id=item.message_id, label="complaint"
    )
    export = services.export_request(
        user=practice_admin,
        practice=practice,
        fmt="jsonl",
        filters=exports.ExportFilters(),
        deidentify=False,
    )
    services.export_run(export_id=export.pk)
    client = Client()
    client.force_login(practice_admin)
    content = body_of(client.get(f"/practices/{practice.slug}/exports/{export.pk}/download/"))
    assert "our own decided text" in content and SECRET not in content


REVIEW_ONLY = ["queue/", "review/", "spot-check/"]
ADMIN_ONLY = ["dashboard/", "settings/", "audit/"]
EXPORTS = ["exports/"]


@pytest.mark.parametrize(
    ("role", "allowed", "forbidden"),
    [
        (Role.REVIEWER, REVIEW_ONLY, ADMIN_ONLY + EXPORTS),
        (Role.ML_STAFF, EXPORTS, REVIEW_ONLY + ADMIN_ONLY),
        (Role.PRACTICE_ADMIN, REVIEW_ONLY + ADMIN_ONLY + EXPORTS, []),
    ],
)
def test_role_matrix(practice, role, allowed, forbidden):
    user = make_user(f"someone-{role}", practice, role)
    client = Client()
    client.force_login(user)
    for page in allowed:
        assert client.get(f"/practices/{practice.slug}/{page}").status_code == 200, page
    for page in forbidden:
        assert client.get(f"/practices/{practice.slug}/{page}").status_code == 403, page


def test_ml_staff_cannot_touch_items_or_message_text(practice, ml_staff):
    item = f.queued(practice, text="text ml staff must not read here")
    client = Client()
    client.force_login(ml_staff)
    base = f"/practices/{practice.slug}"
    for method, url in [
        ("post", f"{base}/review/next/"),
        ("post", f"{base}/review/undo/"),
        ("post", f"{base}/items/{item.pk}/claim/"),
        ("post", f"{base}/items/{item.pk}/skip/"),
        ("post", f"{base}/items/{item.pk}/escalate/"),
        ("get", f"{base}/messages/{item.message_id}/"),
        ("get", f"{base}/messages/{item.message_id}/raw/"),
        ("post", f"{base}/messages/{item.message_id}/decide/"),
    ]:
        response = getattr(client, method)(url, {"label": "complaint"})
        assert response.status_code == 403, url
        assert "must not read" not in body_of(response)
    assert Message.objects.get(pk=item.message_id).needs_review
