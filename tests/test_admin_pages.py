"""The Users, Audit log and Sync pages under AppTest: actions write, refusals show at the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from dashboard.access.identity import Actor
from dashboard.core import audit, clock, sync_runs
from models import AuditEvent, SyncRun, User


def _count(session: Session, model) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(model)).one()


def _submit_add_user(at, email: str, role: str = "executive", password: str = ""):
    at.text_input[0].input(email)
    at.text_input[1].input("New Person")
    at.selectbox[0].select(role)
    at.text_input[2].input(password)
    at.button(key="FormSubmitter:add_user-Add user").click()
    return at.run()


def test_users_page_adds_a_user(run_page, make_user, session) -> None:
    admin = make_user("admin")
    at = _submit_add_user(run_page("app_pages/users.py", admin), "new@example.com")
    assert not at.exception and not at.error
    assert [t.value for t in at.toast] == ["Added new@example.com as Executive."]
    assert session.exec(select(User.role).where(User.email == "new@example.com")).one() == "executive"
    assert "new@example.com" in at.dataframe[0].value["email"].tolist()


def test_users_page_refuses_a_bad_email_next_to_the_field(run_page, make_user, session) -> None:
    admin = make_user("admin")
    users_before, audit_before = _count(session, User), _count(session, AuditEvent)
    at = _submit_add_user(run_page("app_pages/users.py", admin), "not an email")
    assert [e.value for e in at.error] == ["Enter a valid email address, like name@example.com."]
    form = at.get("form")[0]
    labels = [getattr(c, "label", None) or getattr(c, "value", None) for c in form.children.values()]
    assert labels.index("Email") + 1 == labels.index("Enter a valid email address, like name@example.com.")
    assert (_count(session, User), _count(session, AuditEvent)) == (users_before, audit_before)


def test_users_page_refuses_demoting_the_last_admin(run_page, make_user, session) -> None:
    admin = make_user("admin")
    audit_before = _count(session, AuditEvent)
    at = run_page("app_pages/users.py", admin)
    at.selectbox(key="role_user").select(admin.user_id)
    at.selectbox[2].select("executive")
    at.button(key="FormSubmitter:change_role-Change role").click()
    at.run()
    assert [e.value for e in at.error] == ["This is the last active admin; make someone else admin first."]
    assert session.get(User, admin.user_id).role == "admin"
    assert _count(session, AuditEvent) == audit_before


def test_users_page_deactivates_and_reactivates(run_page, make_user, session) -> None:
    admin = make_user("admin")
    member = make_user("account_manager")
    at = run_page("app_pages/users.py", admin)
    at.selectbox(key="active_user").select(member.user_id)
    at.button(key="FormSubmitter:set_active-Deactivate").click()
    at.run()
    assert not at.error
    session.rollback()
    assert session.get(User, member.user_id).active is False
    at.button(key="FormSubmitter:set_active-Reactivate").click()
    at.run()
    session.rollback()
    assert session.get(User, member.user_id).active is True


def _audit_rows(session: Session) -> None:
    now = clock.now()
    alice, bob = Actor(email="alice@example.com", role="admin"), Actor(email="bob@example.com", role="admin")
    audit.record(session, alice, "user_added", target_type="user", target_id=1, at=now - timedelta(hours=1))
    audit.record(session, bob, "login", target_type="user", target_id=2, at=now - timedelta(hours=2))
    audit.record(session, bob, "login", target_type="user", target_id=2, at=now - timedelta(days=60))
    session.commit()


def test_audit_page_filters_from_the_url(run_page, make_user, session) -> None:
    officer = make_user("privacy_officer")
    _audit_rows(session)
    at = run_page("app_pages/audit_log.py", officer, query={"who": "bob", "action": "login"})
    assert not at.exception
    shown = at.dataframe[0].value
    assert shown["actor"].tolist() == ["bob@example.com"]  # the 60-day-old row is outside the default range
    assert str(shown["at"].dt.tz) == "UTC"


def _audit_page_in_zone(actor: Actor, zone: str, **query: object):
    from streamlit.testing.v1 import AppTest

    from dashboard.core.settings import PROJECT_ROOT

    at = AppTest.from_file(str(PROJECT_ROOT / "app_pages/audit_log.py"), default_timeout=30)
    at.session_state["actor"] = actor
    at.session_state["viewer_timezone"] = zone
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


@pytest.mark.parametrize(
    ("instant", "zone", "viewer_today"),
    [
        (datetime(2026, 12, 1, 15, 30, tzinfo=UTC), "Asia/Tokyo", date(2026, 12, 2)),  # Tokyo is ahead
        (datetime(2027, 1, 31, 23, 30, tzinfo=UTC), "Asia/Tokyo", date(2027, 2, 1)),  # and in February
        (datetime(2027, 3, 1, 5, 0, tzinfo=UTC), "Pacific/Honolulu", date(2027, 2, 28)),  # behind
    ],
)
def test_audit_page_shows_times_in_the_viewers_zone_and_older_dates_on_request(
    run_page, make_user, session, freeze, instant: datetime, zone: str, viewer_today: date
) -> None:
    freeze(instant)
    officer = make_user("privacy_officer")
    _audit_rows(session)

    default = _audit_page_in_zone(officer, zone)
    assert default.date_input(key="dates").value == (viewer_today - timedelta(days=30), viewer_today)
    assert len(default.dataframe[0].value) == 3  # the two recent rows and the officer's own addition

    asked = _audit_page_in_zone(
        officer, zone, who="bob", dates=[str(viewer_today - timedelta(days=90)), str(viewer_today)]
    )
    shown = asked.dataframe[0].value
    assert len(shown) == 2 and str(shown["at"].dt.tz) == zone


def test_audit_page_with_no_match_says_so(run_page, make_user) -> None:
    officer = make_user("privacy_officer")
    at = run_page("app_pages/audit_log.py", officer, query={"who": "nobody-like-this"})
    assert [i.value for i in at.info] == ["No audit events match these filters."]


def test_sync_page_lists_runs_with_durations(run_page, make_user, session) -> None:
    admin = make_user("admin")
    started = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    session.add(
        SyncRun(
            kind="stripe_full",
            status="succeeded",
            started_at=started,
            finished_at=started + timedelta(seconds=95),
            counts={"customers": 12, "invoices": 40},
        )
    )
    session.add(
        SyncRun(
            kind="zendesk",
            status="failed",
            started_at=started + timedelta(hours=1),
            finished_at=started + timedelta(hours=1, seconds=3),
            error="401 Unauthorized",
        )
    )
    session.add(SyncRun(kind="zendesk", status="running", started_at=started + timedelta(hours=2)))
    session.commit()
    rows = sync_runs.recent_runs(session)
    assert [r["status"] for r in rows] == ["running", "failed", "succeeded"]
    assert rows[0]["duration_s"] is None and rows[2]["duration_s"] == 95
    assert rows[2]["counts"] == "customers: 12, invoices: 40"
    assert sync_runs.run_kinds(session) == ["stripe_full", "zendesk"]
    at = run_page("app_pages/sync.py", admin, query={"sync_kind": "Zendesk"})  # the shown label
    assert not at.exception
    runs = at.dataframe[1].value  # after the Jobs tab's table
    assert runs["error"].tolist() == ["", "401 Unauthorized"]
