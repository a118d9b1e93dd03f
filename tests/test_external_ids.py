"""Zendesk's real ids are 12-14 digits: the installation sync and the Marketplace import store them on
both backends (a 32-bit column made PostgreSQL refuse them)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from dashboard.access.identity import SYSTEM
from dashboard.simulators.zendesk import ZendeskSimulator, installation
from dashboard.zendesk import connections as connections
from dashboard.zendesk import marketplace_import as mi
from dashboard.zendesk.gateway import ZendeskGateway, parse_installation
from dashboard.zendesk.sync import sync_installations
from models import App, Installation
from models.types import MAX_BIGINT

APP_ID = 1015647  # Marketplace app ids are 6-7 digits
INSTALLATION_IDS = (361234573552, 36123457355201)  # 12 and 14 digits
NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


def test_the_sync_stores_14_digit_installation_ids(session: Session, fake_zendesk: ZendeskSimulator) -> None:
    session.add(App(slug="notes", name="Notes", zendesk_app_id=APP_ID))
    fake_zendesk.add_account(
        "acme", installations=[installation(id=i, app_id=APP_ID) for i in INSTALLATION_IDS]
    )
    connections.add_connection(
        session, SYSTEM, subdomain="acme", email="api@company.test", token="good-token"
    )
    gateway = ZendeskGateway(api_base=fake_zendesk.base_url, timeout=2)

    first = sync_installations(session, gateway, actor=SYSTEM, now=NOW)
    session.commit()
    second = sync_installations(session, gateway, actor=SYSTEM, now=NOW)
    session.commit()

    assert first.status == second.status == "succeeded"
    assert (first.outcomes[0].created, second.outcomes[0].created, second.outcomes[0].updated) == (2, 0, 0)
    stored = sorted(session.exec(select(Installation.zendesk_installation_id)).all())
    assert stored == list(INSTALLATION_IDS)


def test_the_marketplace_import_stores_14_digit_ids_and_refuses_ones_past_64_bits(session: Session) -> None:
    session.add(App(slug="notes", name="Notes", zendesk_app_id=APP_ID))
    session.commit()
    data = (
        "subdomain,app_id,installation_id,installed_at,seats\n"
        f"acme,{APP_ID},{INSTALLATION_IDS[1]},2026-03-01,5\n"
        f"acme,{APP_ID},{MAX_BIGINT + 1},2026-03-01,5\n"
        f"acme,{APP_ID},{INSTALLATION_IDS[0]},2026-03-01,99999999999\n"
    )
    report = mi.apply_import(session, SYSTEM, mi.parse_export(session, data.encode()), file_name="x.csv")
    session.commit()

    assert report.created == 1
    reasons = {row.line: row.reason for row in report.rejected}
    assert sorted(reasons) == [3, 4]
    assert reasons[3].startswith("installation_id is larger than") and reasons[4].startswith(
        "seats is larger than"
    )
    assert session.exec(select(Installation.zendesk_installation_id)).all() == [INSTALLATION_IDS[1]]


def test_ids_that_cannot_be_stored_are_skipped_and_odd_seat_counts_unknown() -> None:
    too_big = parse_installation(installation(id=MAX_BIGINT + 1, app_id=APP_ID))
    negative = parse_installation(installation(id=-5, app_id=APP_ID))
    huge_seats = parse_installation(installation(id=INSTALLATION_IDS[1], app_id=APP_ID, seats=10**12))

    assert too_big is None and negative is None
    assert huge_seats is not None and huge_seats.seats is None
