"""Read-only admin pages: calibration labels are append-only and exports are records of what
left the system, so neither is edited by hand."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from review.models import CalibrationLabel, Export, LoginFailure


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalibrationLabel)
class CalibrationLabelAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "practice",
        "message_id",
        "kind",
        "predicted_label",
        "reviewer_label",
        "reviewer",
        "model_version",
        "created_at",
    )
    list_filter = ("kind", "practice", "reviewer_label", "model_version")
    raw_id_fields = ("message", "review_item", "undoes")


@admin.register(Export)
class ExportAdmin(ReadOnlyAdmin):
    list_display = ("id", "practice", "format", "status", "row_count", "requested_by", "created_at")
    list_filter = ("status", "format", "practice")


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    # Deletable by hand: an operator may lift a lockout early.
    list_display = ("username", "created_at")
    search_fields = ("username",)
