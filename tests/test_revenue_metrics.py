"""MRR and monthly revenue metrics against hand-computed answers."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from dashboard.billing.revenue import (
    cohort_retention,
    current_mrr,
    lifetime_value,
    monthly_revenue,
    set_fx_rate,
    trial_conversion,
)
from dashboard.billing.revenue.history import load_history
from dashboard.billing.revenue.mrr import CouponTerms, ItemTerms, subscription_mrr
from dashboard.core.errors import ValidationError
from models import AuditEvent, FxRate, MrrChange, StripeSubscription

AT = datetime(2025, 3, 15, tzinfo=UTC)


def _mrr(status: str, *items: ItemTerms, coupons: tuple[CouponTerms, ...] = ()) -> int:
    return subscription_mrr(status=status, items=list(items), coupons=list(coupons), at=AT)


def test_annual_plan_quantity_five_with_20_percent_forever_coupon() -> None:
    annual = ItemTerms(unit_amount=12000, quantity=5, interval="year")
    # 5 x 120.00 / 12 = 50.00 a month; 20% off -> 40.00
    assert _mrr("active", annual, coupons=(CouponTerms(percent_off=Decimal(20)),)) == 4000


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("trialing", 0),
        ("past_due", 2500),
        ("unpaid", 0),
        ("canceled", 0),
        ("incomplete", 0),
        ("paused", 0),
    ],
)
def test_statuses(status: str, expected: int) -> None:
    assert _mrr(status, ItemTerms(unit_amount=2500, quantity=1, interval="month")) == expected


def test_normalisation_and_excluded_items() -> None:
    assert _mrr("active", ItemTerms(unit_amount=1000, quantity=1, interval="week")) == 4333  # x 52 / 12
    assert _mrr("active", ItemTerms(unit_amount=9000, quantity=1, interval="month", interval_count=3)) == 3000
    assert _mrr("active", ItemTerms(unit_amount=100, quantity=1, interval="day")) == 3042  # 3041.67
    assert _mrr("active", ItemTerms(unit_amount=500, quantity=1, interval="month", usage_type="metered")) == 0
    assert _mrr("active", ItemTerms(unit_amount=0, quantity=3, interval="month")) == 0
    assert _mrr("active", ItemTerms(unit_amount=5000, quantity=1, interval=None)) == 0  # one-time price


def test_coupon_kinds() -> None:
    monthly = ItemTerms(unit_amount=3000, quantity=1, interval="month")
    assert _mrr("active", monthly, coupons=(CouponTerms(percent_off=Decimal(50), duration="once"),)) == 3000
    expired = CouponTerms(
        percent_off=Decimal(50), duration="repeating", ends_at=datetime(2025, 3, 1, tzinfo=UTC)
    )
    running = CouponTerms(
        percent_off=Decimal(50), duration="repeating", ends_at=datetime(2025, 4, 1, tzinfo=UTC)
    )
    assert _mrr("active", monthly, coupons=(expired,)) == 3000
    assert _mrr("active", monthly, coupons=(running,)) == 1500
    annual = ItemTerms(unit_amount=24000, quantity=1, interval="year")
    assert _mrr("active", annual, coupons=(CouponTerms(amount_off=1200),)) == 1900  # 2000 - 1200 / 12
    assert _mrr("active", monthly, coupons=(CouponTerms(amount_off=9999),)) == 0  # never negative


def _change(
    session: Session,
    sub: str,
    account: int,
    day: date,
    mrr: int,
    currency: str = "usd",
    status: str = "active",
) -> None:
    session.add(
        MrrChange(
            subscription_id=sub,
            account_id=account,
            customer_id=f"cus_{account}",
            effective_on=day,
            mrr=mrr,
            currency=currency,
            status=status,
        )
    )


@pytest.fixture
def history(session: Session) -> Session:
    """A: new in Jan (annual x5, 20% coupon = 40.00), upgraded Feb 15 to 60.00.
    B: EUR 50.00 from Jan 5 (= 55.00 USD at 1.10), downgraded Mar 10 to EUR 30.00 (= 33.00).
    C: 20.00 since Dec, cancelled mid-month Feb 14, reactivated Apr 3 at 25.00.
    D: trial ended Mar 1, converted at 10.00. E: trial ended Mar 20, never paid.
    F: past_due 15.00 since Dec (still counted). EUR is 1.10 at every month end."""
    for day in (
        date(2024, 12, 31),
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ):
        session.add(FxRate(currency="eur", day=day, rate=Decimal("1.10")))
    _change(session, "sub_a", 1, date(2025, 1, 10), 4000)
    _change(session, "sub_a", 1, date(2025, 2, 15), 6000)
    _change(session, "sub_b", 2, date(2025, 1, 5), 5000, "eur")
    _change(session, "sub_b", 2, date(2025, 3, 10), 3000, "eur")
    _change(session, "sub_c", 3, date(2024, 12, 1), 2000)
    _change(session, "sub_c", 3, date(2025, 2, 14), 0, status="canceled")
    _change(session, "sub_c2", 3, date(2025, 4, 3), 2500)
    _change(session, "sub_d", 4, date(2025, 3, 1), 1000)
    _change(session, "sub_f", 5, date(2024, 12, 15), 1500, status="past_due")
    for sub, trial_end, status in (
        ("sub_d", datetime(2025, 3, 1, tzinfo=UTC), "active"),
        ("sub_e", datetime(2025, 3, 20, tzinfo=UTC), "canceled"),
    ):
        session.add(
            StripeSubscription(
                id=sub, customer_id="cus_x", status=status, currency="usd", trial_end=trial_end
            )
        )
    session.commit()
    return session


def test_monthly_movements(history: Session) -> None:
    months = monthly_revenue(history, start=date(2025, 1, 1), end=date(2025, 4, 30), as_of=date(2025, 4, 30))
    assert [m.month for m in months] == [date(2025, m, 1) for m in (1, 2, 3, 4)]
    jan, feb, mar, apr = months
    assert (jan.mrr, jan.arr, jan.new, jan.paying_accounts, jan.arpa) == (13000, 156000, 9500, 4, 3250)
    assert (jan.customer_churn_rate, jan.net_revenue_retention, jan.gross_revenue_churn) == (0, 1, 0)
    assert (feb.mrr, feb.expansion, feb.churn, feb.new, feb.paying_accounts) == (13000, 2000, -2000, 0, 3)
    assert feb.customer_churn_rate == Decimal("0.2500")
    assert feb.gross_revenue_churn == Decimal("0.1538")  # 2000 / 13000
    assert feb.net_revenue_retention == Decimal("1.0000")
    assert (mar.mrr, mar.contraction, mar.new, mar.churn, mar.arpa) == (11800, -2200, 1000, 0, 2950)
    assert mar.gross_revenue_churn == Decimal("0.1692")  # 2200 / 13000
    assert mar.net_revenue_retention == Decimal("0.8308")  # (13000 - 2200) / 13000
    assert (apr.mrr, apr.reactivation, apr.new, apr.paying_accounts, apr.arpa) == (14300, 2500, 0, 5, 2860)
    for before, month in itertools.pairwise(months):
        movement = month.new + month.expansion + month.contraction + month.churn + month.reactivation
        assert before.mrr + movement == month.mrr
    assert lifetime_value(months) == 45760  # 2860 / mean(0, .25, 0, 0)


def test_trial_conversion_and_cohorts(history: Session) -> None:
    trials = trial_conversion(history, start=date(2025, 3, 1), end=date(2025, 3, 31), as_of=date(2025, 4, 30))
    assert [(t.trials_ended, t.converted, t.rate) for t in trials] == [(2, 1, Decimal("0.5000"))]
    cells = cohort_retention(history, start=date(2025, 1, 1), end=date(2025, 4, 30), as_of=date(2025, 4, 30))
    january = [(c.months_since, c.accounts, c.retained) for c in cells if c.cohort == date(2025, 1, 1)]
    assert january == [(0, 2, 2), (1, 2, 2), (2, 2, 2), (3, 2, 2)]
    assert {c.cohort for c in cells} == {date(2025, 1, 1), date(2025, 3, 1)}  # C and F began in December


def test_current_mrr_converts_and_skips_canceled(session: Session) -> None:
    session.add(FxRate(currency="eur", rate=Decimal("1.10")))
    session.add_all(
        [
            StripeSubscription(id="s1", customer_id="c1", status="active", currency="usd", mrr=4000),
            StripeSubscription(id="s2", customer_id="c2", status="past_due", currency="eur", mrr=1000),
            StripeSubscription(id="s3", customer_id="c3", status="canceled", currency="usd", mrr=500),
        ]
    )
    session.commit()
    assert current_mrr(session) == 5100


def test_fx_rate_validation_writes_nothing(session: Session, make_user) -> None:
    admin = make_user("admin")
    for currency, rate, field in (
        ("euro", "1.1", "currency"),
        ("eur", "-1", "rate"),
        ("eur", "abc", "rate"),
        ("usd", "2", "currency"),
    ):
        with pytest.raises(ValidationError) as caught:
            set_fx_rate(session, admin, currency=currency, rate=rate)
        assert caught.value.field == field
    session.rollback()
    assert session.exec(select(FxRate)).all() == []
    with pytest.raises(ValidationError) as caught:
        set_fx_rate(
            session, admin, currency="eur", rate="1.1", day=date(2031, 1, 1), today=date(2030, 12, 31)
        )
    assert caught.value.field == "day"
    session.rollback()
    set_fx_rate(session, admin, currency="EUR", rate="1.0825", today=date(2030, 12, 31))
    session.commit()
    assert session.get(FxRate, ("eur", date(2030, 12, 31))).rate == Decimal("1.0825")
    audit_row = session.exec(select(AuditEvent).where(AuditEvent.action == "fx_rate.set")).one()
    assert audit_row.target_id == "eur:2030-12-31"


def test_one_shared_history_gives_the_same_figures_as_fresh_loads(history: Session) -> None:
    """The Revenue page loads the MRR history once for months and cohorts; its per-day sums are reused."""
    window = {"start": date(2025, 1, 1), "end": date(2025, 4, 30), "as_of": date(2025, 4, 30)}
    shared = load_history(history)
    assert monthly_revenue(history, **window, history=shared) == monthly_revenue(history, **window)
    assert cohort_retention(history, **window, history=shared) == cohort_retention(history, **window)
    assert monthly_revenue(history, **window, history=shared) == monthly_revenue(history, **window)
