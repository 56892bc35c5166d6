"""ML staff exports: formats, manifest, filters, de-identification, audit, the shell command."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import review_factories as f
from conftest import make_user
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from clarioscope.celery import app as celery_app
from clarioscope.taxonomy import INTENTS
from intake.models import AccessAudit, Role
from review import exports, services
from review.models import CalibrationLabel, Export, ExportStatus


@pytest.fixture
def eager_tasks():
    """Run the export task in-process, as the embedded default does, whatever the broker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def decided(practice, reviewer):
    """Three decisions (one of them undone) by the reviewer and one by a colleague."""
    colleague = make_user("carl.colleague", practice, Role.REVIEWER)
    rows = [
        ("appointment_request", "appointment_request", reviewer, "can i come thursday at 3"),
        ("appointment_request", "new_patient_inquiry", reviewer, "new here, can I book a visit"),
        (
            "billing_inquiry",
            "billing_inquiry",
            colleague,
            "Call me at (555) 123-4567 or mail jo@example.com about member id ZX9912345.\n\n"
            "Thanks,\nJoanna Smith",
        ),
    ]
    labels = []
    for predicted, chosen, user, text in rows:
        item = f.queued(practice, label=predicted, text=text)
        services.review_claim(reviewer=user, practice=practice, item_id=item.pk)
        labels.append(
            services.review_submit(
                reviewer=user, practice=practice, message_id=item.message_id, label=chosen
            )
        )
    undone = f.queued(practice, label="complaint", text="undone one")
    services.review_claim(reviewer=reviewer, practice=practice, item_id=undone.pk)
    services.review_submit(
        reviewer=reviewer, practice=practice, message_id=undone.message_id, label="complaint"
    )
    services.review_undo(reviewer=reviewer, practice=practice)
    return labels


def start_export(client: Client, practice, capture, **form) -> Export:
    data = {"format": "csv", **form}
    with capture(execute=True):
        response = client.post(f"/practices/{practice.slug}/exports/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    export = Export.objects.order_by("-pk").first()
    assert export is not None
    return export


def download(client: Client, practice, export: Export) -> bytes:
    response = client.get(f"/practices/{practice.slug}/exports/{export.pk}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_each_format_with_manifest(
    client,
    practice,
    ml_staff,
    decided,
    eager_tasks,
    django_capture_on_commit_callbacks,
    fmt,
    tmp_path,
):
    client.force_login(ml_staff)
    export = start_export(client, practice, django_capture_on_commit_callbacks, format=fmt)
    export.refresh_from_db()
    assert export.status == ExportStatus.SUCCEEDED, export.error
    assert export.row_count == 3 and export.progress == 1.0
    page = client.get(f"/practices/{practice.slug}/exports/").content.decode()
    assert f"/exports/{export.pk}/download/" in page
    content = download(client, practice, export)
    manifest = client.get(f"/practices/{practice.slug}/exports/{export.pk}/manifest/").json()
    assert manifest["row_count"] == 3
    assert manifest["sha256"] == hashlib.sha256(content).hexdigest()
    assert manifest["format"] == fmt and manifest["practice"] == practice.slug
    assert manifest["exported_at"] and manifest["filters"] == {}
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(content)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(content.decode())))
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in content.decode().splitlines()]
    else:
        rows = pq.read_table(path).to_pylist()
    assert len(rows) == 3
    assert set(rows[0]) == set(exports.COLUMNS)
    texts = {r["text"] for r in rows}
    assert "undone one" not in texts  # the undone decision is not a label
    second = next(r for r in rows if r["reviewer_label"] == "new_patient_inquiry")
    assert second["predicted_label"] == "appointment_request"
    assert int(second["label"]) == INTENTS.index("new_patient_inquiry")
    assert float(second["p_appointment_request"]) == pytest.approx(0.5)
    assert second["model_version"] == f.MODEL_VERSION and second["reviewer"] == "rita.reviewer"


def test_parquet_export_loads_with_datasets(
    client, practice, ml_staff, decided, eager_tasks, django_capture_on_commit_callbacks, tmp_path
):
    datasets = pytest.importorskip("datasets")
    client.force_login(ml_staff)
    export = start_export(client, practice, django_capture_on_commit_callbacks, format="parquet")
    path = tmp_path / "labels.parquet"
    path.write_bytes(download(client, practice, export))
    loaded = datasets.load_dataset(
        "parquet", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert loaded.num_rows == 3
    assert {"text", "label", "reviewer_label", "p_complaint"} <= set(loaded.column_names)


def test_export_filters(
    client, practice, ml_staff, reviewer, decided, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(ml_staff)
    capture = django_capture_on_commit_callbacks
    by_reviewer = start_export(client, practice, capture, reviewer="carl.colleague")
    by_intent = start_export(client, practice, capture, intent="appointment_request")
    by_version = start_export(client, practice, capture, model_version=f.MODEL_VERSION)
    CalibrationLabel.objects.filter(pk=decided[0].pk).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    today = timezone.localdate()
    recent = start_export(client, practice, capture, since=(today - timedelta(days=2)).isoformat())
    old = start_export(client, practice, capture, until=(today - timedelta(days=5)).isoformat())
    counts = {
        name: Export.objects.get(pk=e.pk).row_count
        for name, e in [
            ("reviewer", by_reviewer),
            ("intent", by_intent),
            ("version", by_version),
            ("recent", recent),
            ("old", old),
        ]
    }
    assert counts == {"reviewer": 1, "intent": 1, "version": 3, "recent": 2, "old": 1}
    assert Export.objects.get(pk=by_reviewer.pk).filters == {"reviewer": "carl.colleague"}


def test_deidentified_export_masks_identifiers(
    client, practice, ml_staff, decided, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(ml_staff)
    export = start_export(
        client, practice, django_capture_on_commit_callbacks, format="jsonl", deidentify="on"
    )
    rows = [json.loads(line) for line in download(client, practice, export).decode().splitlines()]
    masked = next(r["text"] for r in rows if r["reviewer"] == "carl.colleague")
    for secret in ("555", "jo@example.com", "ZX9912345", "Joanna"):
        assert secret not in masked
    assert "[PHONE]" in masked and "[EMAIL]" in masked and "[ID]" in masked
    assert "[NAME]" in masked
    assert Export.objects.get(pk=export.pk).manifest["deidentified"] is True


def test_export_and_download_are_audited(
    client, practice, ml_staff, decided, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(ml_staff)
    export = start_export(client, practice, django_capture_on_commit_callbacks)
    download(client, practice, export)
    actions = list(
        AccessAudit.objects.filter(practice=practice, object_type="export").values_list(
            "action", "user_id", "object_id"
        )
    )
    assert ("export", ml_staff.pk, str(export.pk)) in actions
    assert ("download_export", ml_staff.pk, str(export.pk)) in actions


def test_export_status_partial_polls_until_done(client, practice, ml_staff, decided):
    client.force_login(ml_staff)
    export = services.export_request(
        user=ml_staff,
        practice=practice,
        fmt="csv",
        filters=exports.ExportFilters(),
        deidentify=False,
    )  # not committed inside the test transaction: the task has not run yet
    partial = client.get(f"/practices/{practice.slug}/exports/{export.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in partial
    services.export_run(export_id=export.pk)
    partial = client.get(f"/practices/{practice.slug}/exports/{export.pk}/").content.decode()
    assert "hx-trigger" not in partial and "Download" in partial
    # Running it again is harmless.
    assert services.export_run(export_id=export.pk).status == ExportStatus.SUCCEEDED


def test_reviewers_cannot_export(client, practice, reviewer):
    client.force_login(reviewer)
    assert client.get(f"/practices/{practice.slug}/exports/").status_code == 403
    assert client.post(f"/practices/{practice.slug}/exports/", {"format": "csv"}).status_code == 403
    assert not Export.objects.exists()


def test_practice_admin_can_export(client, practice, practice_admin):
    client.force_login(practice_admin)
    assert client.get(f"/practices/{practice.slug}/exports/").status_code == 200


def test_management_command_exports_the_same_rows(practice, decided, tmp_path):
    out = tmp_path / "labels.csv"
    stdout = io.StringIO()
    call_command(
        "export_calibration",
        "--practice",
        practice.slug,
        "--format",
        "csv",
        "--out",
        str(out),
        "--reviewer",
        "rita.reviewer",
        "--deidentify",
        stdout=stdout,
        stderr=io.StringIO(),
    )
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2 and {r["reviewer"] for r in rows} == {"rita.reviewer"}
    manifest = json.loads(Path(str(out) + ".manifest.json").read_text())
    assert manifest["row_count"] == 2 and manifest["deidentified"] is True
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["filters"] == {"reviewer": "rita.reviewer"}
    assert "2 rows" in stdout.getvalue()
    audit = AccessAudit.objects.get(action="export")
    assert audit.detail["via"] == "manage.py export_calibration" and audit.detail["rows"] == 2


def test_management_command_parquet_and_unknown_practice(practice, decided, tmp_path):
    out = tmp_path / "labels.parquet"
    call_command(
        "export_calibration",
        "--practice",
        practice.slug,
        "--format",
        "parquet",
        "--out",
        str(out),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert pq.read_table(out).num_rows == 3
    with pytest.raises(CommandError):
        call_command(
            "export_calibration", "--practice", "nope", "--format", "csv", "--out", str(out)
        )


def test_empty_parquet_export_is_still_a_valid_file(practice, tmp_path):
    out = tmp_path / "empty.parquet"
    count = exports.write_rows(
        rows=exports.iter_rows(practice=practice, filters=exports.ExportFilters(), mask=False),
        fmt="parquet",
        path=out,
    )
    assert count == 0 and pq.read_table(out).num_rows == 0
