"""The Usage and Overview pages per role, on a small store with known figures and personal data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from dashboard.access.identity import SYSTEM
from dashboard.core.settings import PROJECT_ROOT
from dashboard.usage.ingest import ingest_events
from models import Account, MrrChange, PrivacyRequest, StripeSubscription, UsageEvent
from tests.usage_store import NOW, add_installations, event

TODAY = NOW.date()
CONTACT_EMAIL = "hannah.contact@acme.example.com"
USAGE_PAGE = str(PROJECT_ROOT / "app_pages" / "usage.py")
OVERVIEW_PAGE = str(PROJECT_ROOT / "app_pages" / "overview.py")


def _days_ago(days: int, hour: int = 10) -> str:
    return (
        datetime.combine(TODAY - timedelta(days=days), datetime.min.time(), tzinfo=UTC)
        + timedelta(hours=hour)
    ).isoformat()


@pytest.fixture
def usage_store(session: Session, freeze) -> Session:
    freeze(NOW)  # the store's dates and the pages' "today" are the same day
    add_installations(session)
    records = []
    for days in range(0, 70):
        records.append(event(f"a{days}", _days_ago(days), f"agent-{days % 4}", installation_id="1"))
        if days > 55:  # Globex stopped using the tagger about two months ago
            records.append(
                event(f"g{days}", _days_ago(days), "agent-9", feature="bulk_update", installation_id="2")
            )
    ingest_events(session, records, actor=SYSTEM, now=NOW)
    # Initech pays for the tagger but nobody has used it: at risk though it never shows in usage.
    session.add(Account(id=3, company_name="Initech Health", zendesk_subdomain="initech"))
    session.add(
        StripeSubscription(
            id="sub_3", customer_id="cus_3", account_id=3, app_id=1, status="active", currency="usd"
        )
    )
    session.add(
        StripeSubscription(
            id="sub_1", customer_id="cus_1", account_id=2, app_id=1, status="past_due", currency="usd"
        )
    )
    # Acme pays $100/month since 100 days ago; Globex started at $50/month 10 days ago.
    session.add(
        MrrChange(
            subscription_id="sub_a",
            account_id=1,
            customer_id="cus_a",
            mrr=10_000,
            currency="usd",
            effective_on=TODAY - timedelta(days=100),
            status="active",
        )
    )
    session.add(
        MrrChange(
            subscription_id="sub_1",
            account_id=2,
            customer_id="cus_1",
            mrr=5_000,
            currency="usd",
            effective_on=TODAY - timedelta(days=10),
            status="active",
        )
    )
    for number, (status, due) in enumerate(
        [
            ("new", TODAY - timedelta(days=2)),
            ("in_progress", TODAY + timedelta(days=9)),
            ("completed", TODAY - timedelta(days=30)),
        ]
    ):
        session.add(
            PrivacyRequest(
                type="access",
                status=status,
                subject_name=f"Person {number}",
                subject_email=f"person{number}@example.com",
                jurisdiction="eu_gdpr",
                received_on=TODAY - timedelta(days=20),
                due_on=due,
            )
        )
    session.commit()
    return session


def _page_text(at) -> str:
    parts = [
        str(element.value)
        for kind in ("markdown", "title", "subheader", "caption", "metric")
        for element in getattr(at, kind)
    ]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(parts)


@pytest.mark.parametrize("role", ["executive", "admin"])
def test_usage_page_shows_figures_without_personal_data(
    usage_store: Session, make_user, run_page, role: str
) -> None:
    at = run_page(USAGE_PAGE, make_user(role))

    assert not at.exception
    assert at.title[0].value == "Usage"
    text = _page_text(at)
    assert "Acme Labs" in text and "Globex Retail" in text
    assert CONTACT_EMAIL not in text and "Hannah" not in text
    for actor_hash in usage_store.exec(select(UsageEvent.actor_hash).distinct()).all():
        assert actor_hash not in text
    risk = next(frame.value for frame in at.dataframe if frame.value.columns[0] == "link")
    assert list(risk["company"]) == ["Globex Retail", "Initech Health"]
    assert list(risk["link"]) == ["/account?id=2", "/account?id=3"]
    assert list(risk["billing"]) == ["Past due", "Active"]  # enum values shown as words
    assert list(risk["health"]) == [10, 40]


def test_usage_page_keeps_filters_in_the_url(usage_store: Session, make_user, run_page) -> None:
    start = (TODAY - timedelta(days=10)).isoformat()
    at = run_page(USAGE_PAGE, make_user("executive"), query={"start": start, "app": "1"})

    assert not at.exception
    assert at.query_params["start"] == [start] or at.query_params["start"] == start
    actives = at.dataframe[0].value
    assert list(actives["app"]) == ["Ticket Tagger"]
    assert at.selectbox[0].value == 1


@pytest.mark.parametrize("page", [USAGE_PAGE, OVERVIEW_PAGE])
@pytest.mark.parametrize("role", ["privacy_officer", "account_manager"])
def test_other_roles_are_refused(usage_store: Session, make_user, run_page, page: str, role: str) -> None:
    at = run_page(page, make_user(role))

    assert "cannot open" in at.error[0].value
    assert not at.dataframe and not at.metric


@pytest.mark.parametrize("role", ["executive", "admin"])
def test_overview_tiles_and_trends(usage_store: Session, make_user, run_page, role: str) -> None:
    at = run_page(OVERVIEW_PAGE, make_user(role))

    assert not at.exception
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Open privacy requests"] == "2"
    assert tiles["Overdue privacy requests"] == "1"
    # Globex's SLA Radar (installed Oct 1) was uninstalled on Nov 20, 2026.
    assert tiles["Active installations"] == "2"
    assert next(m for m in at.metric if m.label == "Active installations").delta == "-1"
    assert int(tiles["MAU"]) == 4
    assert tiles["MRR"] == "$150.00" and tiles["ARR"] == "$1,800.00" and tiles["Paying accounts"] == "2"
    assert next(m for m in at.metric if m.label == "MRR").delta == "+$50.00"
    text = _page_text(at)
    assert "person0@example.com" not in text and "Person 0" not in text and CONTACT_EMAIL not in text
