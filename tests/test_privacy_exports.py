"""Exports: exact-email isolation (property test), near matches, formula escaping, manifest checksums,
failed sources marked and retried alone, owner-only files, expiry (purge job and on access), audited
downloads."""

from __future__ import annotations

import csv
import io
import json
import re
import stat
import string
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from dashboard.core.errors import ValidationError
from dashboard.core.settings import reset_settings_cache
from dashboard.privacy.exports import service
from dashboard.privacy.exports.package import sha256
from dashboard.simulators.zendesk_people import add_attachment, add_user, commenter_ip
from models import AuditEvent, DataExport
from models.types import utcnow
from tests.privacy_world import build_world, open_request, systems_for

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(autouse=True)
def exports_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    yield tmp_path / "data" / "exports"
    reset_settings_cache()


def _export(session, actor, world, person, fake_stripe, fake_zendesk, **systems_kwargs) -> DataExport:
    request = open_request(session, actor, person)
    export = service.start_export(session, actor, request_id=request.id)
    service.collect(
        session,
        actor,
        export_id=export.id,
        systems=systems_for(world, fake_stripe, fake_zendesk, **systems_kwargs),
    )
    session.commit()
    return export


def _zip_files(export: DataExport) -> dict[str, bytes]:
    with zipfile.ZipFile(service.export_path(export)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --- isolation: a property over random people ----------------------------------------------------------


def _mentions(text: str, identifier: str) -> bool:
    """`identifier` as a whole token: "ann@x.test" is not inside "jo.ann@x.test" or "ann@x.test.evil"."""
    return re.search(rf"(?<![\w.+-]){re.escape(identifier)}(?![\w.-])", text) is not None


_LOCALS = ["ann", "anna", "ann.lee", "jo.ann", "bob"]
_DOMAINS = ["x.test", "x.test.evil", "y.test"]
_people = st.lists(
    st.tuples(
        st.text(string.ascii_lowercase, min_size=6, max_size=6),
        st.sampled_from(_LOCALS),
        st.sampled_from(_DOMAINS),
        st.booleans(),
    ),
    min_size=2,
    max_size=4,
    unique_by=(lambda p: p[0], lambda p: (p[1], p[2])),
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=_people, chosen=st.integers(min_value=0, max_value=3))
def test_an_export_never_contains_another_persons_identifiers(
    session, make_user, fake_stripe, fake_zendesk, people, chosen
):
    run = uuid.uuid4().hex[:6]  # examples share the fakes and the store: keep each example's people apart
    named = [
        (f"Zq{token}{run}7", f"{local}@{run}.{domain}".upper() if shout else f"{local}@{run}.{domain}")
        for token, local, domain, shout in people
    ]
    world = build_world(session, fake_stripe, fake_zendesk, named)
    officer = make_user("privacy_officer")
    subject = world.people[chosen % len(world.people)]
    export = _export(session, officer, world, subject, fake_stripe, fake_zendesk)

    assert export.status == "complete", export.incomplete_reason
    text = "\n".join(data.decode("utf-8-sig") for data in _zip_files(export).values()).lower()
    for other in world.people:
        if other is subject:
            continue
        for identifier in other.identifiers():
            assert not _mentions(text, identifier), f"{identifier} of another person leaked into the export"
    assert not _mentions(text, world.agent["email"]) and world.agent["name"].lower() not in text
    assert not _mentions(text, commenter_ip(world.agent)) and not _mentions(text, str(world.agent["id"]))
    assert _mentions(text, commenter_ip(subject.zendesk_user))  # their own technical data is theirs
    counts = export.sources["store"]["counts"]
    assert counts["usage_events"] == 3 and counts["contact"] == 1
    assert export.sources["stripe"]["counts"]["stripe_customers"] == 1
    assert export.sources["zendesk"]["counts"]["zendesk_users"] == 1
    assert (export.sources["zendesk"]["accounts_searched"], export.sources["zendesk"]["found_in"]) == (
        1,
        [world.subdomain],
    )
    assert subject.marker in text and subject.email.lower() in text
    assert f"mozilla/5.0 {subject.marker}".lower() in text  # the user agent their events refer to


# --- matching, escaping, manifest ----------------------------------------------------------------------


def test_a_near_match_in_zendesk_search_is_excluded_and_listed_for_review(
    session, make_user, fake_stripe, fake_zendesk
):
    world = build_world(session, fake_stripe, fake_zendesk, [("Ann Lee", "ann@acme.example")])
    near = add_user(world.zendesk_account, name="Annie Near", email="ann@acme.example.org")
    export = _export(session, make_user("privacy_officer"), world, world.people[0], fake_stripe, fake_zendesk)

    text = b"".join(_zip_files(export).values()).decode("utf-8", "replace")
    assert "ann@acme.example.org" not in text and "Annie Near" not in text
    assert {
        "system": "zendesk",
        "where": world.subdomain,
        "id": near["id"],
        "email": "ann@acme.example.org",
    } in service.near_matches(export)


def test_formula_payloads_are_escaped_in_every_csv(session, make_user, fake_stripe, fake_zendesk):
    payload = '=HYPERLINK("http://evil")'
    world = build_world(session, fake_stripe, fake_zendesk, [(payload, "f@acme.example")])
    person = world.people[0]
    fake_stripe.store["customers"][person.customer["id"]]["phone"] = "+1 (555) 0100"
    world.zendesk_account.records["tickets"][0]["subject"] = "@SUM(A1:A9)"
    world.zendesk_account.records["comments"][0]["body"] = "-2+3\tcmd"
    export = _export(session, make_user("privacy_officer"), world, person, fake_stripe, fake_zendesk)

    csvs = {name: data for name, data in _zip_files(export).items() if name.endswith(".csv")}
    assert {"contact.csv", "stripe_customers.csv", "zendesk_tickets.csv", "zendesk_comments.csv"} <= set(csvs)
    for name, data in csvs.items():
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
            assert not [cell for cell in row if cell.startswith(FORMULA_STARTS)], name
    contact = next(csv.DictReader(io.StringIO(csvs["contact.csv"].decode("utf-8-sig"))))
    assert contact["name"] == '\'=HYPERLINK("http://evil")'  # kept, defused
    data = json.loads(_zip_files(export)["data.json"])
    assert data["sources"]["store"]["categories"]["contact"][0]["name"] == '=HYPERLINK("http://evil")'


def test_manifest_checksums_match_the_files(session, make_user, fake_stripe, fake_zendesk, exports_dir):
    world = build_world(session, fake_stripe, fake_zendesk, [("Ann Lee", "ann@acme.example")])
    export = _export(session, make_user("privacy_officer"), world, world.people[0], fake_stripe, fake_zendesk)

    files = _zip_files(export)
    manifest = json.loads(files.pop("manifest.json"))
    assert set(manifest["files"]) == set(files)
    for name, data in files.items():
        assert manifest["files"][name] == {"sha256": sha256(data), "bytes": len(data)}
    assert manifest["request_id"] == export.request_id and manifest["incomplete"] is False
    assert manifest["record_counts"]["zendesk_comments"] == 2
    assert export.sha256 == sha256(service.export_path(export).read_bytes())
    assert "README.txt" in files and b"zendesk_comments.csv" in files["README.txt"]
    assert stat.S_IMODE(service.export_path(export).stat().st_mode) == 0o600
    assert stat.S_IMODE(exports_dir.stat().st_mode) == 0o700


def test_redacts_other_peoples_names_and_emails_in_comments(session, make_user, fake_stripe, fake_zendesk):
    world = build_world(
        session,
        fake_stripe,
        fake_zendesk,
        [("Ann Lee", "ann@acme.example"), ("Bob Stone", "bob@acme.example")],
    )
    export = _export(session, make_user("privacy_officer"), world, world.people[0], fake_stripe, fake_zendesk)

    comments = json.loads(_zip_files(export)["data.json"])["sources"]["zendesk"]["categories"][
        "zendesk_comments"
    ]
    assert [c["author"] for c in comments] == ["you", "another person"]
    assert comments[0]["body"] == "My tagger is stuck. I CC'd [name redacted] ([email redacted])."
    assert comments[1]["body"] == "Hi, this is [name redacted] ([email redacted]), on it."


def test_commenter_metadata_and_attachments_are_the_subjects_own_only(
    session, make_user, fake_stripe, fake_zendesk
):
    world = build_world(session, fake_stripe, fake_zendesk, [("Ann Lee", "ann@acme.example")])
    mine, theirs = world.zendesk_account.records["comments"][-2:]
    add_attachment(mine, file_name="my-screenshot.png")
    add_attachment(theirs, file_name="agent-notes-smith.pdf")
    export = _export(session, make_user("privacy_officer"), world, world.people[0], fake_stripe, fake_zendesk)

    data = json.loads(_zip_files(export)["data.json"])["sources"]["zendesk"]["categories"]
    own, other = data["zendesk_comments"]
    assert (own["ip_address"], own["location"]) == (
        commenter_ip(world.people[0].zendesk_user),
        "Berlin, BE, Germany",
    )
    assert own["browser"].startswith("Mozilla/5.0") and own["attachments"] == "my-screenshot.png"
    assert (other["ip_address"], other["location"], other["browser"]) == (None, None, None)
    assert other["attachments"] == "1 from another person"
    assert [(t["assignee"], t["channel"], t["priority"]) for t in data["zendesk_tickets"]] == [
        ("another person", "web", "normal")
    ]
    csv_text = _zip_files(export)["zendesk_comments.csv"].decode("utf-8-sig")
    assert commenter_ip(world.agent) not in csv_text and "agent-notes" not in csv_text


# --- failures and retries ------------------------------------------------------------------------------


def test_stripe_down_marks_the_export_incomplete_and_retry_fetches_stripe_only(
    session, make_user, fake_stripe, fake_zendesk
):
    world = build_world(session, fake_stripe, fake_zendesk, [("Ann Lee", "ann@acme.example")])
    officer = make_user("privacy_officer")
    fake_stripe.fail_next(r"GET /v1/customers/search", status=500, times=10)
    export = _export(session, officer, world, world.people[0], fake_stripe, fake_zendesk)

    assert export.status == "incomplete"
    assert export.sources["stripe"]["status"] == "failed" and "Stripe" in export.incomplete_reason
    manifest = json.loads(_zip_files(export)["manifest.json"])
    assert manifest["incomplete"] is True and set(manifest["cut_short"]) == {"stripe"}

    fake_stripe._faults.clear()
    zendesk_calls = len(fake_zendesk.calls)
    service.retry_failed(
        session, officer, export_id=export.id, systems=systems_for(world, fake_stripe, fake_zendesk)
    )
    session.commit()
    assert len(fake_zendesk.calls) == zendesk_calls  # Zendesk was not asked again
    assert export.status == "complete" and export.incomplete_reason is None
    assert export.sources["stripe"]["attempts"] == 2 and export.sources["zendesk"]["attempts"] == 1
    assert _zip_files(export)["stripe_customers.csv"].count(b"ann@acme.example") == 1
    with pytest.raises(ValidationError, match="nothing to retry"):
        service.retry_failed(
            session, officer, export_id=export.id, systems=systems_for(world, fake_stripe, fake_zendesk)
        )


def test_zendesk_429_past_the_budget_marks_the_export_incomplete(
    session, make_user, fake_stripe, fake_zendesk
):
    world = build_world(session, fake_stripe, fake_zendesk, [("Ann Lee", "ann@acme.example")])
    world.zendesk_account.fail_next(status=429, retry_after=5, times=3)
    export = _export(
        session, make_user("privacy_officer"), world, world.people[0], fake_stripe, fake_zendesk, budget=1
    )

    assert export.status == "incomplete"
    assert export.sources["zendesk"]["status"] == "failed"
    assert "429" in export.sources["zendesk"]["error"]
    assert export.sources["stripe"]["status"] == "done" and export.sources["store"]["status"] == "done"
    # without Zendesk user ids the store cannot attribute usage, and says so
    assert export.sources["store"]["counts"]["usage_events"] == 0
    assert b"no usage events could be attributed" in _zip_files(export)["README.txt"]


def test_a_request_not_yet_verified_cannot_be_exported(session, make_user):
    from tests.privacy_helpers import new_request

    officer = make_user("privacy_officer")
    request = new_request(session, officer)
    with pytest.raises(ValidationError, match="identity"):
        service.start_export(session, officer, request_id=request.id)
    assert session.exec(select(DataExport)).all() == []


# --- downloads and expiry ------------------------------------------------------------------------------


def test_every_download_is_counted_and_audited(session, make_user, fake_stripe, fake_zendesk):
    world = build_world(session, fake_stripe, fake_zendesk, [("Ann Lee", "ann@acme.example")])
    officer = make_user("privacy_officer")
    export = _export(session, officer, world, world.people[0], fake_stripe, fake_zendesk)
    for _ in range(2):
        name, data = service.download(session, officer, export_id=export.id)
        session.commit()
    assert name.endswith(".zip") and sha256(data) == export.sha256
    assert export.download_count == 2
    audited = session.exec(select(AuditEvent).where(AuditEvent.action == "data_export_downloaded")).all()
    assert [(a.actor, a.target_id) for a in audited] == [(officer.email, str(export.id))] * 2


def test_an_expired_export_is_deleted_by_the_purge_job(session, make_user, fake_stripe, fake_zendesk):
    world = build_world(session, fake_stripe, fake_zendesk, [("Ann Lee", "ann@acme.example")])
    officer = make_user("privacy_officer")
    export = _export(session, officer, world, world.people[0], fake_stripe, fake_zendesk)
    path = service.export_path(export)
    assert export.expires_at - utcnow() > timedelta(days=6)

    assert service.purge_expired(session, officer, now=utcnow()) == []
    assert service.purge_expired(session, officer, now=export.expires_at) == [export.id]
    session.commit()
    assert not path.exists() and not (path.parent / f"export-{export.id}").exists()
    assert export.status == "expired" and export.deleted_at is not None
    with pytest.raises(ValidationError, match="expired"):
        service.download(session, officer, export_id=export.id)


def test_an_expired_export_is_deleted_on_access(session, make_user, fake_stripe, fake_zendesk):
    world = build_world(session, fake_stripe, fake_zendesk, [("Ann Lee", "ann@acme.example")])
    officer = make_user("privacy_officer")
    export = _export(session, officer, world, world.people[0], fake_stripe, fake_zendesk)
    path = service.export_path(export)
    later = export.expires_at + timedelta(seconds=1)

    with pytest.raises(ValidationError, match="expired"):
        service.download(session, officer, export_id=export.id, now=later)
    session.commit()
    assert not path.exists() and export.download_count == 0
    assert [e.status for e in service.list_exports(session, officer, request_id=export.request_id)] == [
        "expired"
    ]


def test_purge_exports_command_deletes_expired_files(
    session, engine, make_user, fake_stripe, fake_zendesk, monkeypatch
):
    from typer.testing import CliRunner

    from dashboard.cli import app

    world = build_world(session, fake_stripe, fake_zendesk, [("Ann Lee", "ann@acme.example")])
    officer = make_user("privacy_officer")
    export = _export(session, officer, world, world.people[0], fake_stripe, fake_zendesk)
    path = service.export_path(export)
    export.expires_at = utcnow() - timedelta(minutes=1)
    session.add(export)
    session.commit()
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings_cache()

    result = CliRunner().invoke(app, ["purge", "exports"])

    assert result.exit_code == 0, result.output
    assert f"1 expired export(s) deleted: {export.id}." in result.output
    assert not path.exists()
    session.refresh(export)
    assert export.status == "expired"


def test_an_interrupted_build_and_its_parts_are_purged_after_a_day(
    session, make_user, fake_stripe, fake_zendesk, exports_dir
):
    world = build_world(session, fake_stripe, fake_zendesk, [("Ann Lee", "ann@acme.example")])
    officer = make_user("privacy_officer")
    request = open_request(session, officer, world.people[0])
    export = service.start_export(session, officer, request_id=request.id)
    session.commit()

    def crash_before_the_store(source: str):
        if source == "store":
            raise KeyboardInterrupt  # the tab closed, the process died: collect never finished
        return lambda *_args: None

    with pytest.raises(KeyboardInterrupt):
        service.collect(
            session,
            officer,
            export_id=export.id,
            systems=systems_for(world, fake_stripe, fake_zendesk),
            progress_for=crash_before_the_store,
        )
    session.rollback()
    parts = exports_dir / f"export-{export.id}"
    assert (parts / "stripe.json").exists() and (parts / "zendesk.json").exists()
    session.refresh(export)
    assert export.status == "building" and export.expires_at is None

    assert service.purge_expired(session, officer, now=utcnow() + timedelta(hours=23)) == []
    a_day_later = utcnow() + service.STALE_BUILD_AFTER + timedelta(minutes=1)
    assert service.purge_expired(session, officer, now=a_day_later, dry_run=True) == [export.id]
    assert (parts / "stripe.json").exists()
    assert service.purge_expired(session, officer, now=a_day_later) == [export.id]
    session.commit()
    assert not parts.exists()
    assert export.status == "expired" and export.deleted_at == a_day_later
    purged = session.exec(select(AuditEvent).where(AuditEvent.action == "data_export_purged")).one()
    assert purged.details["reason"] == "stale build"
