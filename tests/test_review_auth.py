"""Sign-in, lockout, idle logout, logout and the landing page per role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PASSWORD, make_user
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from intake.models import Membership, Role
from review.models import LoginFailure

LOGIN = "/accounts/login/"


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_page_renders_without_inline_script(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body
    assert "<script>" not in body and "<script " not in body.replace("<script src=", "")
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_passwords_are_hashed_with_argon2(reviewer):
    reviewer.refresh_from_db()
    assert reviewer.password.startswith("argon2")


def test_reviewer_signs_in_and_lands_on_the_queue(client, reviewer, practice):
    response = sign_in(client, "rita.reviewer")
    assert response.status_code == 302
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == f"/practices/{practice.slug}/queue/"
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("role", "page"),
    [
        (Role.REVIEWER, "queue"),
        (Role.PRACTICE_ADMIN, "dashboard"),
        (Role.ML_STAFF, "exports"),
    ],
)
def test_home_redirects_by_role(client, practice, role, page):
    user = make_user(f"user-{role}", practice, role)
    client.force_login(user)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == f"/practices/{practice.slug}/{page}/"
    assert response.status_code == 200


def test_member_of_several_practices_picks_one(client, practice, other_practice):
    user = make_user("multi", practice, Role.REVIEWER)
    Membership.objects.create(user=user, practice=other_practice, role=Role.ML_STAFF)
    client.force_login(user)
    response = client.get("/")
    assert response["Location"] == "/practices/"
    chooser = client.get("/practices/").content.decode()
    assert practice.name in chooser and other_practice.name in chooser
    # Picking a practice remembers it for the next visit to /.
    assert client.get(f"/practices/{other_practice.slug}/")["Location"] == (
        f"/practices/{other_practice.slug}/exports/"
    )
    assert client.get("/")["Location"] == f"/practices/{other_practice.slug}/"


def test_user_without_practice_gets_403(client, db):
    user = User.objects.create_user("nobody", password=PASSWORD)
    client.force_login(user)
    assert client.get("/").status_code == 403


def test_wrong_password_is_refused_and_recorded(client, reviewer):
    response = sign_in(client, "rita.reviewer", "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username="rita.reviewer").count() == 1


def test_lockout_after_repeated_failures_refuses_even_the_right_password(client, reviewer):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "rita.reviewer", "wrong")
    response = sign_in(client, "rita.reviewer")
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Attempts while locked do not extend the lock.
    assert LoginFailure.objects.count() == settings.LOGIN_FAILURE_LIMIT


def test_lockout_ends_after_the_window(client, reviewer):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "rita.reviewer", "wrong")
    LoginFailure.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS + 1)
    )
    response = sign_in(client, "rita.reviewer")
    assert response.status_code == 302
    assert LoginFailure.objects.filter(username="rita.reviewer").count() == 0


def test_lockout_is_per_username_and_case_insensitive(client, reviewer, practice):
    make_user("other.user", practice, Role.REVIEWER)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "RITA.reviewer", "wrong")
    assert "Too many" in sign_in(client, "rita.reviewer").content.decode()
    assert sign_in(Client(), "other.user").status_code == 302


def test_idle_session_expires_after_thirty_minutes(client, reviewer, practice):
    sign_in(client, "rita.reviewer")
    queue = f"/practices/{practice.slug}/queue/"
    assert client.get(queue).status_code == 200
    assert client.session.get_expiry_age() == 30 * 60
    # Each request pushes expiry out again (saved every request); idling past it signs out.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(queue)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_logout_needs_post_and_ends_the_session(client, reviewer, practice):
    client.force_login(reviewer)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert client.get(f"/practices/{practice.slug}/queue/").status_code == 302


def test_pages_need_sign_in(client, practice):
    for path in ("/", "/practices/", f"/practices/{practice.slug}/queue/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
