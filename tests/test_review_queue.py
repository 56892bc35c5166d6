"""The queue: order, filters, claiming under a lease, skips, escalation, expired leases."""

from __future__ import annotations

from datetime import timedelta

import review_factories as f
from conftest import make_user
from django.test import Client
from django.utils import timezone

from intake.models import Message, ReviewItem, ReviewStatus, Role
from review import services
from review.selectors import QueueFilters
from review.tasks import release_expired_leases


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def work_ids(response) -> list[int]:
    """Item ids in the order the work page shows them: current, then the preloaded one."""
    body = response.content.decode()
    ids = []
    for chunk in body.split('data-item-id="')[1:]:
        value = chunk.split('"', 1)[0]
        if value:
            ids.append(int(value))
    return ids


def test_queue_orders_urgent_then_waiting_time_then_uncertainty(client, reviewer, practice):
    newest_unsure = f.queued(practice, confidence=0.2, age=timedelta(minutes=1))
    oldest = f.queued(practice, confidence=0.6, age=timedelta(hours=3))
    urgent = f.queued(practice, text="my father has chest pain right now", age=timedelta(minutes=2))
    same_age_sure = f.queued(practice, confidence=0.65, age=timedelta(hours=1))
    same_age_unsure = f.queued(practice, confidence=0.3, age=timedelta(hours=1))
    Message.objects.filter(pk=same_age_unsure.message_id).update(
        received_at=Message.objects.get(pk=same_age_sure.message_id).received_at
    )
    client.force_login(reviewer)
    body = client.get(f"/practices/{practice.slug}/queue/").content.decode()
    order = [int(c.split('"', 1)[0]) for c in body.split('data-item-id="')[1:]]
    assert order == [
        urgent.pk,
        oldest.pk,
        same_age_unsure.pk,
        same_age_sure.pk,
        newest_unsure.pk,
    ]
    assert "chest_pain" in body


def test_queue_filters_by_channel_intent_and_destination(client, reviewer, practice):
    sms = f.queued(practice, channel="sms", label="appointment_request")
    email = f.queued(practice, channel="email", label="billing_inquiry", text="question on my bill")
    unclassified = f.queued(practice, label="", confidence=None, text="???")
    client.force_login(reviewer)
    base = f"/practices/{practice.slug}/queue/"

    def ids(query: str) -> set[int]:
        body = client.get(base + query).content.decode()
        return {int(c.split('"', 1)[0]) for c in body.split('data-item-id="')[1:]}

    assert ids("") == {sms.pk, email.pk, unclassified.pk}
    assert ids("?channel=email") == {email.pk}
    assert ids("?intent=appointment_request") == {sms.pk}
    assert ids("?intent=unclassified") == {unclassified.pk}
    assert ids("?destination=billing") == {email.pk}
    assert ids("?channel=bogus") == {sms.pk, email.pk, unclassified.pk}


def test_work_page_claims_current_and_preloads_the_next(client, reviewer, practice):
    first = f.queued(practice, age=timedelta(hours=2))
    second = f.queued(practice, age=timedelta(hours=1))
    third = f.queued(practice)
    client.force_login(reviewer)
    response = client.get(f"/practices/{practice.slug}/review/")
    assert response.status_code == 200
    assert work_ids(response) == [first.pk, second.pk]
    claimed = set(ReviewItem.objects.filter(claimed_by=reviewer).values_list("pk", flat=True))
    assert claimed == {first.pk, second.pk}
    assert ReviewItem.objects.get(pk=third.pk).claimed_by is None
    # Reloading hands back the same leased items rather than claiming more.
    assert work_ids(client.get(f"/practices/{practice.slug}/review/")) == [first.pk, second.pk]
    assert ReviewItem.objects.filter(claimed_by=reviewer).count() == 2


def test_two_reviewers_never_get_the_same_item(practice, reviewer):
    colleague = make_user("carl.colleague", practice, Role.REVIEWER)
    items = [f.queued(practice, age=timedelta(minutes=10 - i)) for i in range(4)]
    mine = work_ids(client_for(reviewer).get(f"/practices/{practice.slug}/review/"))
    theirs = work_ids(client_for(colleague).get(f"/practices/{practice.slug}/review/"))
    assert len(mine) == len(theirs) == 2
    assert not set(mine) & set(theirs)
    assert set(mine) | set(theirs) == {i.pk for i in items}


def test_next_endpoint_excludes_what_the_page_shows(practice, reviewer):
    a, b, c = (f.queued(practice, age=timedelta(minutes=10 - i)) for i in range(3))
    client = client_for(reviewer)
    response = client.post(
        f"/practices/{practice.slug}/review/next/", {"exclude": f"{a.pk},{b.pk}"}
    )
    assert work_ids(response) == [c.pk]
    empty = client.post(
        f"/practices/{practice.slug}/review/next/", {"exclude": f"{a.pk},{b.pk},{c.pk}"}
    )
    assert "data-empty" in empty.content.decode()


def test_expired_lease_is_claimable_by_someone_else(practice, reviewer):
    colleague = make_user("carl.colleague", practice, Role.REVIEWER)
    item = f.queued(practice)
    assert services.review_claim_next(reviewer=reviewer, practice=practice).pk == item.pk
    assert services.review_claim_next(reviewer=colleague, practice=practice) is None
    ReviewItem.objects.filter(pk=item.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    taken = services.review_claim_next(reviewer=colleague, practice=practice)
    assert taken is not None and taken.pk == item.pk
    assert taken.claimed_by_id == colleague.pk


def test_beat_task_releases_expired_leases_only(practice, reviewer):
    live = f.queued(practice)
    stale = f.queued(practice)
    services.review_claim(reviewer=reviewer, practice=practice, item_id=live.pk)
    services.review_claim(reviewer=reviewer, practice=practice, item_id=stale.pk)
    ReviewItem.objects.filter(pk=stale.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=5)
    )
    assert release_expired_leases.delay().get() == 1
    assert ReviewItem.objects.get(pk=stale.pk).claimed_by is None
    assert ReviewItem.objects.get(pk=live.pk).claimed_by_id == reviewer.pk
    assert release_expired_leases() == 0


def test_claim_from_queue_list_opens_that_item_first(client, practice, reviewer):
    f.queued(practice, age=timedelta(hours=5))
    chosen = f.queued(practice)
    client.force_login(reviewer)
    response = client.post(f"/practices/{practice.slug}/items/{chosen.pk}/claim/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/review/?first={chosen.pk}")
    assert work_ids(client.get(response["Location"]))[0] == chosen.pk


def test_claiming_an_item_someone_holds_says_so(client, practice, reviewer):
    colleague = make_user("carl.colleague", practice, Role.REVIEWER)
    item = f.queued(practice)
    services.review_claim(reviewer=colleague, practice=practice, item_id=item.pk)
    client.force_login(reviewer)
    response = client.post(f"/practices/{practice.slug}/items/{item.pk}/claim/", follow=True)
    assert "Another reviewer is working on this item" in response.content.decode()
    assert ReviewItem.objects.get(pk=item.pk).claimed_by_id == colleague.pk


def test_skip_releases_the_lease_and_keeps_the_item_out_of_my_way(client, practice, reviewer):
    colleague = make_user("carl.colleague", practice, Role.REVIEWER)
    first = f.queued(practice, age=timedelta(hours=1))
    second = f.queued(practice)
    client.force_login(reviewer)
    assert work_ids(client.get(f"/practices/{practice.slug}/review/")) == [first.pk, second.pk]
    response = client.post(f"/practices/{practice.slug}/items/{first.pk}/skip/")
    assert response.status_code == 200
    assert ReviewItem.objects.get(pk=first.pk).claimed_by is None
    # I am not offered it again; a colleague is.
    assert first.pk not in work_ids(client.get(f"/practices/{practice.slug}/review/"))
    assert services.review_claim_next(reviewer=colleague, practice=practice).pk == first.pk


def test_escalate_moves_the_item_to_the_admins(client, practice, reviewer, practice_admin):
    item = f.queued(practice)
    client.force_login(reviewer)
    client.get(f"/practices/{practice.slug}/review/")
    response = client.post(
        f"/practices/{practice.slug}/items/{item.pk}/escalate/", {"note": "not sure"}
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.status == ReviewStatus.ESCALATED and item.claimed_by is None
    assert services.review_claim_next(reviewer=reviewer, practice=practice) is None
    # A reviewer cannot take it back; the practice admin sees it and decides it.
    assert client.post(f"/practices/{practice.slug}/items/{item.pk}/claim/").status_code == 302
    assert ReviewItem.objects.get(pk=item.pk).claimed_by is None
    admin = client_for(practice_admin)
    queue = admin.get(f"/practices/{practice.slug}/queue/").content.decode()
    assert "Escalated to practice admins" in queue
    assert admin.post(f"/practices/{practice.slug}/items/{item.pk}/claim/").status_code == 302
    decided = admin.post(
        f"/practices/{practice.slug}/messages/{item.message_id}/decide/",
        {"label": "complaint"},
    )
    assert decided.status_code == 200
    assert ReviewItem.objects.get(pk=item.pk).status == ReviewStatus.DONE


def test_reviewer_cannot_decide_an_escalated_item(client, practice, reviewer):
    item = f.queued(practice)
    services.review_escalate(reviewer=reviewer, practice=practice, item_id=item.pk)
    client.force_login(reviewer)
    response = client.post(
        f"/practices/{practice.slug}/messages/{item.message_id}/decide/",
        {"label": "complaint"},
    )
    assert response.status_code == 403


def test_filters_apply_to_claims(practice, reviewer):
    f.queued(practice, channel="sms", age=timedelta(hours=1))
    email = f.queued(practice, channel="email", text="hello about my visit")
    claimed = services.review_claim_next(
        reviewer=reviewer, practice=practice, filters=QueueFilters(channel="email")
    )
    assert claimed is not None and claimed.pk == email.pk


def test_waiting_time_counts_from_when_the_message_arrived(practice, reviewer):
    """A message classified late (a worker was down) still waited since it arrived."""
    f.queued(practice, age=timedelta(minutes=30))
    classified_late = f.queued(practice, age=timedelta(minutes=1))
    Message.objects.filter(pk=classified_late.message_id).update(
        received_at=timezone.now() - timedelta(hours=2)
    )
    claimed = services.review_claim_next(reviewer=reviewer, practice=practice)
    assert claimed is not None and claimed.pk == classified_late.pk


def test_asking_for_the_next_item_renews_the_lease_of_the_shown_ones(practice, reviewer):
    shown = f.queued(practice, age=timedelta(hours=1))
    f.queued(practice)
    services.review_claim(reviewer=reviewer, practice=practice, item_id=shown.pk)
    soon = timezone.now() + timedelta(seconds=5)
    ReviewItem.objects.filter(pk=shown.pk).update(lease_expires_at=soon)
    services.review_claim_next(reviewer=reviewer, practice=practice, exclude_ids=[shown.pk])
    assert ReviewItem.objects.get(pk=shown.pk).lease_expires_at > soon + timedelta(seconds=60)
