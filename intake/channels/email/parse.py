"""Email bodies to classifier text: HTML to text, quoted replies and signatures cut off.

Only what the patient wrote this time is classified; a quoted thread would drag in the previous
message's intent. The raw email is always kept as it arrived, so nothing cut here is lost.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser

# Elements whose content is never text a person wrote into the message.
_SKIP = {"script", "style", "head", "title", "template", "noscript"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}
_BLOCK = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer",
}  # fmt: skip
# Containers that mail clients put the quoted thread in: everything from there on is history.
_THREAD_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote")
_THREAD_IDS = ("divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        # (tag, hides its content) for each open element, to skip scripts and inline quotes.
        self._stack: list[tuple[str, bool]] = []
        self._thread_started = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")
        if tag in _VOID:
            return
        attributes = {name: value or "" for name, value in attrs}
        if any(c in attributes.get("class", "").split() for c in _THREAD_CLASSES) or (
            attributes.get("id", "") in _THREAD_IDS
        ):
            self._thread_started = True
        # An inline <blockquote> (a bottom-posted reply) hides only itself.
        self._stack.append((tag, tag in _SKIP or tag == "blockquote"))

    def handle_endtag(self, tag: str) -> None:
        # Mail HTML is often not well formed: close up to the matching open tag, if any.
        if any(open_tag == tag for open_tag, _ in self._stack):
            while self._stack and self._stack.pop()[0] != tag:
                pass
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._thread_started or any(hides for _, hides in self._stack):
            return
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, paragraphs as lines, quoted thread and inline quotes
    dropped."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# A line that starts a quoted earlier message; it and everything after it are cut.
_REPLY_HEADERS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^On\b.{0,200}\bwrote:?$",  # Gmail, Apple Mail, Thunderbird
        r"^Le\b.{0,200}\ba écrit ?:$",  # French
        r"^Am\b.{0,200}\bschrieb.{0,100}:$",  # German
        r"^El\b.{0,200}\bescribió:$",  # Spanish
        r"^-{2,}\s*(Original Message|Forwarded message|Mensaje original)\s*-{2,}$",
        r"^_{20,}$",  # Outlook's rule above the quoted header block
        r"^Begin forwarded message:$",
    )
]
_OUTLOOK_HEADER = re.compile(r"^\*?(From|De|Von):\*?\s.+", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\*?(Sent|Date|Envoyé|Gesendet|To):\*?\s", re.IGNORECASE)
# A line that starts a signature or a client's footer; it and everything after it are cut.
_SIGNATURE_STARTS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^-- ?$",  # RFC 3676 signature delimiter
        r"^Sent from my \w+",
        r"^Sent from (Mail|Yahoo Mail|Outlook) for \w+",
        r"^Get Outlook for (iOS|Android)",
        r"^Sent with Proton Mail",
        r"^Envoyé de mon \w+",  # French mobile clients
    )
]


_WRAPPED_HEADER_STARTS = ("On ", "Le ", "Am ", "El ")


def _is_reply_header(line: str) -> bool:
    return any(p.match(line) for p in _REPLY_HEADERS)


def strip_reply_and_signature(text: str) -> str:
    """The newly written part of a plain-text email body.

    When cutting would leave nothing (a forward with no comment, a message that is all quote),
    the whole text is kept: classifying something beats sending an empty message to review.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if _is_reply_header(stripped) or (
            # Gmail wraps a long "On <date>, <name> <address> wrote:" over two lines.
            stripped.startswith(_WRAPPED_HEADER_STARTS)
            and following
            and _is_reply_header(f"{stripped} {following}")
        ):
            break
        if (
            _OUTLOOK_HEADER.match(stripped)
            and index + 1 < len(lines)
            and _OUTLOOK_NEXT.match(lines[index + 1].strip())
        ):
            break
        if any(p.match(stripped) for p in _SIGNATURE_STARTS):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    result = "\n".join(kept).strip()
    return result or text.strip()


def body_to_text(*, plain: str, html: str) -> str:
    """The classifier text of an email given its plain and HTML bodies (either may be empty)."""
    source = plain if plain.strip() else html_to_text(html) if html.strip() else ""
    return strip_reply_and_signature(source)


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    sender: str
    subject: str
    received_at: datetime | None
    text: str
    html_only: bool


class NotAnEmail(ValueError):
    """The upload has none of the headers every email carries."""


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        # An unknown or lying charset: the bytes as UTF-8 with replacement beat no text at all.
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def parse_rfc822(raw: bytes) -> ParsedEmail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    if not any(message.get(h) for h in ("From", "Message-ID", "Date", "Subject", "To")):
        raise NotAnEmail("no From, To, Subject, Date or Message-ID header: not an RFC 822 email")
    plain_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    plain = _part_text(plain_part) if isinstance(plain_part, EmailMessage) else ""
    html = _part_text(html_part) if isinstance(html_part, EmailMessage) else ""
    received_at = None
    if message.get("Date"):
        try:
            received_at = email.utils.parsedate_to_datetime(str(message["Date"]))
        except (TypeError, ValueError, IndexError):
            received_at = None
        if received_at is not None and received_at.tzinfo is None:
            received_at = None  # a date without a zone cannot be placed in time
    return ParsedEmail(
        message_id=_header(message, "Message-ID").strip("<> "),
        sender=_header(message, "From"),
        subject=_header(message, "Subject"),
        received_at=received_at,
        text=body_to_text(plain=plain, html=html),
        html_only=not plain.strip() and bool(html.strip()),
    )


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):
        # The header parser can fail on malformed encoded words; fall back to the raw value.
        raw = message.get_all(name, failobj=[])
        value = raw[0] if raw else ""
    return str(value or "").strip()
