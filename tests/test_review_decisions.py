"""Decisions: provenance, re-routing, undo, spot checks, conflicts, inert text, audit rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import review_factories as f
from conftest import make_user
from django.test import Client
from django.utils import timezone

from intake.models import AccessAudit, Message, ReviewItem, ReviewStatus, Role
from intake.services import message_classify_now, message_ingest
from review import services
from review.models import CalibrationLabel, DecisionKind


def decide(client: Client, practice, message_id: int, label: str, **extra):
    return client.post(
        f"/practices/{practice.slug}/messages/{message_id}/decide/", {"label": label, **extra}
    )


def test_decision_appends_a_label_with_full_provenance_and_reroutes(client, practice, reviewer):
    item = f.queued(practice, label="appointment_request", confidence=0.45)
    client.force_login(reviewer)
    client.get(f"/practices/{practice.slug}/review/")
    response = decide(
        client, practice, item.message_id, "billing_inquiry", seconds="7.25", reason="about a bill"
    )
    assert response.status_code == 200
    assert "billing" in response.content.decode()
    label = CalibrationLabel.objects.get()
    message = Message.objects.get(pk=item.message_id)
    assert label.kind == DecisionKind.CORRECT
    assert label.message_id == message.pk and label.review_item_id == item.pk
    assert label.model_version == f.MODEL_VERSION
    assert label.probabilities == message.probabilities
    assert label.predicted_label == "appointment_request"
    assert label.reviewer_label == "billing_inquiry"
    assert label.reviewer_id == reviewer.pk
    assert label.seconds_spent == pytest.approx(7.25)
    assert label.reason == "about a bill"
    assert message.routed_label == "billing_inquiry"
    assert message.destination == "billing"
    assert not message.needs_review and message.reviewed_at is not None
    item.refresh_from_db()
    assert item.status == ReviewStatus.DONE and item.claimed_by is None
    assert item.decided_at is not None


def test_accepting_the_model_label_is_an_accept(client, practice, reviewer):
    item = f.queued(practice, label="complaint", text="your staff was rude to me")
    client.force_login(reviewer)
    assert decide(client, practice, item.message_id, "complaint").status_code == 200
    assert CalibrationLabel.objects.get().kind == DecisionKind.ACCEPT


def test_destination_follows_practice_overrides(client, practice, reviewer):
    practice.destinations = {"complaint": "clinical"}
    practice.save()
    item = f.queued(practice)
    client.force_login(reviewer)
    decide(client, practice, item.message_id, "complaint")
    assert Message.objects.get(pk=item.message_id).destination == "clinical"


def test_undo_appends_a_row_and_reopens_the_item(client, practice, reviewer):
    item = f.queued(practice, label="appointment_request")
    original_destination = item.message.destination
    client.force_login(reviewer)
    decide(client, practice, item.message_id, "billing_inquiry")
    response = client.post(f"/practices/{practice.slug}/review/undo/")
    assert response.status_code == 200
    assert f'data-item-id="{item.pk}"' in response.content.decode()
    rows = list(CalibrationLabel.objects.order_by("pk"))
    assert [r.kind for r in rows] == [DecisionKind.CORRECT, DecisionKind.UNDO]
    assert rows[1].undoes_id == rows[0].pk
    item.refresh_from_db()
    assert item.status == ReviewStatus.OPEN and item.claimed_by_id == reviewer.pk
    message = Message.objects.get(pk=item.message_id)
    assert message.routed_label == "appointment_request"
    assert message.destination == original_destination
    assert message.needs_review and message.reviewed_at is None
    # Decide again and undo again; an undone decision is never undone twice.
    assert decide(client, practice, item.message_id, "appointment_request").status_code == 200
    assert client.post(f"/practices/{practice.slug}/review/undo/").status_code == 200
    assert client.post(f"/practices/{practice.slug}/review/undo/").status_code == 404
    kinds = list(CalibrationLabel.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["correct", "undo", "accept", "undo"]  # nothing was ever deleted


def test_undo_only_touches_my_own_decisions(client, practice, reviewer):
    colleague = make_user("carl.colleague", practice, Role.REVIEWER)
    item = f.queued(practice)
    services.review_submit(
        reviewer=colleague, practice=practice, message_id=item.message_id, label="complaint"
    )
    client.force_login(reviewer)
    assert client.post(f"/practices/{practice.slug}/review/undo/").status_code == 404
    assert ReviewItem.objects.get(pk=item.pk).status == ReviewStatus.DONE


def test_an_item_is_decided_once(client, practice, reviewer):
    item = f.queued(practice)
    client.force_login(reviewer)
    assert decide(client, practice, item.message_id, "complaint").status_code == 200
    response = decide(client, practice, item.message_id, "billing_inquiry")
    assert response.status_code == 409
    assert CalibrationLabel.objects.count() == 1


def test_a_reviewer_cannot_decide_an_item_another_one_holds(client, practice, reviewer):
    colleague = make_user("carl.colleague", practice, Role.REVIEWER)
    item = f.queued(practice)
    services.review_claim(reviewer=colleague, practice=practice, item_id=item.pk)
    client.force_login(reviewer)
    response = decide(client, practice, item.message_id, "complaint")
    assert response.status_code == 409
    assert "Another reviewer" in response.content.decode()
    # Once the colleague's lease runs out, the decision goes through.
    ReviewItem.objects.filter(pk=item.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert decide(client, practice, item.message_id, "complaint").status_code == 200


def test_spot_check_of_an_auto_routed_message_counts_the_same(client, practice, reviewer):
    message = f.auto_routed(practice, label="billing_inquiry", text="how do i pay my statement")
    client.force_login(reviewer)
    listing = client.get(f"/practices/{practice.slug}/spot-check/").content.decode()
    assert f"#{message.pk}" in listing
    page = client.get(f"/practices/{practice.slug}/messages/{message.pk}/")
    assert "data-review-spot-check" in page.content.decode()
    assert decide(client, practice, message.pk, "existing_patient_question").status_code == 200
    label = CalibrationLabel.objects.get()
    assert label.kind == DecisionKind.SPOT_CHECK
    assert label.predicted_label == "billing_inquiry"
    assert label.reviewer_label == "existing_patient_question"
    message.refresh_from_db()
    assert message.routed_label == "existing_patient_question"
    assert message.destination == "front_desk"
    assert message.review_item.status == ReviewStatus.DONE
    assert message.review_item.reason == "spot_check"
    # It has left the spot-check list.
    listing = client.get(f"/practices/{practice.slug}/spot-check/").content.decode()
    assert f"#{message.pk}" not in listing


def test_unclassified_message_gets_a_label_from_the_reviewer(client, practice, reviewer):
    item = f.queued(practice, label="", confidence=None, text="")
    client.force_login(reviewer)
    work = client.get(f"/practices/{practice.slug}/review/").content.decode()
    assert 'data-predicted=""' in work and "the model gave no label" in work
    assert decide(client, practice, item.message_id, "new_patient_inquiry").status_code == 200
    label = CalibrationLabel.objects.get()
    assert label.predicted_label == "" and label.kind == DecisionKind.CORRECT


def test_bad_label_is_refused(client, practice, reviewer):
    item = f.queued(practice)
    client.force_login(reviewer)
    assert decide(client, practice, item.message_id, "not_an_intent").status_code == 400
    assert not CalibrationLabel.objects.exists()


def test_item_view_shows_what_the_reviewer_needs(client, practice, reviewer):
    item = f.queued(
        practice,
        text="my baby has a fever of 39 and is 6 weeks old",
        sender="+15551234567",
        channel="sms",
        subject="",
    )
    client.force_login(reviewer)
    body = client.get(f"/practices/{practice.slug}/review/").content.decode()
    assert "my baby has a fever" in body
    assert "+15551234567" in body
    assert "infant_fever" in body and "Urgent" in body
    assert f.MODEL_VERSION in body
    assert body.count('class="intent"') == 7
    assert 'data-key="7"' in body
    assert item.message.received_at.strftime("%Y-%m-%d %H:%M") in body


def test_viewing_text_writes_audit_rows_and_first_look(client, practice, reviewer):
    item = f.queued(practice)
    client.force_login(reviewer)
    client.get(f"/practices/{practice.slug}/review/")
    row = AccessAudit.objects.get(action="view_message")
    assert row.user_id == reviewer.pk and row.practice_id == practice.pk
    assert row.object_id == str(item.message_id)
    assert ReviewItem.objects.get(pk=item.pk).first_seen_at is not None
    client.get(f"/practices/{practice.slug}/messages/{item.message_id}/raw/")
    assert AccessAudit.objects.filter(action="view_message_raw").count() == 1
    client.get(f"/practices/{practice.slug}/messages/{item.message_id}/")
    assert AccessAudit.objects.filter(action="view_message").count() == 2


def test_html_email_is_shown_inert(client, practice, reviewer):
    html = (
        '<html><body><p>Hi</p><img src="http://tracker.example/pixel.gif">'
        '<script>alert(1)</script><a href="javascript:alert(2)">x</a></body></html>'
    )
    item = f.queued(
        practice,
        channel="email",
        text="Hi <img src=x onerror=alert(1)>",
        subject="<b>bold</b>",
        raw_payload=html,
    )
    client.force_login(reviewer)
    page = client.get(f"/practices/{practice.slug}/messages/{item.message_id}/").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<b>bold</b>" not in page
    raw = client.get(f"/practices/{practice.slug}/messages/{item.message_id}/raw/")
    body = raw.content.decode()
    assert "<img" not in body and "<script>" not in body
    assert "&lt;img src=&quot;http://tracker.example/pixel.gif&quot;&gt;" in body
    assert "img-src 'self'" in raw["Content-Security-Policy"]


def test_ml_staff_cannot_decide(client, practice, ml_staff):
    item = f.queued(practice)
    client.force_login(ml_staff)
    assert decide(client, practice, item.message_id, "complaint").status_code == 403
    assert client.get(f"/practices/{practice.slug}/review/").status_code == 403
    assert not CalibrationLabel.objects.exists()


def test_practice_admin_can_review(client, practice, practice_admin):
    item = f.queued(practice)
    client.force_login(practice_admin)
    assert client.get(f"/practices/{practice.slug}/review/").status_code == 200
    assert decide(client, practice, item.message_id, "complaint").status_code == 200


def test_model_routed_message_reviewed_end_to_end(client, practice, reviewer):
    """Through intake's real path (tiny model): ingest, classify, route, review, re-route."""
    stored = message_ingest(
        practice=practice, channel="sms", text="i have chest pain since this morning"
    ).message
    message = message_classify_now(message=stored)
    item = ReviewItem.objects.get(message=message)
    assert item.urgent
    client.force_login(reviewer)
    work = client.get(f"/practices/{practice.slug}/review/").content.decode()
    assert f'data-item-id="{item.pk}"' in work
    assert decide(client, practice, message.pk, "clinical_concern").status_code == 200
    label = CalibrationLabel.objects.get()
    assert label.model_version == message.model_version
    assert set(label.probabilities) == set(message.probabilities)
    message.refresh_from_db()
    assert message.destination == "clinical" and not message.needs_review
