"""The three jobs in a real browser: Playwright driving Debian's Chromium against the live
server. A reviewer clears five items with the keyboard alone and undoes one; a practice admin
sees the dashboard numbers change; ML staff download an export that loads with `datasets`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import review_factories as f
from conftest import PASSWORD

from clarioscope.celery import app as celery_app
from intake.models import ReviewItem, ReviewStatus
from review import services
from review.models import CalibrationLabel, DecisionKind

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"no Chromium at {CHROMIUM} (install Debian's chromium, `make chromium`)",
    ),
]

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module", autouse=True)
def orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in this thread; the ORM calls the test
    itself makes (fixtures, assertions) are still synchronous and safe. Only for this module:
    the variable must not leak into other tests' subprocesses (check --deploy warns on it)."""
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    yield
    if previous is None:
        os.environ.pop(ASYNC_UNSAFE, None)
    else:
        os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="module")
def browser(orm_beside_playwright: None) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield page
    context.close()
    assert not errors, f"browser errors: {errors}"


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def sign_in_with_keyboard(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.keyboard.type(username)  # the username field has autofocus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def current_message_id(page: Any) -> str:
    return page.locator("#current article.item").get_attribute("data-message-id") or ""


def wait_for_preload(page: Any) -> None:
    page.wait_for_function(
        "() => document.querySelector('#preload article.item, #preload [data-empty]')"
        " || !document.querySelector('#current article.item')"
    )


def test_reviewer_clears_five_items_with_the_keyboard_and_undoes_one(
    live_server, page, practice, reviewer
):
    expect = pytest.importorskip("playwright.sync_api").expect
    items = [f.queued(practice, age=timedelta(minutes=30 - i)) for i in range(6)]
    sign_in_with_keyboard(page, live_server.url, "rita.reviewer")
    page.wait_for_url(f"**/practices/{practice.slug}/queue/")
    page.keyboard.press("Enter")  # "Start reviewing" has autofocus
    page.wait_for_url(f"**/practices/{practice.slug}/review/**")
    expect(page.locator("#current article.item")).to_be_visible()

    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()

    chosen = ["Enter", "2", "Enter", "4", "6"]
    decided_ids = []
    for key in chosen:
        wait_for_preload(page)
        shown = current_message_id(page)
        decided_ids.append(int(shown))
        page.keyboard.press(key)
        expect(page.locator("#status")).to_contain_text(f"message #{shown}")
        expect(page.locator("#current article.item")).not_to_have_attribute(
            "data-message-id", shown
        )
    assert decided_ids == [i.message_id for i in items[:5]]  # queue order: oldest first
    labels = list(CalibrationLabel.objects.order_by("pk"))
    assert [lab.reviewer_label for lab in labels] == [
        "appointment_request",
        "existing_patient_question",
        "appointment_request",
        "billing_inquiry",
        "complaint",
    ]
    assert [lab.kind for lab in labels] == ["accept", "correct", "accept", "correct", "correct"]
    assert all(lab.seconds_spent > 0 for lab in labels)

    wait_for_preload(page)
    page.keyboard.press("u")
    expect(page.locator("#status")).to_contain_text("Decision undone")
    expect(page.locator("#current article.item")).to_have_attribute(
        "data-message-id", str(decided_ids[-1])
    )
    undo = CalibrationLabel.objects.get(kind=DecisionKind.UNDO)
    assert undo.undoes_id == labels[-1].pk
    reopened = ReviewItem.objects.get(pk=items[4].pk)
    assert reopened.status == ReviewStatus.OPEN and reopened.claimed_by_id == reviewer.pk
    assert ReviewItem.objects.filter(status=ReviewStatus.DONE).count() == 4

    # The raw original opens with R, as inert text.
    page.keyboard.press("r")
    expect(page.locator("#current .raw-original pre")).to_be_visible()


def test_admin_sees_the_dashboard_numbers_change(
    live_server, page, practice, practice_admin, reviewer
):
    expect = pytest.importorskip("playwright.sync_api").expect
    item = f.queued(practice)
    f.auto_routed(practice)
    sign_in_with_keyboard(page, live_server.url, "paul.admin")
    page.wait_for_url(f"**/practices/{practice.slug}/dashboard/")
    expect(page.locator("#stat-total")).to_have_text("2")
    expect(page.locator("#stat-reviewed")).to_have_text("0")
    expect(page.locator("#stat-backlog")).to_have_text("1")
    expect(page.locator("svg.chart").first).to_be_visible()

    services.review_claim(reviewer=reviewer, practice=practice, item_id=item.pk)
    services.review_submit(
        reviewer=reviewer, practice=practice, message_id=item.message_id, label="complaint"
    )
    page.reload()
    expect(page.locator("#stat-reviewed")).to_have_text("1")
    expect(page.locator("#stat-backlog")).to_have_text("0")
    expect(page.locator("#stat-decisions")).to_have_text("1")
    expect(page.locator("#reviewers")).to_contain_text("rita.reviewer")


def test_ml_staff_download_an_export_that_loads_with_datasets(
    live_server, page, practice, ml_staff, reviewer, eager_tasks, tmp_path
):
    datasets = pytest.importorskip("datasets")
    expect = pytest.importorskip("playwright.sync_api").expect
    for label in ("complaint", "billing_inquiry", "appointment_request"):
        item = f.queued(practice, text=f"a message that ends up as {label}")
        services.review_claim(reviewer=reviewer, practice=practice, item_id=item.pk)
        services.review_submit(
            reviewer=reviewer, practice=practice, message_id=item.message_id, label=label
        )
    sign_in_with_keyboard(page, live_server.url, "mona.ml")
    page.wait_for_url(f"**/practices/{practice.slug}/exports/")
    page.select_option("select[name=format]", "parquet")
    page.check("input[name=deidentify]")
    page.click("button[type=submit].primary")
    link = page.locator("#exports a.download").first
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    target = tmp_path / "labels.parquet"
    info.value.save_as(target)
    loaded = datasets.load_dataset(
        "parquet", data_files=str(target), split="train", cache_dir=str(tmp_path / "hf-cache")
    )
    assert loaded.num_rows == 3
    assert sorted(loaded["reviewer_label"]) == [
        "appointment_request",
        "billing_inquiry",
        "complaint",
    ]
