"""Reconciliation categories on invented data with known answers."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from dashboard.billing.reconciliation import (
    category_totals,
    reconcile,
    reconciliation_columns,
    reconciliation_screen,
)
from dashboard.presentation.columns import csv_frame
from models import (
    Account,
    App,
    FxRate,
    Installation,
    StripePrice,
    StripeSubscription,
    StripeSubscriptionItem,
)


def _world(session: Session) -> dict[str, int]:
    tagger, radar = App(slug="tagger", name="Tagger"), App(slug="radar", name="Radar")
    accounts = [Account(company_name=f"Co {n}", zendesk_subdomain=f"co{n}") for n in range(1, 7)]
    session.add_all([tagger, radar, *accounts, FxRate(currency="eur", rate=Decimal("1.10"))])
    session.flush()
    a = {n: acc.id for n, acc in enumerate(accounts, start=1)}
    session.add_all(
        [
            StripePrice(id="price_lic", product_id="prod", currency="usd", unit_amount=1000),
            StripePrice(id="price_met", product_id="prod", currency="usd", usage_type="metered"),
        ]
    )

    def sub(sid: str, acct: int, app: App, status: str, currency: str, mrr: int, qty: int = 1) -> None:
        session.add(
            StripeSubscription(
                id=sid,
                customer_id=f"cus_{acct}",
                account_id=a[acct],
                app_id=app.id,
                status=status,
                currency=currency,
                mrr=mrr,
            )
        )
        session.add(
            StripeSubscriptionItem(id=f"si_{sid}", subscription_id=sid, price_id="price_lic", quantity=qty)
        )
        session.add(
            StripeSubscriptionItem(id=f"si_met_{sid}", subscription_id=sid, price_id="price_met", quantity=99)
        )

    def inst(zid: int, acct: int, app: App, state: str, **kw) -> None:
        session.add(
            Installation(account_id=a[acct], app_id=app.id, zendesk_installation_id=zid, state=state, **kw)
        )

    sub("sub_ok", 1, tagger, "active", "usd", 5000, qty=5)
    inst(1, 1, tagger, "enabled", seats=5, stripe_subscription_id="sub_ok")
    sub("sub_old", 2, tagger, "canceled", "usd", 3000)
    inst(2, 2, tagger, "enabled")  # leakage, 30.00 (last sub)
    sub("sub_pd", 3, tagger, "past_due", "eur", 1000, qty=3)
    inst(3, 3, tagger, "enabled", seats=3, stripe_subscription_id="sub_pd")  # unpaid, 11.00 USD
    sub("sub_dis", 4, tagger, "active", "usd", 2000)
    inst(4, 4, tagger, "disabled", stripe_subscription_id="sub_dis")  # paying for nothing, 20.00
    sub("sub_un", 4, radar, "active", "eur", 2000)
    inst(5, 4, radar, "uninstalled", stripe_subscription_id="sub_un")  # paying for nothing, 22.00
    sub("sub_orphan", 5, radar, "active", "usd", 4000)  # no installation, 40.00
    sub("sub_seats", 6, radar, "active", "usd", 10000, qty=10)
    inst(6, 6, radar, "enabled", seats=12, stripe_subscription_id="sub_seats")  # 2 seats unbilled, 20.00
    inst(7, 1, radar, "enabled", has_incomplete_subscription=True)  # leakage (median) + unpaid
    session.commit()
    return a


def test_each_category_finds_exactly_the_invented_discrepancies(session: Session) -> None:
    _world(session)

    rows = reconcile(session)

    found = sorted(
        (
            r.category,
            r.installation_id and _zid(session, r.installation_id),
            r.subscription_id,
            r.at_stake_minor,
        )
        for r in rows
    )
    assert found == sorted(
        [
            ("leakage", 2, None, 3000),
            ("leakage", 7, None, 4000),  # median of radar's billing subscriptions: 22.00, 40.00, 100.00
            ("unpaid", 3, "sub_pd", 1100),
            ("unpaid", 7, None, None),
            ("paying_for_nothing", 4, "sub_dis", 2000),
            ("paying_for_nothing", 5, "sub_un", 2200),
            ("no_installation", None, "sub_orphan", 4000),
            ("seat_mismatch", 6, "sub_seats", 2000),
        ]
    )
    assert rows[0].at_stake_minor == 4000  # largest first


def test_category_totals_and_names(session: Session) -> None:
    accounts = _world(session)
    rows = reconcile(session)

    totals = category_totals(rows)

    assert totals["paying_for_nothing"] == (2, 4200)
    assert totals["leakage"] == (2, 7000)
    orphan = next(r for r in rows if r.category == "no_installation")
    assert (orphan.account_id, orphan.company_name, orphan.app_name) == (accounts[5], "Co 5", "Radar")
    seat = next(r for r in rows if r.category == "seat_mismatch")
    assert (seat.seats, seat.quantity) == (12, 10)  # the metered item's quantity is not seats


def test_the_screen_totals_every_category_whatever_is_shown(session: Session) -> None:
    _world(session)
    rows = reconcile(session)
    screen = reconciliation_screen(rows, reporting="usd", categories=("leakage",))
    assert screen.totals["paying_for_nothing"] == (2, 4200) and screen.totals["leakage"] == (2, 7000)
    assert set(screen.rows["category"]) == {"leakage"} and len(screen.rows) == 2
    assert int(screen.rows["at_stake_minor"].sum()) == 7000
    assert screen.reporting == "usd" and screen.columns == reconciliation_columns("usd")
    exported = csv_frame(screen.rows, screen.columns)
    assert sorted(exported["At stake / month (USD)"]) == sorted(
        f"{r.at_stake_minor / 100:.2f}" for r in rows if r.category == "leakage"
    )


def _zid(session: Session, installation_id: int) -> int:
    return session.get(Installation, installation_id).zendesk_installation_id
