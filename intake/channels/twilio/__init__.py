"""Twilio: inbound SMS and voicemail transcription callbacks, signed with X-Twilio-Signature."""
