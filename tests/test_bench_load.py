"""bench/load_run.py's own logic: the requests it hands wrk are ones the service accepts, and its
windows and connection split say what they claim. (The load itself is a benchmark, not a test.)"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from intake.models import Message

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from load_run import split_connections, sustained_windows, write_requests


def replay(line: str) -> tuple[str, Any]:
    """Send one line of a wrk request file through the Django test client."""
    message_id, method, path, header_text, body = line.rstrip("\n").split("\t", 4)
    headers = dict(h.split(": ", 1) for h in header_text.split("\\n") if h)
    host = headers.pop("Host")
    content_type = headers.pop("Content-Type")
    assert method == "POST"
    response = Client().post(
        path, body, content_type=content_type, headers={**headers, "Host": host}
    )
    return message_id, response


@pytest.mark.django_db
def test_every_written_request_is_accepted_once_with_its_own_id(practice, api_key, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    creds = {
        "api_key": api_key,
        "practice": practice.slug,
        "twilio_token": practice.twilio_auth_token,
        "run": "t1",
    }
    for kind, expected in (("rest", 201), ("sms", 200)):
        path = Path(settings.DATA_DIR) / f"{kind}.requests"
        write_requests(
            path,
            kind=kind,
            count=5,
            url="http://127.0.0.1:8123",
            texts=["can I move my visit?", 'a "quoted"\\ttext'],
            creds=creds,
        )
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 5
        for line in lines:
            message_id, response = replay(line)
            assert response.status_code == expected, response.content
            assert Message.objects.filter(external_id=message_id).count() == 1
    assert Message.objects.count() == 10


def test_windows_leave_out_the_first_and_last_second_and_a_short_tail():
    per_second = {100 + t: 200 for t in range(23)}
    per_second[100] = 50  # ramp-up
    per_second[122] = 10  # cut short by the stop
    per_second[105] = 150

    windows = sustained_windows(per_second, window=10)

    assert windows["per_window"] == [195.0, 200.0]
    assert windows["min_msg_per_s"] == 195.0


@pytest.mark.parametrize(
    ("users", "mix", "expected"),
    [(16, (1, 1), (8, 8)), (16, (1, 0), (16, 0)), (4, (0, 1), (0, 4)), (3, (1, 1), (2, 1))],
)
def test_connections_follow_the_mix(users, mix, expected):
    assert split_connections(users, *mix) == expected
