"""Hostile ids in an address or a filter box: a clear "No such …" and nothing written, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from dashboard.core.ids import MAX_ID, parse_id
from models import AuditEvent

HOSTILE = ["²", "٣", "9" * 20, "9" * 5000, str(MAX_ID + 1), "-1", "0x10", "1e3", " ", "36 OR 1=1", "\x00"]


@given(st.text(max_size=40) | st.integers().map(str) | st.just("9" * 5000))
def test_parse_id_never_raises_and_returns_only_storable_ids(raw: str) -> None:
    parsed = parse_id(raw)
    assert parsed is None or 0 <= parsed <= MAX_ID
    if parsed is not None:
        assert raw.strip().isascii() and int(raw.strip()) == parsed


@given(st.integers(min_value=0, max_value=MAX_ID))
def test_parse_id_accepts_every_storable_id(value: int) -> None:
    assert parse_id(str(value)) == value and parse_id(f" {value} ") == value


def _audit_rows(session: Session) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


PAGES = [
    ("app_pages/privacy_requests.py", "privacy_officer", "id", "No such request."),
    ("app_pages/privacy_exports.py", "privacy_officer", "request", "No such request."),
    ("app_pages/account.py", "account_manager", "id", "No such account."),
    ("app_pages/correction_history.py", "account_manager", "account", "No such account."),
]


@pytest.mark.parametrize(("file", "role", "param", "message"), PAGES)
def test_hostile_ids_in_the_address_show_no_such_record(
    run_page, make_user, session, file, role, param, message
) -> None:
    actor = make_user(role)
    before = _audit_rows(session)
    for raw in HOSTILE:
        at = run_page(file, actor, query={param: raw})
        assert not at.exception, f"{file}?{param}={raw[:30]!r}: {at.exception}"
        assert message in [e.value for e in at.error], f"{file}?{param}={raw[:30]!r}"
    assert _audit_rows(session) == before


def test_a_valid_but_unknown_id_is_no_such_request_too(run_page, make_user) -> None:
    at = run_page("app_pages/privacy_requests.py", make_user("privacy_officer"), query={"id": str(MAX_ID)})
    assert not at.exception and [e.value for e in at.error] == [f"There is no privacy request #{MAX_ID}."]
