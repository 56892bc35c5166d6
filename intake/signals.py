"""Forget cached lookups when what they cached changes in this process (intake.localcache)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from intake import localcache
from intake.models import ApiKey, Practice


@receiver([post_save, post_delete], sender=Practice)
@receiver([post_save, post_delete], sender=ApiKey)
def forget_cached_lookups(**_: Any) -> None:
    # Practices and keys change rarely (an admin's edit): dropping everything is simplest.
    localcache.clear_all()
