"""The practice admin's dashboard, settings and audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import review_factories as f
from conftest import make_user
from django.test import Client
from django.utils import timezone

from intake.models import AccessAudit, Practice, Role
from intake.routing import route
from review import services


def tile(body: str, name: str) -> str:
    match = re.search(rf'id="stat-{name}">([^<]*)<', body)
    assert match, name
    return match.group(1)


def decide(practice, user, item, label, seconds=3.0):
    services.review_claim(reviewer=user, practice=practice, item_id=item.pk)
    return services.review_submit(
        reviewer=user,
        practice=practice,
        message_id=item.message_id,
        label=label,
        seconds_spent=seconds,
    )


def test_dashboard_numbers(client, practice, reviewer, practice_admin):
    colleague = make_user("carl.colleague", practice, Role.REVIEWER)
    for _ in range(3):
        f.auto_routed(practice, label="billing_inquiry", channel="email", text="pay my bill")
    a = f.queued(practice, label="appointment_request", channel="sms")
    b = f.queued(practice, label="appointment_request", channel="sms")
    c = f.queued(practice, label="complaint", channel="chat", text="rude staff")
    urgent = f.queued(practice, text="he is not breathing", channel="voicemail")
    f.queued(practice, label="", confidence=None, text="", channel="web_form")
    decide(practice, reviewer, a, "appointment_request")
    decide(practice, reviewer, b, "new_patient_inquiry")
    decide(practice, colleague, c, "complaint")
    services.review_claim_next(reviewer=reviewer, practice=practice)  # the urgent one is seen
    client.force_login(practice_admin)
    response = client.get(f"/practices/{practice.slug}/dashboard/")
    assert response.status_code == 200
    body = response.content.decode()
    assert tile(body, "total") == "8"
    assert tile(body, "auto") == "3"
    assert tile(body, "reviewed") == "3"
    assert tile(body, "backlog") == "2"
    assert tile(body, "decisions") == "3"
    assert tile(body, "agreement") == "67%"
    assert tile(body, "urgent") == "1"
    assert "<svg" in body and "Messages by intent" in body
    # Agreement table and confusion matrix: appointment_request predicted twice, overridden once.
    agreement = body.split('id="agreement"')[1].split("</table>")[0]
    assert re.search(r"appointment request</td><td>2</td><td>1</td><td>50%</td><td>50%", agreement)
    confusion = body.split('id="confusion"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><th>([^<]+)</th>(.*?)</tr>", confusion)
    cells = {name: re.findall(r">(\d+)</td>", row) for name, row in rows}
    assert cells["appointment request"][0] == "1"  # -> new_patient_inquiry
    assert cells["appointment request"][2] == "1"  # -> appointment_request
    assert cells["complaint"][5] == "1"
    reviewers = body.split('id="reviewers"')[1].split("</table>")[0]
    assert "rita.reviewer</td><td>2</td><td>1</td>" in reviewers
    assert "carl.colleague</td><td>1</td><td>0</td>" in reviewers
    urgent_table = body.split('id="urgent"')[1].split("</table>")[0]
    assert f"#{urgent.message_id}" in urgent_table and "breathing" in urgent_table


def test_dashboard_numbers_change_after_a_decision(client, practice, reviewer, practice_admin):
    item = f.queued(practice)
    client.force_login(practice_admin)
    url = f"/practices/{practice.slug}/dashboard/"
    before = client.get(url).content.decode()
    assert tile(before, "reviewed") == "0" and tile(before, "backlog") == "1"
    decide(practice, reviewer, item, "complaint")
    after = client.get(url).content.decode()
    assert tile(after, "reviewed") == "1" and tile(after, "backlog") == "0"


def test_date_range_filter(client, practice, practice_admin):
    f.auto_routed(practice, age=timedelta(days=40))
    f.auto_routed(practice, age=timedelta(days=1))
    client.force_login(practice_admin)
    url = f"/practices/{practice.slug}/dashboard/"
    assert tile(client.get(url).content.decode(), "total") == "1"  # default: last 30 days
    today = timezone.localdate()
    start = (today - timedelta(days=60)).isoformat()
    wide = client.get(url, {"start": start, "end": today.isoformat()}).content.decode()
    assert tile(wide, "total") == "2"
    bad = client.get(url, {"start": today.isoformat(), "end": start})
    assert bad.status_code == 200 and "start date is after" in bad.content.decode()


def test_dashboard_is_for_practice_admins_only(client, practice, reviewer, ml_staff):
    for user in (reviewer, ml_staff):
        client.force_login(user)
        for page in ("dashboard", "settings", "audit"):
            assert client.get(f"/practices/{practice.slug}/{page}/").status_code == 403


def test_settings_change_thresholds_and_destinations_for_routing(client, practice, practice_admin):
    client.force_login(practice_admin)
    url = f"/practices/{practice.slug}/settings/"
    assert client.get(url).status_code == 200
    data = {"review_threshold": "0.6"}
    for intent in (
        "new_patient_inquiry",
        "existing_patient_question",
        "appointment_request",
        "billing_inquiry",
        "clinical_concern",
        "complaint",
        "price_shopper",
    ):
        data[f"threshold_{intent}"] = ""
        data[f"destination_{intent}"] = {
            "appointment_request": "scheduling",
            "billing_inquiry": "billing",
            "clinical_concern": "clinical",
        }.get(intent, "front_desk")
    data["threshold_clinical_concern"] = "0.95"
    data["destination_complaint"] = "clinical"
    response = client.post(url, data)
    assert response.status_code == 302
    practice = Practice.objects.get(pk=practice.pk)
    assert practice.review_threshold == 0.6
    assert practice.intent_thresholds == {"clinical_concern": 0.95}
    assert practice.destinations == {"complaint": "clinical"}
    # Routing reads the new values for the next message.
    assert route(practice=practice, text="x", label="clinical_concern", confidence=0.9).needs_review
    assert not route(
        practice=practice, text="x", label="billing_inquiry", confidence=0.65
    ).needs_review
    assert (
        route(practice=practice, text="x", label="complaint", confidence=0.99).destination
        == "clinical"
    )
    row = AccessAudit.objects.get(action="update_settings")
    assert row.user_id == practice_admin.pk and row.detail["before"]["review_threshold"] == 0.7


def test_settings_reject_bad_values(client, practice, practice_admin):
    client.force_login(practice_admin)
    response = client.post(f"/practices/{practice.slug}/settings/", {"review_threshold": "1.5"})
    assert response.status_code == 400
    assert Practice.objects.get(pk=practice.pk).review_threshold == 0.7


def test_audit_log_lists_only_this_practice(
    client, practice, reviewer, practice_admin, other_practice, other_reviewer
):
    item = f.queued(practice)
    other = f.queued(other_practice)
    reviewer_client = client
    reviewer_client.force_login(reviewer)
    reviewer_client.get(f"/practices/{practice.slug}/messages/{item.message_id}/")
    services.message_view_record(
        user=other_reviewer, practice=other_practice, message_id=other.message_id
    )
    admin = Client()
    admin.force_login(practice_admin)
    body = admin.get(f"/practices/{practice.slug}/audit/").content.decode()
    assert "rita.reviewer" in body and f"message #{item.message_id}" in body
    assert "otto.other" not in body and f"message #{other.message_id}" not in body
    filtered = admin.get(f"/practices/{practice.slug}/audit/", {"action": "escalate"})
    assert "rita.reviewer" not in filtered.content.decode().split('id="audit"')[1]
