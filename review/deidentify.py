"""Masking of direct identifiers in exported message text.

Pure Python, no Django: the export task, the management command and a notebook all call
`deidentify()`. It is deliberately greedy: a masked word that was not an identifier costs the
model a token; an identifier that survives an export is a privacy incident. It is not a
guarantee of anonymity (free text can identify a patient in ways no regex sees), which is why
exports stay access-audited even when masked.

Order matters: emails before anything else (they contain digits and dots), labelled ids before
phone numbers (a 10-digit member id is an id, not a phone), addresses before dates and phones
(a house number is not a date), generic long digit runs last.
"""

from __future__ import annotations

import re
from typing import Final

EMAIL_MASK: Final = "[EMAIL]"
PHONE_MASK: Final = "[PHONE]"
ADDRESS_MASK: Final = "[ADDRESS]"
DATE_MASK: Final = "[DATE]"
ID_MASK: Final = "[ID]"
NAME_MASK: Final = "[NAME]"

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")

# "member id: ABC123456", "MRN 00412233", "policy # XJ-99812", "acct no. 4481-2290".
_LABELLED_ID = re.compile(
    r"\b(?P<label>(?:member(?:ship)?|subscriber|policy|patient|medical\s+record|record|account|acct"
    r"|mrn|chart|claim|group|insurance|reference|ref|confirmation|case|invoice|id)"
    r"(?:\s*(?:id|no|number|num|#))?\.?\s*(?:is\s+)?[:#]?\s*)"
    r"(?P<id>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,})",
    re.IGNORECASE,
)

_STREET_SUFFIX = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr(?!\.?\s+[A-Z][a-z])|court|ct"
    r"|way|place|pl|terrace|ter|circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|row"
    r"|crescent|close|alley|plaza)"
)
_ADDRESS = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Za-z0-9][\w'.-]*\s+){1,4}?" + _STREET_SUFFIX + r"\b\.?"
    r"(?:,?\s*(?:apt|apartment|suite|ste|unit|#)\.?\s*[\w-]+)?"
    r"(?:,\s*[A-Za-z][A-Za-z]+(?:\s[A-Za-z][A-Za-z]+)?)?"
    r"(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?)?",
    re.IGNORECASE,
)
_PO_BOX = re.compile(r"\bP\.?\s?O\.?\s*Box\s+\d+\b", re.IGNORECASE)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATES = (
    re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b"),
    re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"),
    re.compile(r"\b\d{1,2}/\d{1,2}\b"),
    re.compile(r"\b" + _MONTH + r"\.?\s+\d{1,2}(?:st|nd|rd|th)?\b(?:,?\s+\d{4}\b)?", re.IGNORECASE),
    re.compile(
        r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b\.?(?:,?\s+\d{4}\b)?",
        re.IGNORECASE,
    ),
    re.compile(r"\b" + _MONTH + r"\.?\s+\d{4}\b", re.IGNORECASE),
)

_PHONES = (
    re.compile(r"(?<![\w+])\+\d{1,3}[\s.-]?(?:\(?\d{1,4}\)?[\s.-]?){2,5}\d{2,4}(?!\w)"),
    re.compile(r"(?<!\w)(?:1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\w)"),
    re.compile(r"(?<!\w)(?:ext|x)\.?\s?\d{2,5}\b", re.IGNORECASE),
)

# Whatever is left that looks like an identifier: 6+ digits, or letters and 4+ digits mixed.
_LONG_NUMBER = re.compile(r"(?<![\w.,$])\d[\d-]{4,}\d(?![\w])")
_MIXED_ID = re.compile(r"\b(?=[A-Za-z-]*(?:\d[A-Za-z-]*){4})(?=\w*[A-Za-z])[A-Za-z0-9-]{6,}\b")

_NAME_WORD = r"[A-Z][a-zA-Z'\u2019.-]+"
_NAME = _NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + r"){0,3}"
_SIGN_OFF = (
    r"(?:thanks(?:\s+(?:so\s+much|again|in\s+advance))?|thank\s+you(?:\s+so\s+much)?|many\s+thanks"
    r"|regards|best\s+regards|kind\s+regards|warm\s+regards|warmly|best(?:\s+wishes)?|sincerely"
    r"|cheers|respectfully|cordially|take\s+care|thx|ty|yours(?:\s+truly)?|all\s+the\s+best)"
)
# A sign-off line, then up to two short lines that are the sender's name (and maybe a title).
_SIGNATURE_BLOCK = re.compile(
    r"(?im)^(?P<off>[ \t]*" + _SIGN_OFF + r"[ \t]*[,.!-]*[ \t]*)\n(?P<names>(?:[ \t]*[^\n]{1,60}"
    r"(?:\n|$)){1,2})"
)
# "Thanks, Maria Lopez" on one line; "- Maria" or "-- M. Lopez" as the last line.
_SIGN_OFF_INLINE = re.compile(
    r"(?im)^(?P<off>[ \t]*" + _SIGN_OFF + r"[ \t]*[,.!-]+[ \t]*)(?P<name>" + _NAME + r")[ \t]*$"
)
_DASH_SIGNATURE = re.compile(r"(?m)^(?P<off>[ \t]*-{1,2}[ \t]*)(?P<name>" + _NAME + r")[ \t]*$")
# Lower-case words that end a typed name rather than continue it ("my name is john and ...").
_NOT_NAME = (
    r"(?!(?:and|but|or|so|i|im|i'm|my|me|the|a|an|to|with|at|in|on|for|from|of|please|need|want"
    r"|was|is|am|are|have|had|calling|here|speaking|just|wanted|would|could|can|will)\b)"
)
_SELF_INTRO = (
    re.compile(
        r"(?i)\b(?P<off>my\s+name\s+is|my\s+name's|name\s*:|patient\s+name\s*:|patient\s*:)"
        r"(?P<sp>\s*)(?P<name>"
        + r"(?-i:"
        + _NAME
        + r")|[a-z][a-z'\u2019-]+(?:\s+"
        + _NOT_NAME
        + r"[a-z][a-z'\u2019-]+)?)"
    ),
    re.compile(
        r"(?i)\b(?P<off>this\s+is|it'?s)(?P<sp>\s+)(?P<name>[a-z][a-z'\u2019.-]*(?:\s+[a-z][a-z'\u2019.-]*)?)"
        r"(?=\s+(?:calling|here|from|speaking)\b)"
    ),
)
_NAME_LINE = re.compile(r"^[ \t]*(?:" + _NAME + r"|[A-Z]\.?(?:\s+[A-Z][a-z]+)?)[ \t,]*$")


def _mask_signature_names(text: str) -> str:
    def block(match: re.Match[str]) -> str:
        lines = match.group("names").split("\n")
        masked = [NAME_MASK if _NAME_LINE.match(line) else line for line in lines]
        return match.group("off") + "\n" + "\n".join(masked)

    text = _SIGNATURE_BLOCK.sub(block, text)
    text = _SIGN_OFF_INLINE.sub(lambda m: m.group("off") + NAME_MASK, text)
    text = _DASH_SIGNATURE.sub(lambda m: m.group("off") + NAME_MASK, text)
    for pattern in _SELF_INTRO:
        text = pattern.sub(lambda m: m.group("off") + m.group("sp") + NAME_MASK, text)
    return text


def deidentify(text: str) -> str:
    """The text with phone numbers, emails, street addresses, dates, member/record ids and
    names in signatures replaced by bracketed tokens ([PHONE], [EMAIL], ...)."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _LABELLED_ID.sub(lambda m: m.group("label") + ID_MASK, text)
    text = _PO_BOX.sub(ADDRESS_MASK, text)
    text = _ADDRESS.sub(ADDRESS_MASK, text)
    for pattern in _DATES:
        text = pattern.sub(DATE_MASK, text)
    for pattern in _PHONES:
        text = pattern.sub(PHONE_MASK, text)
    text = _LONG_NUMBER.sub(ID_MASK, text)
    text = _MIXED_ID.sub(ID_MASK, text)
    return _mask_signature_names(text)
