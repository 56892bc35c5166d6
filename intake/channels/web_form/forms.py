from __future__ import annotations

import re
from typing import Any

from django import forms

from intake.text import normalise_text

MAX_MESSAGE_CHARS = 5000


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Your name")
    contact = forms.CharField(
        max_length=320,
        label="Email or phone",
        help_text="So that the practice can answer you.",
    )
    message = forms.CharField(
        max_length=MAX_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Your message",
        help_text="Please do not use this form for emergencies: call 911.",
    )
    # Left empty by people (it is hidden); bots that fill every field give themselves away.
    website = forms.CharField(required=False, label="Leave this empty")
    # One per rendered form: a double click or a resubmitted page stores the message once.
    submission_id = forms.CharField(widget=forms.HiddenInput)

    def clean_submission_id(self) -> str:
        value = str(self.cleaned_data["submission_id"])
        if not re.fullmatch(r"[0-9a-f]{32}", value):
            raise forms.ValidationError("Reload the page and send the form again.")
        return value

    def clean_message(self) -> str:
        value = str(self.cleaned_data["message"])
        if not normalise_text(value, max_chars=MAX_MESSAGE_CHARS).text:
            raise forms.ValidationError("Please write a message.")
        return value

    @property
    def is_bot(self) -> bool:
        data: dict[str, Any] = self.cleaned_data
        return bool(data.get("website"))
