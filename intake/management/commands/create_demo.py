import os
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction

from intake.models import Membership, Role
from intake.services import api_key_create, practice_get_or_create

DEMO_PRACTICE = "demo-clinic"
DEMO_USERS = (
    ("reviewer", Role.REVIEWER),
    ("admin", Role.PRACTICE_ADMIN),
    ("mlstaff", Role.ML_STAFF),
)
# Demo-only credentials, printed on every `make run`; real deployments create their own users.
DEMO_PASSWORD = "clarioscope-demo"  # noqa: S105


class Command(BaseCommand):
    help = "Create the demo practice, its users and an API key (idempotent) and print them."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            practice, _ = practice_get_or_create(slug=DEMO_PRACTICE, name="Demo Clinic")
            for username, role in DEMO_USERS:
                user, created = User.objects.get_or_create(username=username)
                if created:
                    user.set_password(DEMO_PASSWORD)
                    # The practice admin also runs the MLOps buttons in the Django admin.
                    user.is_staff = user.is_superuser = role == Role.PRACTICE_ADMIN
                    user.save()
                Membership.objects.get_or_create(
                    user=user, practice=practice, defaults={"role": role}
                )
            key = api_key_create(practice=practice, name="demo")
        self.stdout.write(
            # HOST and PORT as `make run` and deploy/serve.sh pass them to the server.
            f"\nClarioScope intake demo, http://{os.environ.get('HOST') or '127.0.0.1'}:"
            f"{os.environ.get('PORT') or '8000'}/\n"
            f"  practice      {practice.slug}\n"
            + "".join(
                f"  {role.label:<13} username {username!r}, password {DEMO_PASSWORD!r}\n"
                for username, role in DEMO_USERS
            )
            + f"  API key       {key.raw_key}   (new each run; older demo keys stay valid)\n"
            f"  Twilio token  {practice.twilio_auth_token}\n"
            f"  Mailgun key   {practice.mailgun_signing_key}\n"
            f"  Chat secret   {practice.chat_secret}\n"
        )
