"""Admin pages for intake: practice settings are edited here; messages and keys are not.

Messages, review items and the audit trail are read-only (services own every write). Opening a
message shows its text, so it writes an AccessAudit row like any other read of patient text.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from intake.models import AccessAudit, ApiKey, Membership, Message, Practice, ReviewItem
from intake.services import api_key_revoke, audit_record


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


class ApiKeyInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ApiKey
    extra = 0
    fields = ("prefix", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A key is shown once when it is made: `manage.py create_api_key --practice SLUG`.
        return False


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("slug", "name", "review_threshold", "form_enabled", "created_at")
    search_fields = ("slug", "name")
    readonly_fields = ("created_at",)
    inlines = (MembershipInline, ApiKeyInline)
    fieldsets = (
        (None, {"fields": ("slug", "name", "created_at")}),
        (
            "Routing",
            {
                "fields": ("review_threshold", "intent_thresholds", "destinations"),
                "description": "intent_thresholds and destinations map an intent to a value; "
                "an intent left out uses the practice threshold or the default destination.",
            },
        ),
        (
            "Channels",
            {"fields": ("twilio_auth_token", "mailgun_signing_key", "chat_secret", "form_enabled")},
        ),
    )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("prefix", "practice", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("practice", ("revoked_at", admin.EmptyFieldListFilter))
    fields = ("practice", "prefix", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoked, never deleted: audit rows keep pointing at the key that read the text.
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        keys = list(queryset.filter(revoked_at__isnull=True))
        for api_key in keys:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {len(keys)} key(s).", messages.SUCCESS)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "practice",
        "channel",
        "status",
        "routed_label",
        "confidence",
        "destination",
        "needs_review",
        "urgent",
        "created_at",
    )
    list_filter = ("status", "channel", "destination", "needs_review", "urgent", "practice")
    date_hierarchy = "created_at"
    # Text is left out of the list and of search on purpose: every read of it is audited.
    search_fields = ("=id", "=external_id")
    list_select_related = ("practice",)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code != 200 or not str(object_id).isdigit():
            return response
        message = Message.objects.select_related("practice").filter(pk=object_id).first()
        if message is not None:
            audit_record(
                action="admin.message.read",
                object_type="message",
                object_ids=[message.pk],
                practice=message.practice,
                user=request.user,
            )
        return response


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyAdmin):
    list_display = ("id", "practice", "message_id", "status", "reason", "urgent", "created_at")
    list_filter = ("status", "reason", "urgent", "practice")
    raw_id_fields = ("message",)


@admin.register(AccessAudit)
class AccessAuditAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "action",
        "object_type",
        "object_id",
        "user",
        "api_key",
        "practice",
    )
    list_filter = ("action", "object_type", "practice")
    date_hierarchy = "created_at"
