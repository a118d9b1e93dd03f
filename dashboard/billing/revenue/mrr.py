"""MRR of one subscription, following Stripe Billing's analytics definitions (docs/revenue-metrics.md).

- Only `active` and `past_due` subscriptions count; `trialing`, `unpaid`, `canceled`, `incomplete`,
  `incomplete_expired` and `paused` contribute 0.
- Each licensed, per-unit item: unit_amount x quantity, normalised to a month (year / 12, week x 52 / 12,
  day x 365 / 12, divided by interval_count). Metered items, one-time prices and free items add 0.
- Discounts: percent-off coupons reduce the total; amount-off coupons are per invoice, so they are
  normalised with the subscription's billing interval. `once` coupons do not reduce MRR (they touch one
  invoice); `repeating` ones only until the discount ends. MRR never goes below 0. Tax is never in it
  (unit amounts exclude tax).
- Computed exactly in Decimal, rounded once per subscription to minor units (half to even).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from dashboard.billing.revenue.statuses import is_paying

_MONTHS_PER_UNIT = {
    "day": Decimal(365) / 12,
    "week": Decimal(52) / 12,
    "month": Decimal(1),
    "year": Decimal(1) / 12,
}


@dataclass(frozen=True)
class ItemTerms:
    unit_amount: int | None
    quantity: int
    interval: str | None  # day | week | month | year; None for one-time prices
    interval_count: int = 1
    usage_type: str = "licensed"
    billing_scheme: str = "per_unit"


@dataclass(frozen=True)
class CouponTerms:
    percent_off: Decimal | None = None
    amount_off: int | None = None
    duration: str = "forever"  # once | repeating | forever
    ends_at: datetime | None = None  # the discount's `end` (repeating coupons)


def monthly_factor(interval: str, interval_count: int) -> Decimal:
    """How many of this billing period's amount make one month's revenue (e.g. year -> 1/12)."""
    return _MONTHS_PER_UNIT[interval] / max(interval_count, 1)


def _counts(item: ItemTerms) -> bool:
    return (
        item.interval is not None
        and item.usage_type == "licensed"
        and item.billing_scheme == "per_unit"
        and bool(item.unit_amount)
    )


def _discount_applies(coupon: CouponTerms, at: datetime) -> bool:
    if coupon.duration == "once":
        return False
    return coupon.ends_at is None or coupon.ends_at > at


def exact_mrr(*, status: str, items: list[ItemTerms], coupons: list[CouponTerms], at: datetime) -> Decimal:
    if not is_paying(status):
        return Decimal(0)
    counted = [item for item in items if _counts(item)]
    if not counted:
        return Decimal(0)
    gross = sum(
        (
            Decimal(item.unit_amount or 0)
            * item.quantity
            * monthly_factor(item.interval or "month", item.interval_count)
            for item in counted
        ),
        Decimal(0),
    )
    billing = counted[0]
    net = gross
    for coupon in coupons:
        if not _discount_applies(coupon, at):
            continue
        if coupon.percent_off is not None:
            net -= gross * Decimal(coupon.percent_off) / 100
        elif coupon.amount_off:
            net -= Decimal(coupon.amount_off) * monthly_factor(
                billing.interval or "month", billing.interval_count
            )
    return max(net, Decimal(0))


def subscription_mrr(*, status: str, items: list[ItemTerms], coupons: list[CouponTerms], at: datetime) -> int:
    """MRR in minor units of the subscription's currency at moment `at`."""
    value = exact_mrr(status=status, items=items, coupons=coupons, at=at)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
