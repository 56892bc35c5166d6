"""De-identification of exported text: each kind of identifier, and what must survive."""

from __future__ import annotations

import pytest

from review.deidentify import deidentify


@pytest.mark.parametrize(
    ("text", "secret", "token"),
    [
        ("call me at (555) 123-4567 please", "123-4567", "[PHONE]"),
        ("my cell is 555.987.6543", "987.6543", "[PHONE]"),
        ("text 555 222 3333 anytime", "222 3333", "[PHONE]"),
        ("reach me on +44 20 7946 0958", "7946", "[PHONE]"),
        ("email jane.doe+x@example.co.uk today", "jane.doe", "[EMAIL]"),
        ("I moved to 123 Main St, Apt 4B, Springfield, IL 62704", "Main St", "[ADDRESS]"),
        ("send it to 42 elm street", "elm street", "[ADDRESS]"),
        ("mail to PO Box 1234", "1234", "[ADDRESS]"),
        ("seen on 03/14/2024 at noon", "03/14/2024", "[DATE]"),
        ("dob 1980-01-05", "1980-01-05", "[DATE]"),
        ("appointment March 14th, 2024", "March 14th", "[DATE]"),
        ("born 5 Jan 1980", "5 Jan", "[DATE]"),
        ("can we do 3/14 instead", "3/14", "[DATE]"),
        ("my member id: XJH123456789", "XJH123456789", "[ID]"),
        ("MRN 00412233 on file", "00412233", "[ID]"),
        ("policy # AB-99812", "AB-99812", "[ID]"),
        ("my record number is 448812", "448812", "[ID]"),
        ("claim 7781234 was denied", "7781234", "[ID]"),
        ("Thanks,\nMaria Lopez", "Maria", "[NAME]"),
        ("Best regards,\nJohn A. Smith\nAccounts Payable", "John", "[NAME]"),
        ("Thanks, Maria Lopez", "Maria", "[NAME]"),
        ("see you then\n- Maria", "Maria", "[NAME]"),
        ("hi this is maria gonzalez calling about my bill", "gonzalez", "[NAME]"),
        ("My name is Peter Parker and I need a refill", "Parker", "[NAME]"),
    ],
)
def test_identifier_is_masked(text, secret, token):
    masked = deidentify(text)
    assert secret not in masked
    assert token in masked


@pytest.mark.parametrize(
    "text",
    [
        "can I take 200mg ibuprofen twice a day for 3 days",
        "I owe $1,250.00 on the bill from 2 visits",
        "my chest pain started 2 hours ago",
        "is a new patient visit $150 without insurance",
        "Dr Smith said to come back",
    ],
)
def test_clinical_and_billing_content_survives(text):
    assert deidentify(text) == text


def test_lowercase_self_introduction_stops_at_the_name():
    assert deidentify("my name is john and i need a refill") == (
        "my name is [NAME] and i need a refill"
    )


def test_empty_text():
    assert deidentify("") == ""
