"""Revenue by segment: the segments add up to the whole, filters keep the right subscriptions, and the
page takes its split, filters and range from the URL. Answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from dashboard.billing.revenue.metrics import MonthRevenue
from dashboard.billing.revenue.screen import RevenueInputs, revenue_screen
from dashboard.billing.revenue.segments import Dimension, SegmentChoice
from models import (
    Account,
    App,
    FxRate,
    MrrChange,
    StripePrice,
    StripeSubscription,
    StripeSubscriptionItem,
    User,
)

TODAY = date(2025, 2, 28)
WINDOW = RevenueInputs(date(2025, 1, 1), TODAY)


def _store(session: Session) -> None:
    """Account 1 (DE, owner Ann): s1 Tagger Team monthly USD 40.00 from Jan 5; s2 Radar Business annual
    EUR 100.00 a month from Feb 10. Account 2 (US, owner Bob): s3 Tagger Team monthly USD 30.00 since
    December, cancelled Feb 20. EUR: 1.10 on Jan 31, 1.20 on Feb 28."""
    ann = User(email="ann@company.example", name="Ann", role="account_manager")
    bob = User(email="bob@company.example", name="Bob", role="account_manager")
    session.add_all(
        [
            ann,
            bob,
            App(id=1, slug="tagger", name="Tagger"),
            App(id=2, slug="radar", name="Radar"),
        ]
    )
    session.flush()
    session.add_all(
        [
            Account(id=1, company_name="Acme", zendesk_subdomain="acme", country="DE", owner_user_id=ann.id),
            Account(
                id=2, company_name="Globex", zendesk_subdomain="globex", country="US", owner_user_id=bob.id
            ),
            StripePrice(
                id="p_team",
                product_id="prod_t",
                nickname="Team monthly",
                currency="usd",
                unit_amount=4000,
                recurring_interval="month",
            ),
            StripePrice(
                id="p_bus",
                product_id="prod_r",
                nickname="Business annual",
                currency="eur",
                unit_amount=120000,
                recurring_interval="year",
            ),
            FxRate(currency="eur", day=date(2025, 1, 31), rate=Decimal("1.10")),
            FxRate(currency="eur", day=date(2025, 2, 28), rate=Decimal("1.20")),
        ]
    )
    session.flush()
    for sub, account, app, price, currency, changes in (
        ("s1", 1, 1, "p_team", "usd", [(date(2025, 1, 5), 4000)]),
        ("s2", 1, 2, "p_bus", "eur", [(date(2025, 2, 10), 10000)]),
        ("s3", 2, 1, "p_team", "usd", [(date(2024, 12, 1), 3000), (date(2025, 2, 20), 0)]),
    ):
        session.add(
            StripeSubscription(
                id=sub,
                customer_id=f"cus_{account}",
                account_id=account,
                app_id=app,
                status="active",
                currency=currency,
                created=datetime(2024, 12, 1, tzinfo=UTC),
            )
        )
        session.add(StripeSubscriptionItem(id=f"si_{sub}", subscription_id=sub, price_id=price))
        for day, mrr in changes:
            session.add(
                MrrChange(
                    subscription_id=sub,
                    account_id=account,
                    customer_id=f"cus_{account}",
                    effective_on=day,
                    mrr=mrr,
                    currency=currency,
                    status="active",
                )
            )
    session.commit()


def _screen(session: Session, by: Dimension | None = None, **keep: tuple[str, ...]):
    choice = SegmentChoice(by=by, keep=tuple((Dimension(k), v) for k, v in keep.items()))
    return revenue_screen(session, RevenueInputs(WINDOW.start, WINDOW.end, choice), today=TODAY)


def _figures(m: MonthRevenue) -> tuple:
    return (m.mrr, m.new, m.expansion, m.reactivation, m.contraction, m.churn)


def _net(m: MonthRevenue) -> int:
    return m.new + m.expansion + m.reactivation + m.contraction + m.churn


def test_whole_business_by_hand(session: Session) -> None:
    _store(session)
    jan, feb = _screen(session).months
    assert _figures(jan) == (7000, 4000, 0, 0, 0, 0)  # 40.00 + 30.00; s1 new
    # Feb at 1.20: account 1 40.00 -> 160.00 (s2 = 120.00) is expansion; account 2 churns 30.00
    assert _figures(feb) == (16000, 0, 12000, 0, 0, -3000)
    assert feb.quick_ratio == Decimal("4.0000")  # 12000 / 3000


@pytest.mark.parametrize("by", list(Dimension))
def test_segments_add_up_to_the_whole(session: Session, by: Dimension) -> None:
    _store(session)
    whole = _screen(session)
    split = _screen(session, by)
    for position, total in enumerate(whole.months):
        parts = [rows[position] for rows in split.by_segment.values()]
        assert sum(p.mrr for p in parts) == total.mrr
        assert sum(p.arr for p in parts) == total.arr
        assert sum(_net(p) for p in parts) == _net(total)
        assert sum(p.mrr_start for p in parts) == total.mrr_start
        if by in (Dimension.COUNTRY, Dimension.OWNER):  # account attributes: every category adds up
            for name in ("new", "expansion", "reactivation", "contraction", "churn", "paying_accounts"):
                assert sum(getattr(p, name) for p in parts) == getattr(total, name), name


def test_kept_values_not_among_the_options_are_ignored(session: Session) -> None:
    """A hand-edited address (?country=XX) keeps nothing out, as the filter shows nothing chosen."""
    _store(session)
    tagger = _screen(session, app=("Tagger",))
    odd = _screen(session, app=("Tagger",), country=("XX",))
    assert [m.mrr for m in odd.months] == [m.mrr for m in tagger.months] == [7000, 4000]
    assert _screen(session, country=("XX",)).months == _screen(session).months
    assert odd.currency == "usd" and odd.options[Dimension.COUNTRY] == ["DE", "US"]


def test_split_by_app_and_by_country_by_hand(session: Session) -> None:
    _store(session)
    by_app = _screen(session, Dimension.APP).by_segment
    assert set(by_app) == {"Radar", "Tagger"}
    assert [_figures(m) for m in by_app["Tagger"]] == [(7000, 4000, 0, 0, 0, 0), (4000, 0, 0, 0, 0, -3000)]
    assert [_figures(m) for m in by_app["Radar"]] == [(0, 0, 0, 0, 0, 0), (12000, 12000, 0, 0, 0, 0)]
    by_country = _screen(session, Dimension.COUNTRY).by_segment
    assert [_figures(m) for m in by_country["DE"]] == [(4000, 4000, 0, 0, 0, 0), (16000, 0, 12000, 0, 0, 0)]
    assert [_figures(m) for m in by_country["US"]] == [(3000, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, -3000)]
    owners = _screen(session, Dimension.OWNER).by_segment
    assert {k: v[-1].mrr for k, v in owners.items()} == {"Ann": 16000, "Bob": 0}
    intervals = _screen(session, Dimension.INTERVAL).by_segment
    assert {k: v[-1].mrr for k, v in intervals.items()} == {"month": 4000, "year": 12000}
    plans = _screen(session, Dimension.PLAN, currency=("EUR",)).by_segment
    assert {k: v[-1].mrr for k, v in plans.items()} == {"Business annual": 12000}


def test_a_plan_change_counts_under_the_plan_of_the_day(session: Session) -> None:
    """s1 was on Starter monthly (USD 25.00) from Jan 5 and moved to Team monthly (USD 40.00) on Feb 15
    (the change log says so); the subscription's current item is Team. January belongs to Starter."""
    _store(session)
    session.add(
        StripePrice(
            id="p_starter",
            product_id="prod_t",
            nickname="Starter monthly",
            currency="usd",
            unit_amount=2500,
            recurring_interval="month",
        )
    )
    s1 = session.exec(select(MrrChange).where(MrrChange.subscription_id == "s1")).one()
    s1.mrr, s1.price_id = 2500, "p_starter"
    session.add(
        MrrChange(
            subscription_id="s1",
            account_id=1,
            customer_id="cus_1",
            effective_on=date(2025, 2, 15),
            mrr=4000,
            currency="usd",
            status="active",
            price_id="p_team",
        )
    )
    session.commit()
    split = _screen(session, by=Dimension.PLAN).by_segment
    # Starter: Jan new 25.00; Feb s1 leaves it: churn -25.00. Team: s3 (no price logged: its current
    # plan) 30.00 in Jan; Feb: account 1 arrives with 40.00 (new, first paid on Team), account 2 churns.
    assert [_figures(m) for m in split["Starter monthly"]] == [
        (2500, 2500, 0, 0, 0, 0),
        (0, 0, 0, 0, 0, -2500),
    ]
    assert [_figures(m) for m in split["Team monthly"]] == [
        (3000, 0, 0, 0, 0, 0),
        (4000, 4000, 0, 0, 0, -3000),
    ]
    whole = _screen(session).months
    assert [m.mrr for m in whole] == [5500, 16000]  # segments add up: 2500 + 3000; 0 + 4000 + 12000 (s2)
    kept = _screen(session, plan=("Starter monthly",)).months
    assert [m.mrr for m in kept] == [2500, 0]  # the filter keeps s1 only while it was on Starter
    assert "Starter monthly" in _screen(session).options[Dimension.PLAN]


def test_filters(session: Session) -> None:
    _store(session)
    tagger = _screen(session, app=("Tagger",))
    assert [_figures(m) for m in tagger.months] == [(7000, 4000, 0, 0, 0, 0), (4000, 0, 0, 0, 0, -3000)]
    de_by_app = _screen(session, Dimension.APP, country=("DE",)).by_segment
    assert {k: v[-1].mrr for k, v in de_by_app.items()} == {"Radar": 12000, "Tagger": 4000}
    assert _screen(session, owner=("Bob",)).months[-1].mrr == 0
    assert tagger.options[Dimension.APP] == ["Radar", "Tagger"]


def test_the_page_takes_split_filters_and_range_from_the_url(
    run_page, make_user, engine: Engine, freeze
) -> None:
    freeze(datetime(2025, 2, 28, 12, tzinfo=UTC))
    with Session(engine) as session:
        _store(session)
    at = run_page(
        "app_pages/revenue.py",
        make_user("executive"),
        query={"by": "app", "country": "DE", "from": "2025-01-01", "to": "2025-02-28"},
    )
    assert not at.exception
    split = at.selectbox(key="by")
    assert split.value == "app" and at.multiselect(key="country").value == ["DE"]
    table = next(frame.value for frame in at.dataframe if "segment" in frame.value)
    assert sorted(set(table["segment"])) == ["Radar", "Tagger"]
    assert list(table["mrr"][table["month"] == table["month"].max()]) in ([120.0, 40.0], [40.0, 120.0])

    # "Split by" shows words while ?by= keeps the dimension
    assert split.options[:5] == ["Whole business", "App", "Plan", "Billing interval", "Currency"]
    split.set_value("currency").run()
    assert at.query_params["by"] == "currency" and at.query_params["country"] == "DE"
    at.selectbox(key="by").set_value("none").run()
    assert "by" not in at.query_params and at.query_params["from"] == "2025-01-01"
