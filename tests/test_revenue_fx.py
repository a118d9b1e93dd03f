"""Exchange rates by day: each month uses its month-end rate, a month without one says so, today's rate
never moves a closed month, and rates import from the ECB file. Answers worked out by hand."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from dashboard.billing.revenue import monthly_revenue, set_fx_rate
from dashboard.billing.revenue.fx import import_fx_csv, rate_book
from dashboard.core.errors import ValidationError
from models import AuditEvent, FxRate, MrrChange

TODAY = date(2025, 4, 20)


def _change(session: Session, sub: str, account: int, day: date, mrr: int, currency: str) -> None:
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


@pytest.fixture
def store(session: Session) -> Session:
    """X: EUR 100.00 from Jan 10. Y: USD 50.00 since December.
    EUR rates: Jan 15 1.05 and Jan 31 1.10 (month end: 1.10), Feb 27 1.20 (the last one in February),
    none in March, Apr 10 1.25 (April is open on Apr 20: the latest rate)."""
    _change(session, "sub_x", 1, date(2025, 1, 10), 10000, "eur")
    _change(session, "sub_y", 2, date(2024, 12, 1), 5000, "usd")
    for day, rate in (
        (date(2025, 1, 15), "1.05"),
        (date(2025, 1, 31), "1.10"),
        (date(2025, 2, 27), "1.20"),
        (date(2025, 4, 10), "1.25"),
    ):
        session.add(FxRate(currency="eur", day=day, rate=Decimal(rate)))
    session.commit()
    return session


def _months(session: Session):
    return monthly_revenue(session, start=date(2025, 1, 1), end=TODAY, as_of=TODAY)


def test_each_month_uses_its_month_end_rate_and_a_month_without_one_says_so(store: Session) -> None:
    jan, feb, mar, apr = _months(store)
    # Jan: start 50.00 (Y); end X 100.00 x 1.10 = 110.00 + 50.00; X is new.
    assert (jan.mrr_start, jan.mrr, jan.new, jan.fx_adjustment) == (5000, 16000, 11000, 0)
    # Feb at 1.20: Jan's end is worth 120.00 + 50.00 = 170.00; the +10.00 is FX, not a movement.
    assert (feb.mrr_start, feb.mrr, feb.fx_adjustment, feb.new, feb.expansion) == (17000, 17000, 1000, 0, 0)
    movement = feb.new + feb.expansion + feb.reactivation + feb.contraction + feb.churn
    assert jan.mrr + feb.fx_adjustment + movement == feb.mrr
    # March: no EUR rate dated in March -> no figures, not February's or April's rate.
    assert mar.missing_rates == ("eur",) and not mar.complete
    assert (mar.mrr, mar.new, mar.paying_accounts, mar.net_revenue_retention) == (None, None, None, None)
    # April (open): the latest rate, 1.25 -> 125.00 + 50.00; no FX adjustment after a blank month.
    assert (apr.mrr, apr.fx_adjustment, apr.provisional_rates) == (17500, None, True)
    assert (jan.provisional_rates, feb.provisional_rates) == (False, False)


def test_changing_todays_rate_never_changes_a_closed_month(store: Session, make_user) -> None:
    before = _months(store)
    set_fx_rate(store, make_user("admin"), currency="eur", rate="2.00", today=TODAY)
    store.commit()
    jan, feb, mar, apr = _months(store)
    assert (jan, feb, mar) == tuple(before[:3])
    assert apr.mrr == 25000  # 100.00 x 2.00 + 50.00: only the open month moves


def test_an_ecb_file_imports_cross_rates_to_the_reporting_currency(session: Session, make_user) -> None:
    ecb = "Date,USD,JPY,GBP,\n2025-02-28,1.0400,157.00,0.8250,\n2025-02-27,1.0450,N/A,0.8300,\n"
    result = import_fx_csv(session, make_user("admin"), text=ecb, today=TODAY)
    session.commit()
    book = rate_book(session)
    rates = {(c, d): book.rates[c][i] for c in book.days for i, d in enumerate(book.days[c])}
    assert rates == {
        ("eur", date(2025, 2, 27)): Decimal("1.04500000"),  # USD per EUR
        ("eur", date(2025, 2, 28)): Decimal("1.04000000"),
        ("gbp", date(2025, 2, 27)): Decimal("1.25903614"),  # 1.045 / 0.83 = 1.259036144...
        ("gbp", date(2025, 2, 28)): Decimal("1.26060606"),  # 1.04 / 0.825 = 1.260606060...
        ("jpy", date(2025, 2, 28)): Decimal("0.00662420"),  # 1.04 / 157 = 0.006624203...; 27th is N/A
    }
    assert (result.rows, result.days, result.currencies) == (5, 2, ["eur", "gbp", "jpy"])
    assert book.for_month(date(2025, 2, 1), today=TODAY).per_currency["gbp"] == Decimal("1.26060606")
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "fx_rate.import")).one()


def test_a_plain_file_and_a_bad_file(session: Session, make_user) -> None:
    admin = make_user("admin")
    plain = "date,currency,rate\n2025-01-31,EUR,1.10\n2025-01-31,usd,1\n"
    result = import_fx_csv(session, admin, text=plain, today=TODAY, currencies={"eur"})
    assert (result.rows, result.skipped) == (1, 1)  # usd is the reporting currency
    session.commit()
    for bad, message in (
        ("date,currency,rate\n2025-02-28,EUR,abc\n", "Line 2"),
        ("date,currency,rate\n2025-13-01,EUR,1.1\n", "Line 2"),
        ("date,currency,rate\n2025-05-01,EUR,1.1\n", "future"),
        ("when,what\n", "Expected"),
        ("", "empty"),
    ):
        with pytest.raises(ValidationError) as caught:
            import_fx_csv(session, admin, text=bad, today=TODAY)
        assert message in caught.value.message and caught.value.field == "file"
        session.rollback()
    assert [(r.currency, r.day) for r in session.exec(select(FxRate))] == [("eur", date(2025, 1, 31))]


def test_month_rows_chain_with_fx_adjustments(store: Session) -> None:
    months = [m for m in _months(store) if m.complete]
    for before, month in itertools.pairwise(months[:2]):
        moves = month.new + month.expansion + month.reactivation + month.contraction + month.churn
        assert before.mrr + month.fx_adjustment + moves == month.mrr
