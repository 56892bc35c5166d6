"""X-Twilio-Signature, computed exactly as twilio-python's RequestValidator computes it.

Re-implemented rather than imported so that production does not need the twilio SDK; the tests
use the SDK's RequestValidator as the client, so any drift between the two fails the suite.

The signed string is the full URL Twilio requested, followed by every POST parameter name and
value, names sorted and, for a repeated name, its distinct values sorted. Twilio is inconsistent
about including the default port, so the URL is tried with and without it. HMAC-SHA1 with the
account's auth token is the default; a SharedKey webhook names HMAC_SHA256 in
X-Twilio-Webhooks-Signature-Settings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlparse, urlunparse

HASHES: dict[str, Callable[..., hashlib._Hash]] = {
    "HMAC_SHA1": hashlib.sha1,
    "HMAC_SHA256": hashlib.sha256,
}


def signature_algorithm(settings_header: str) -> str:
    """The algorithm named in X-Twilio-Webhooks-Signature-Settings; HMAC_SHA1 when absent."""
    for part in (settings_header or "").split(","):
        name, separator, value = part.partition("=")
        if separator and name.strip() == "algorithm" and value.strip():
            return value.strip().upper()
    return "HMAC_SHA1"


def compute_signature(
    token: str, url: str, params: Mapping[str, Sequence[str]], algorithm: str = "HMAC_SHA1"
) -> str:
    digest = HASHES[algorithm]
    signed = url
    for name in sorted(set(params)):
        for value in sorted(set(params[name])):
            signed += name + value
    mac = hmac.new(token.encode("utf-8"), signed.encode("utf-8"), digest)
    return base64.b64encode(mac.digest()).decode("ascii").strip()


def _with_port(url: str) -> str:
    parsed = urlparse(url)
    if parsed.port:
        return url
    port = 443 if parsed.scheme == "https" else 80
    return urlunparse(parsed._replace(netloc=f"{parsed.netloc}:{port}"))


def _without_port(url: str) -> str:
    parsed = urlparse(url)
    if not parsed.port:
        return url
    return urlunparse(parsed._replace(netloc=parsed.netloc.rsplit(":", 1)[0]))


def signature_valid(
    *,
    token: str,
    url: str,
    params: Mapping[str, Sequence[str]],
    signature: str,
    algorithm: str = "HMAC_SHA1",
) -> bool:
    if not signature or algorithm not in HASHES:
        return False
    candidates = {_without_port(url), _with_port(url)}
    # Every candidate is computed and compared in constant time, whichever matches.
    results = [
        hmac.compare_digest(
            compute_signature(token, candidate, params, algorithm).encode(), signature.encode()
        )
        for candidate in sorted(candidates)
    ]
    return any(results)
