"""Forms: validation only. Views pass cleaned data to one service."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from clarioscope.taxonomy import DEFAULT_DESTINATION, DESTINATIONS, INTENTS
from intake.models import Practice
from review import exports
from review.selectors import login_locked

INTENT_CHOICES = [(i, i.replace("_", " ")) for i in INTENTS]
DESTINATION_CHOICES = [(d, d.replace("_", " ")) for d in DESTINATIONS]
MAX_RANGE_DAYS = 366


class LockoutAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refused outright while the username is locked out.

    The lock is checked before the password is hashed, so a locked account costs an attacker
    the same answer whether the password was right or not.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": (
            "Too many failed sign-ins for this username. Try again in %(minutes)d minutes, "
            "or ask an administrator."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if username and login_locked(username=username):
            raise ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)},
            )
        return super().clean()

    @property
    def locked(self) -> bool:
        return any(e.code == "locked" for e in self.errors.as_data().get("__all__", []))


class DecisionForm(forms.Form):
    label = forms.ChoiceField(choices=INTENT_CHOICES)
    seconds = forms.FloatField(required=False, min_value=0)
    reason = forms.CharField(required=False, max_length=500)


class EscalateForm(forms.Form):
    note = forms.CharField(required=False, max_length=500)


class DateRangeForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data: Any = None) -> None:
        today = timezone.localdate()
        super().__init__(data, initial={"start": today - timedelta(days=29), "end": today})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=29)
        if start > end:
            raise ValidationError("The start date is after the end date.")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise ValidationError(f"Pick a range of at most {MAX_RANGE_DAYS} days.")
        data["start"], data["end"] = start, end
        return data

    def range(self) -> tuple[date, date]:
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        today = timezone.localdate()
        return today - timedelta(days=29), today


class PracticeSettingsForm(forms.Form):
    """The global review threshold, and per intent an optional threshold and a destination."""

    review_threshold = forms.FloatField(
        min_value=0.0,
        max_value=1.0,
        help_text="Predictions below this calibrated confidence go to the review queue.",
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )

    def __init__(self, data: Any = None, *, practice: Practice) -> None:
        initial: dict[str, Any] = {"review_threshold": practice.review_threshold}
        for intent in INTENTS:
            initial[f"threshold_{intent}"] = practice.intent_thresholds.get(intent)
            initial[f"destination_{intent}"] = practice.destinations.get(
                intent, DEFAULT_DESTINATION[intent]
            )
        super().__init__(data, initial=initial)
        for intent in INTENTS:
            self.fields[f"threshold_{intent}"] = forms.FloatField(
                required=False,
                min_value=0.0,
                max_value=1.0,
                widget=forms.NumberInput(attrs={"step": "0.01", "placeholder": "global"}),
            )
            self.fields[f"destination_{intent}"] = forms.ChoiceField(choices=DESTINATION_CHOICES)

    def intent_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (intent, self[f"threshold_{intent}"], self[f"destination_{intent}"])
            for intent in INTENTS
        ]

    def settings_values(self) -> tuple[float, dict[str, float], dict[str, str]]:
        data = self.cleaned_data
        thresholds = {
            i: float(data[f"threshold_{i}"])
            for i in INTENTS
            if data.get(f"threshold_{i}") is not None
        }
        # Only overrides are stored, so a later change of a taxonomy default still applies.
        destinations = {
            i: data[f"destination_{i}"]
            for i in INTENTS
            if data[f"destination_{i}"] != DEFAULT_DESTINATION[i]
        }
        return float(data["review_threshold"]), thresholds, destinations


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(f, f) for f in exports.FORMATS], initial="parquet")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    intent = forms.ChoiceField(choices=[("", "any"), *INTENT_CHOICES], required=False)
    reviewer = forms.ChoiceField(choices=[("", "any")], required=False)
    model_version = forms.ChoiceField(choices=[("", "any")], required=False)
    deidentify = forms.BooleanField(
        required=False,
        label="De-identify",
        help_text="Mask phone numbers, emails, street addresses, dates, member/record ids and "
        "names in signatures.",
    )

    def __init__(
        self, *args: Any, reviewers: list[str], model_versions: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        reviewer_field = self.fields["reviewer"]
        version_field = self.fields["model_version"]
        assert isinstance(reviewer_field, forms.ChoiceField)
        assert isinstance(version_field, forms.ChoiceField)
        reviewer_field.choices = [("", "any"), *((r, r) for r in reviewers)]
        version_field.choices = [("", "any"), *((v, v) for v in model_versions)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise ValidationError("'since' is after 'until'.")
        return data

    def export_filters(self) -> exports.ExportFilters:
        data = self.cleaned_data
        return exports.ExportFilters(
            since=data.get("since"),
            until=data.get("until"),
            intent=data.get("intent") or "",
            reviewer=data.get("reviewer") or "",
            model_version=data.get("model_version") or "",
        )
