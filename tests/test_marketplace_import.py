"""Marketplace CSV import: bad rows reported by line, good rows in, idempotent, cells kept as text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from dashboard.access.identity import SYSTEM
from dashboard.core.errors import PermissionDenied, ValidationError
from dashboard.zendesk import marketplace_import as mi
from models import Account, App, AuditEvent, Installation

HEADER = "subdomain,app_id,installation_id,installed_at,state,plan,paid,seats,stripe_subscription_id\n"
FORMULA = '=HYPERLINK("http://evil.test","click")'
GOOD_AND_BAD = (
    HEADER
    + "\n".join(
        [
            "acme,900001,1,2026-01-10,enabled,Team,true,5,sub_1",  # line 2: good
            "acme,900001,2,not-a-date,enabled,Team,true,5,",  # line 3: bad date
            "acme,123,3,2026-01-10,enabled,Team,true,5,",  # line 4: unknown app
            "acme,900001,1,2026-01-11,enabled,Team,true,5,",  # line 5: duplicate of line 2
            "globex,900001,,2026-01-10,enabled,Team,true,5,",  # line 6: missing installation_id
            "globex",  # line 7: missing columns
            # line 8:
            f'globex,900001,9,2026-02-01T08:30:00Z,disabled,"{FORMULA.replace(chr(34), chr(34) * 2)}",no,,',
            "initech,900001,4,2026-03-01,uninstalled,,false,3,",  # line 9: good (new account)
        ]
    )
    + "\n"
)


@pytest.fixture
def apps(session: Session) -> None:
    session.add(App(slug="tagger", name="Tagger", zendesk_app_id=900001))
    session.add(Account(company_name="Acme", zendesk_subdomain="acme"))
    session.commit()


def _import(session: Session, data: str) -> mi.ImportReport:
    report = mi.apply_import(session, SYSTEM, mi.parse_export(session, data.encode()), file_name="x.csv")
    session.commit()
    return report


def test_each_bad_row_is_reported_with_its_line_and_good_rows_go_in(session: Session, apps: None) -> None:
    report = _import(session, GOOD_AND_BAD)

    reasons = {row.line: row.reason for row in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert "installed_at is not a date" in reasons[3]
    assert "unknown app" in reasons[4]
    assert reasons[5] == "duplicate of line 2"
    assert "installation_id" in reasons[6]
    assert "missing column(s): app_id, installation_id, installed_at" in reasons[7]
    assert report.created == 3
    rows = {r.zendesk_installation_id: r for r in session.exec(select(Installation)).all()}
    assert sorted(rows) == [1, 4, 9]
    assert (rows[1].seats, rows[1].stripe_subscription_id, rows[1].paid) == (5, "sub_1", True)
    assert rows[9].installed_at == datetime(2026, 2, 1, 8, 30, tzinfo=UTC)
    assert rows[4].state == "uninstalled"
    assert session.exec(select(Account).where(Account.zendesk_subdomain == "initech")).one()


def test_reimport_changes_nothing(session: Session, apps: None) -> None:
    _import(session, GOOD_AND_BAD)
    before = [(r.id, r.state, r.plan_name, r.seats) for r in session.exec(select(Installation)).all()]

    report = _import(session, GOOD_AND_BAD)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert [(r.id, r.state, r.plan_name, r.seats) for r in session.exec(select(Installation)).all()] == before


def test_preview_shows_changes_and_writes_nothing(session: Session, apps: None) -> None:
    _import(session, GOOD_AND_BAD)
    changed = HEADER + "acme,900001,1,2026-01-10,disabled,Team,true,7,sub_1\nacme,900001,50,2026-01-10,,,,,\n"

    plan = mi.plan_import(session, mi.parse_export(session, changed.encode()))

    assert [(p.line, p.action) for p in plan] == [(2, "update"), (3, "new")]
    assert plan[0].changes == "state: enabled → disabled; seats: 5 → 7"
    first = session.exec(select(Installation).where(Installation.zendesk_installation_id == 1)).one()
    assert first.seats == 5


def test_formula_cells_are_stored_as_text(session: Session, apps: None) -> None:
    _import(session, GOOD_AND_BAD)

    row = session.exec(select(Installation).where(Installation.zendesk_installation_id == 9)).one()
    assert row.plan_name == FORMULA


def test_a_header_without_required_columns_is_refused_and_nothing_written(
    session: Session, apps: None
) -> None:
    with pytest.raises(ValidationError) as caught:
        mi.parse_export(session, b"subdomain,app_id\nacme,900001\n")
    assert caught.value.field == "file" and "installation_id" in caught.value.message
    with pytest.raises(ValidationError):
        mi.parse_export(session, "subdomain;app_id\n".encode("utf-16"))
    assert session.exec(select(Installation)).all() == []


def test_rows_owned_by_the_zendesk_sync_are_left_to_it(session: Session, apps: None) -> None:
    account = session.exec(select(Account)).one()
    app = session.exec(select(App)).one()
    session.add(
        Installation(
            account_id=account.id,
            app_id=app.id,
            zendesk_installation_id=1,
            source="zendesk",
            state="enabled",
            seats=9,
        )
    )
    session.commit()

    report = _import(session, HEADER + "acme,900001,1,2026-01-10,disabled,Team,true,5,\n")

    assert report.kept_from_sync == 1
    assert session.exec(select(Installation)).one().seats == 9


def test_import_is_audited_and_limited_to_account_managers(session: Session, apps: None, make_user) -> None:
    _import(session, GOOD_AND_BAD)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "marketplace_import")).one()
    assert (event.details["new"], event.details["rejected"]) == (3, 5)
    with pytest.raises(PermissionDenied):
        mi.apply_import(session, make_user("executive"), mi.parse_export(session, GOOD_AND_BAD.encode()))


def _count(session: Session, model) -> int:
    session.rollback()
    return len(session.exec(select(model)).all())


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "acme,900001," + "1" + "0" * 30 + ",2026-01-10,enabled,Team,true,5,",
            "installation_id is larger than",
        ),
        ("acme,900001,7,2026-01-10,enabled,Team,true,1" + "0" * 20 + ",", "seats is larger than"),
        ("acme,900001,7,2026-01-10,enabled,Team,true,²,", "seats is not a whole number"),
        ("acme,900001,7,2026-01-10,enabled,Team,true," + "9" * 5000 + ",", "seats is larger than"),
        ("acme,900001,7,0001-01-01T00:00:00+05:00,enabled,Team,true,5,", "installed_at is not a date"),
        ("acme,900001,7,9999-12-31T23:00:00-05:00,enabled,Team,true,5,", "installed_at is not a date"),
        ('acme,900001,7,2026-01-10,enabled,"' + "x" * 200_000 + '",true,5,', "the row cannot be read"),
    ],
    ids=["id 10^30", "seats 10^20", "seats ²", "seats 5000 digits", "year 1", "year 9999", "cell 200 KB"],
)
def test_hostile_cells_are_rejected_in_the_preview_and_nothing_is_written(
    session: Session, apps: None, row: str, reason: str
) -> None:
    data = (HEADER + row + "\nacme,900001,8,2026-01-10,enabled,Team,true,5,\n").encode()
    parsed = mi.parse_export(session, data)
    assert [r.line for r in parsed.rejected] == [2] and reason in parsed.rejected[0].reason
    assert [r.installation_id for r in parsed.rows] == [8]  # the next row is still read
    assert [c.action for c in mi.plan_import(session, parsed)] == ["new"]
    before = _count(session, Installation)
    report = mi.apply_import(session, SYSTEM, parsed, file_name="x.csv")
    session.commit()
    assert report.created == 1 and _count(session, Installation) == before + 1


def test_a_header_the_csv_module_cannot_read_is_refused(session: Session, apps: None) -> None:
    with pytest.raises(ValidationError, match="header row cannot be read"):
        mi.parse_export(session, ('"' + "h" * 200_000 + '"\n').encode())


def _rows_csv(count: int, *, start: int = 1) -> str:
    return "".join(f"acme,900001,{n},2026-01-10,enabled,Team,true,5,\n" for n in range(start, start + count))


def test_a_duplicate_far_apart_in_a_streamed_file_is_still_found(session: Session, apps: None) -> None:
    # 12,000 rows span three batches; the last repeats line 2's key, a row in the middle repeats line 3's.
    body = _rows_csv(12_000)
    data = HEADER + body + "acme,900001,2,2026-02-01,disabled,,false,,\n" + "acme,900001,1,2026-03-01,,,,,\n"
    parsed = mi.parse_export(session, data.encode())
    assert [(r.line, r.reason) for r in parsed.rejected] == [
        (12_002, "duplicate of line 3"),
        (12_003, "duplicate of line 2"),
    ]
    assert parsed.rejected[1].cells["installed_at"] == "2026-03-01"
    assert parsed.row_count == 12_000
    report = mi.apply_import(session, SYSTEM, parsed, file_name="x.csv")
    session.commit()
    assert report.created == 12_000 and _count(session, Installation) == 12_000
    first = session.exec(select(Installation).where(Installation.zendesk_installation_id == 1)).one()
    assert first.installed_at == datetime(2026, 1, 10, tzinfo=UTC)  # the first line wins, not the repeat


def test_bytes_that_are_not_utf8_late_in_the_file_refuse_it_whole(session: Session, apps: None) -> None:
    data = (HEADER + _rows_csv(20_000)).encode() + "acme,900001,99999,2026-01-10,caf\xe9\n".encode("latin-1")
    with pytest.raises(ValidationError, match="not UTF-8 text"):
        mi.parse_export(session, data)
    assert _count(session, Installation) == 0


def test_the_page_preview_holds_the_counts_and_only_the_first_rows(session: Session, apps: None) -> None:
    _import(session, HEADER + _rows_csv(3))
    changed = HEADER + "acme,900001,1,2026-01-10,disabled,Team,true,5,\n" + _rows_csv(6, start=2)
    preview = mi.preview_import(session, mi.parse_export(session, changed.encode()), shown=4)
    assert preview.counts == {"new": 4, "update": 1, "unchanged": 2, "kept_from_sync": 0}
    assert [(c.line, c.action) for c in preview.first] == [
        (2, "update"),
        (3, "unchanged"),
        (4, "unchanged"),
        (5, "new"),
    ]
