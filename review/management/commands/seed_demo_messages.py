"""Put a day's worth of invented patient messages into the demo practice, through intake's real
path (store, classify with the serving model, route), so the demo reviewer has a queue, the
practice admin a dashboard and ML staff something to export. Idempotent: each message has a
fixed external id, so running it again adds nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from intake.channels.email.parse import body_to_text
from intake.models import Practice
from intake.services import message_ingest, messages_classify

# (channel, sender, subject, text). Invented people and numbers; several sit on the hard
# boundaries of the taxonomy, four trip the red-flag rules, one is an empty voicemail.
DEMO_MESSAGES: tuple[tuple[str, str, str, str], ...] = (
    ("sms", "+15550101001", "", "hi can i move my thursday 3pm to friday morning? thx"),
    ("sms", "+15550101002", "", "running 10 min late for my 9:30 sorry!!"),
    (
        "email",
        "maria.lopez@example.com",
        "Question about my statement",
        "Hello,\n\nI received a statement for $240 for my visit on March 3rd but I thought my "
        "insurance covered it. Could you check member id ZX4471209?\n\nThanks,\nMaria Lopez",
    ),
    (
        "web_form",
        "j.chen@example.org",
        "New patient",
        "Hi, we just moved to the area and are looking for a family doctor. Are you accepting "
        "new patients? We have two kids.",
    ),
    ("chat", "visitor-4411", "", "how much is a checkup without insurance"),
    ("sms", "+15550101003", "", "my chest feels tight and my left arm is numb what do i do"),
    (
        "voicemail",
        "+15550101004",
        "",
        "uh hi this is tom baker calling um i had the procedure last week and the wound is "
        "red and hot and theres some pus and i have a fever of like a hundred and one",
    ),
    (
        "email",
        "angry.patient@example.net",
        "Very disappointed",
        "I waited 90 minutes past my appointment time yesterday and nobody told me why. Then "
        "the bill was wrong as well. This is the third time.",
    ),
    (
        "sms",
        "+15550101005",
        "",
        "can i take ibuprofen with the antibiotic? no problems just checking",
    ),
    ("sms", "+15550101006", "", "need a refill on my lisinopril pls, pharmacy is cvs on main"),
    ("chat", "visitor-4412", "", "do u take blue cross? and how much would a visit cost"),
    (
        "web_form",
        "p.novak@example.com",
        "Records",
        "Could you send my vaccination records to my new employer? I can sign a release form.",
    ),
    ("sms", "+15550101007", "", "my 3 week old baby has a fever of 100.8 should i come in"),
    (
        "voicemail",
        "+15550101008",
        "",
        "hi yeah this is about my daughter's appointment on the fifteenth we need to cancel "
        "it she has a school trip um call me back thanks",
    ),
    (
        "email",
        "k.osei@example.com",
        "Payment plan",
        "Good morning,\n\nIs it possible to split the remaining balance of $1,180 into monthly "
        "payments?\n\nBest regards,\nKwame Osei",
    ),
    ("sms", "+15550101009", "", "i think i'm having an allergic reaction my lips are swelling"),
    ("chat", "visitor-4413", "", "hi im new to town, can i book a first appointment next week"),
    (
        "web_form",
        "r.singh@example.com",
        "Test results",
        "I had blood work done on Monday. Are the results back yet? I feel fine, just curious.",
    ),
    (
        "email",
        "l.martin@example.com",
        "Rude receptionist",
        "The person at the front desk was dismissive when I asked about my referral and hung "
        "up on me. I would like to speak to the practice manager.",
    ),
    ("sms", "+15550101010", "", "still coughing after 2 weeks, getting worse at night"),
    ("voicemail", "+15550101011", "", ""),
    (
        "email",
        "newsletter-reply@example.com",
        "Re: your appointment",
        '<html><body><p>Yes I can come on <b>Tuesday</b> at 2.</p><img src="https://tracker.'
        'example/pixel.gif" width="1" height="1"><p>-- <br>Sent from my phone</p></body></html>',
    ),
    ("chat", "visitor-4414", "", "what does a cleaning cost, just comparing prices"),
    ("sms", "+15550101012", "", "I got charged twice for the same copay can u refund one"),
    (
        "web_form",
        "d.okafor@example.com",
        "Side effects",
        "Since starting the new blood pressure pill I get dizzy when I stand up and nearly "
        "fainted this morning.",
    ),
    ("sms", "+15550101013", "", "confirming my appt tmrw at 11"),
)


class Command(BaseCommand):
    help = "Ingest and classify a set of invented patient messages into a practice (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", default="demo-clinic", help="practice slug")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = Practice.objects.filter(slug=options["practice"]).first()
        if practice is None:
            raise CommandError(f"no practice {options['practice']!r}; run create_demo first")
        now = timezone.now()
        created = []
        for n, (channel, sender, subject, text) in enumerate(DEMO_MESSAGES):
            is_html = text.startswith("<html")
            if channel == "email":
                # As the email adapters do: HTML to text, quoted replies and signatures cut.
                body = body_to_text(plain="" if is_html else text, html=text if is_html else "")
            else:
                body = text
            result = message_ingest(
                practice=practice,
                channel=channel,
                text=body,
                raw_payload=text,
                raw_content_type="text/html" if is_html else "text/plain",
                external_id=f"demo-{n:03d}",
                sender=sender,
                subject=subject,
                # Spread over the last day so the queue shows different waiting times.
                received_at=now - timedelta(minutes=40 * (len(DEMO_MESSAGES) - n)),
            )
            if result.created:
                created.append(result.message.pk)
        classified = messages_classify(message_ids=created) if created else []
        queued = sum(1 for m in classified if m.needs_review)
        self.stdout.write(
            f"demo messages: {len(created)} new ({queued} to review, "
            f"{len(classified) - queued} auto-routed) in {practice.slug}\n"
        )
