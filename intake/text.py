"""Text normalisation applied to every message before it is stored and classified."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SURROGATES = re.compile("[\ud800-\udfff]")
# Control characters, plus invisible format characters that make blank text look non-empty
# (zero-width space, word joiner, byte-order mark). ZWJ stays: emoji sequences need it.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")


@dataclass(frozen=True)
class NormalisedText:
    text: str
    truncated: bool


def normalise_text(raw: str, *, max_chars: int) -> NormalisedText:
    """NFC, NUL/control characters and lone surrogates removed, whitespace collapsed, capped.

    Line breaks survive (collapsed to at most one blank line) because reviewers read paragraphs;
    runs of spaces and tabs become one space.
    """
    text = _SURROGATES.sub("", raw)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    truncated = len(text) > max_chars
    if truncated:
        text = text[:max_chars].rstrip()
    return NormalisedText(text=text, truncated=truncated)


def safe_raw(raw: str | bytes) -> str:
    """The raw payload as storable text: bytes decoded with replacement, NULs and lone
    surrogates escaped (PostgreSQL text cannot hold either)."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    raw = raw.replace("\x00", "\\x00")
    return _SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", raw)
