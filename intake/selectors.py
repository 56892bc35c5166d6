"""Reads for intake. Every message query is scoped to one practice: callers pass it explicitly."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from intake import localcache
from intake.models import Message, Practice

MESSAGE_FILTERS = ("status", "label", "destination", "channel", "needs_review", "urgent")


def practice_for_hook(*, slug: str) -> Practice:
    """The practice a public endpoint (webhook, form) names in its URL, or 404."""
    practice = localcache.practices_by_slug.get(slug)
    if practice is None:
        practice = Practice.objects.filter(slug=slug).first()
        if practice is None:
            raise Http404("No such practice.")
        localcache.practices_by_slug.set(slug, practice)
    return practice


def message_list(*, practice: Practice, filters: dict[str, Any] | None = None) -> QuerySet[Message]:
    """The practice's messages, newest first, narrowed by the given field filters."""
    query = {name: value for name, value in (filters or {}).items() if name in MESSAGE_FILTERS}
    return Message.objects.filter(practice=practice, **query).order_by("-created_at", "-pk")


def message_get(*, practice: Practice, message_id: int) -> Message:
    """One message of this practice; another practice's id answers like a missing one."""
    message = Message.objects.filter(practice=practice, pk=message_id).first()
    if message is None:
        raise Http404("No such message.")
    return message
