"""A small per-process cache with expiry, for lookups made on every request whose answers rarely
change: the API key behind an Authorization header, the practice behind a webhook URL.

Each lookup it saves is a query compiled by the ORM and a round trip to PostgreSQL, about 0.7 ms
of CPU per request. The price is staleness: another process sees a change (a revoked key, a new
Twilio token) up to `settings.LOOKUP_CACHE_SECONDS` later. The process that makes the change
forgets its entries at once (see intake.signals), so one process, and the test suite, never sees
a stale answer.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Generic, TypeVar

from django.conf import settings

if TYPE_CHECKING:
    from intake.models import ApiKey, Practice

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    def __init__(self, *, max_entries: int = 4096) -> None:
        self._entries: dict[K, tuple[float, V]] = {}
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if time.monotonic() >= expires:
            self._entries.pop(key, None)
            return None
        return value

    def set(self, key: K, value: V) -> None:
        ttl = settings.LOOKUP_CACHE_SECONDS
        if ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self._max_entries:
                # Simplest bound: start over. Entries are cheap to rebuild and a full cache means
                # more keys or practices than one process sees in a few seconds anyway.
                self._entries.clear()
            self._entries[key] = (time.monotonic() + ttl, value)

    def discard(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


# hashed API key -> ApiKey with its practice loaded
api_keys: TTLCache[str, ApiKey] = TTLCache()
# practice slug -> Practice
practices_by_slug: TTLCache[str, Practice] = TTLCache()


def clear_all() -> None:
    api_keys.clear()
    practices_by_slug.clear()
