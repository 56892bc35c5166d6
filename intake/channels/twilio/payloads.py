"""The fields of Twilio's inbound-SMS and transcription callbacks that intake reads.

Twilio sends many more (FromCity, NumSegments, ApiVersion ...); they stay in the raw payload.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from intake.serializers import FreeTextField


class TwilioSmsSerializer(serializers.Serializer[Any]):
    MessageSid = serializers.RegexField(r"^(SM|MM)[0-9a-fA-F]{32}$")
    AccountSid = serializers.RegexField(r"^AC[0-9a-fA-F]{32}$")
    From = FreeTextField(max_length=64)
    To = FreeTextField(max_length=64, required=False, allow_blank=True)
    # Empty for a picture-only MMS: still stored, and sent to review as unclassified.
    Body = FreeTextField(required=False, allow_blank=True, default="")
    NumMedia = serializers.IntegerField(required=False, min_value=0, default=0)


class TwilioTranscriptionSerializer(serializers.Serializer[Any]):
    RecordingSid = serializers.RegexField(r"^RE[0-9a-fA-F]{32}$")
    AccountSid = serializers.RegexField(r"^AC[0-9a-fA-F]{32}$")
    TranscriptionSid = serializers.RegexField(
        r"^TR[0-9a-fA-F]{32}$", required=False, allow_blank=True
    )
    # "failed" transcriptions are stored too, with no text: a reviewer listens to RecordingUrl.
    TranscriptionStatus = serializers.CharField(max_length=32)
    TranscriptionText = FreeTextField(required=False, allow_blank=True, default="")
    RecordingUrl = serializers.URLField(required=False, allow_blank=True, max_length=500)
    CallSid = serializers.RegexField(r"^CA[0-9a-fA-F]{32}$", required=False, allow_blank=True)
    From = FreeTextField(max_length=64, required=False, allow_blank=True, default="")
    Caller = FreeTextField(max_length=64, required=False, allow_blank=True, default="")
    To = FreeTextField(max_length=64, required=False, allow_blank=True)
