"""Audit log reading: SQL-side filters, date ranges in the viewer's zone, pages, safe CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlmodel import Session

from dashboard.access.identity import Actor
from dashboard.core import audit, audit_query
from dashboard.core.csv_export import frame_to_csv

ALICE = Actor(email="alice@example.com", role="admin")
BOB = Actor(email="bob_b@example.com", role="privacy_officer")
BASE = datetime(2026, 6, 10, 21, 30, tzinfo=UTC)  # 23:30 in Berlin, 17:30 in New York


def _seed(session: Session) -> None:
    audit.record(session, ALICE, "user_added", target_type="user", target_id=5, at=BASE)
    audit.record(
        session,
        BOB,
        "export_downloaded",
        target_type="privacy_request",
        target_id=9,
        at=BASE + timedelta(hours=1),
    )
    audit.record(
        session,
        ALICE,
        "user_role_changed",
        target_type="user",
        target_id=5,
        at=BASE + timedelta(days=2),
        details={"from": "admin", "to": "executive"},
    )
    session.commit()


def _ids(session: Session, **filters) -> list[int]:
    page = audit_query.find_events(session, audit_query.AuditFilter(**filters))
    return [row["id"] for row in page.rows]


def test_filters_by_actor_part_action_and_target(session) -> None:
    _seed(session)
    assert _ids(session) == [3, 2, 1]
    assert _ids(session, actor="ALICE") == [3, 1]
    assert _ids(session, actor="b_b") == [2]
    assert _ids(session, actor="b%") == []  # LIKE wildcards are taken literally
    assert _ids(session, action="user_added") == [1]
    assert _ids(session, target_type="user", target_id="5") == [3, 1]
    assert _ids(session, target_type="privacy_request") == [2]


def test_date_range_is_whole_days_in_the_viewers_zone(session) -> None:
    _seed(session)
    berlin = audit_query.day_bounds(date(2026, 6, 10), date(2026, 6, 10), "Europe/Berlin")
    assert _ids(session, since=berlin[0], until=berlin[1]) == [1]  # 00:30 on the 11th in Berlin is out
    new_york = audit_query.day_bounds(date(2026, 6, 10), date(2026, 6, 10), "America/New_York")
    assert _ids(session, since=new_york[0], until=new_york[1]) == [2, 1]
    assert new_york[0].utcoffset() == timedelta(hours=-4)


def test_pages_are_newest_first_and_say_whether_more_follow(session) -> None:
    for i in range(7):
        audit.record(session, ALICE, "thing", target_id=i)
    session.commit()
    flt = audit_query.AuditFilter()
    first = audit_query.find_events(session, flt, page=1, page_size=3)
    third = audit_query.find_events(session, flt, page=3, page_size=3)
    assert [r["id"] for r in first.rows] == [7, 6, 5] and first.has_next
    assert [r["id"] for r in third.rows] == [1] and not third.has_next
    assert len(audit_query.export_events(session, flt, max_rows=5)) == 5


def test_rows_carry_details_as_json_and_known_values_are_listed(session) -> None:
    _seed(session)
    row = audit_query.find_events(session, audit_query.AuditFilter(action="user_role_changed")).rows[0]
    assert row["details"] == '{"from": "admin", "to": "executive"}'
    assert row["at"] == BASE + timedelta(days=2)
    assert audit_query.known_actions(session) == ["export_downloaded", "user_added", "user_role_changed"]
    assert audit_query.known_target_types(session) == ["privacy_request", "user"]


def test_csv_escapes_cells_a_spreadsheet_would_run() -> None:
    cells = ['=HYPERLINK("http://evil")', "+1", "@SUM(A1)", "plain", "-2", "\tx"]
    frame = pd.DataFrame({"actor": cells, "n": range(len(cells))})
    rows = list(csv.reader(io.StringIO(frame_to_csv(frame).decode("utf-8-sig"))))
    assert rows[0] == ["actor", "n"]
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://evil")',
        "'+1",
        "'@SUM(A1)",
        "plain",
        "'-2",
        "'\tx",
    ]
    assert [r[1] for r in rows[1:]] == [str(n) for n in range(len(cells))]


def test_the_log_shows_the_picked_days_else_the_last_30() -> None:
    today = date(2027, 3, 1)
    assert audit_query.dates_shown(None, today) == (date(2027, 1, 30), today)
    assert audit_query.dates_shown((), today) == (date(2027, 1, 30), today)
    assert audit_query.dates_shown((date(2027, 2, 27),), today) == (date(2027, 2, 27), date(2027, 2, 27))
    picked = (date(2024, 2, 28), date(2024, 3, 1))  # across a leap day
    assert audit_query.dates_shown(picked, today) == picked
