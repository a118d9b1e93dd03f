"""The screens this branch added or changed, called directly (no AppTest): the Sync page's tabs, the
Revenue and Installations range checks, and the privacy report's labels."""

from datetime import UTC, date, datetime, timedelta

import pytest

from dashboard.billing.revenue.screen import RevenueInputs, default_range
from dashboard.billing.revenue.segments import SegmentChoice
from dashboard.billing.settings_screen import stripe_settings_screen
from dashboard.core import sync_runs
from dashboard.core.errors import ValidationError
from dashboard.privacy.screens import report_screen
from dashboard.zendesk import connections, screens
from dashboard.zendesk.installations import InstallationFilters
from models import SyncRun
from tests.privacy_helpers import new_request

STARTED = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
TOKEN = "zdTokenA1b2C3d4E5f6G7h8I9j0KlMnOpQr"


def _runs(session) -> None:
    session.add(SyncRun(kind="stripe_full", status="succeeded", started_at=STARTED, finished_at=STARTED))
    session.add(SyncRun(kind="stripe_incremental", status="failed", started_at=STARTED + timedelta(hours=1)))
    session.add(SyncRun(kind="zendesk", status="failed", started_at=STARTED + timedelta(hours=2)))
    session.commit()


def test_runs_screen_counts_failures_of_the_chosen_kind(session) -> None:
    _runs(session)
    every = sync_runs.runs_screen(session)
    assert len(every.rows) == 3 and every.failed == 2
    zendesk = sync_runs.runs_screen(session, kind="zendesk")
    assert zendesk.rows["kind"].tolist() == ["zendesk"] and zendesk.failed == 1
    assert sync_runs.runs_screen(session, kind="nothing").rows.empty


def test_jobs_screen_counts_late_jobs(session) -> None:
    screen = sync_runs.jobs_screen(session, now=STARTED)
    assert screen.late == len(screen.rows) > 0  # nothing ever ran: every job is late


def test_stripe_settings_screen_merges_both_stripe_kinds_newest_first(session) -> None:
    _runs(session)
    screen = stripe_settings_screen(session, today=date(2026, 11, 2))
    assert screen.runs.rows["kind"].tolist() == ["stripe_incremental", "stripe_full"]
    assert screen.runs.failed == 1
    assert screen.rates.empty and screen.unlinked.empty


def test_zendesk_settings_screen_hides_tokens_and_counts_enabled(session, make_user) -> None:
    admin = make_user("admin")
    connections.add_connection(session, admin, subdomain="acme", email="a@acme.example", token=TOKEN)
    screen = screens.zendesk_settings_screen(session)
    assert screen.rows[["subdomain", "token"]].values.tolist() == [["acme", "stored"]]
    assert TOKEN not in screen.rows.to_csv()
    assert screen.enabled == 1 and screen.latest_run is None and screen.latest_accounts.empty


def test_revenue_range_is_refused_under_from_when_reversed() -> None:
    with pytest.raises(ValidationError) as refused:
        RevenueInputs.from_form(date(2026, 5, 1), date(2026, 1, 1), SegmentChoice())
    assert refused.value.field == "from"
    inputs = RevenueInputs.from_form(date(2026, 1, 17), date(2026, 3, 3), SegmentChoice())
    assert (inputs.start, inputs.end) == (date(2026, 1, 1), date(2026, 3, 3))
    assert default_range(date(2026, 3, 15)) == (date(2025, 3, 1), date(2026, 3, 15))


def test_installations_range_is_refused_under_since(session) -> None:
    filters = InstallationFilters(since=date(2026, 5, 1), until=date(2026, 4, 1))
    with pytest.raises(ValidationError) as refused:
        screens.installations_screen(session, filters, today=date(2026, 5, 2))
    assert refused.value.field == "since"


def test_report_screen_names_groups_and_keeps_totals_apart(session, make_user) -> None:
    officer = make_user("privacy_officer")
    new_request(session, officer, received_on=date(2025, 1, 1), subject_email="a@x.example")
    new_request(session, officer, type="deletion", received_on=date(2025, 2, 1), subject_email="b@x.example")
    session.commit()
    screen = report_screen(session, by="type")
    assert sorted(screen.rows["group"]) == ["Access", "All", "Deletion"]
    assert "All" not in screen.detail["group"].tolist()
    assert screen.rows.loc[screen.rows["group"] == "All", "received"].item() == 2
