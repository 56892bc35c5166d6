"""The MLOps admin in a real browser (Playwright driving Debian's Chromium): a click queues a run
and the run page follows it live through static/mlops/run_progress.js, under the strict CSP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD
from django.contrib.auth.models import User

from mlops import services, tasks
from mlops.models import GenerationRun, RunStatus

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"no Chromium at {CHROMIUM} (install Debian's chromium, `make chromium`)",
    ),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
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
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
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
def signed_in(page: Any, live_server: Any, settings: Any, tmp_path: Path) -> Any:
    settings.MLOPS_RUN_IN_THREAD = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.DATA_DIR = tmp_path / "data"
    User.objects.create_superuser("ada.admin", password=PASSWORD)
    # The admin signs in through the site's one sign-in page (with its lockout).
    page.goto(f"{live_server.url}/admin/mlops/")
    page.fill("#id_username", "ada.admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/mlops/")
    return page


@pytest.mark.django_db(transaction=True)
def test_generate_button_lands_on_a_run_page_that_shows_the_finished_run(signed_in, live_server):
    page = signed_in
    page.click("a[href='/admin/mlops/generationrun/start/']")
    page.fill("#id_n_train", "70")
    page.fill("#id_n_test", "35")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/mlops/generationrun/*/change/")
    page.wait_for_selector(".mlops-status-succeeded", timeout=60_000)
    assert "training set: 70 messages" in page.inner_text(".mlops-log")
    tasks.in_process.join()


@pytest.mark.django_db(transaction=True)
def test_run_page_follows_a_run_live_and_survives_a_reload(signed_in, live_server):
    page = signed_in
    run = services.generation_run_start(n_train=70, n_test=35, enqueue=False)
    page.goto(f"{live_server.url}/admin/mlops/generationrun/{run.pk}/change/")
    assert page.inner_text("[data-field=status]") == "queued"
    page.reload()
    assert page.inner_text("[data-field=status]") == "queued"
    # A worker picks it up while the page is open: the page polls and shows the outcome.
    services.generation_run_execute(run_id=run.pk)
    assert GenerationRun.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED
    page.wait_for_selector(".mlops-status-succeeded", timeout=30_000)
    assert "test set: 35 messages" in page.inner_text(".mlops-log")
