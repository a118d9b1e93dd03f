"""Demo Stripe mirror: plans for the demo apps, customers linked to accounts and 18 months of history.

Subscriptions go through trials, upgrades, downgrades, cancellations (some reactivated as a new
subscription), past_due and unpaid. Each gets its MRR change log, computed with the same MRR function
the sync uses, and its last three invoices with the charge that paid them (older invoices are left out
to keep `large` fast). A few payments are refunded, a few invoices get credit notes.
Leaves `stripe_subscriptions` (id, account_id, app_id, status, seats) in ctx.shared for later steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from dashboard.billing.revenue.mrr import CouponTerms, ItemTerms, subscription_mrr
from dashboard.demo.context import DemoContext
from models import (
    FxRate,
    MrrChange,
    StripeCoupon,
    StripeCreditNote,
    StripeCustomer,
    StripeDiscount,
    StripeInvoice,
    StripePayment,
    StripePrice,
    StripeProduct,
    StripeRefund,
    StripeSubscription,
    StripeSubscriptionItem,
)
from models.accounts import App

FX = {"eur": Decimal("1.08"), "gbp": Decimal("1.27")}
CURRENCY_BY_COUNTRY = {
    "GB": "gbp",
    "DE": "eur",
    "FR": "eur",
    "NL": "eur",
    "IE": "eur",
    "ES": "eur",
    "IT": "eur",
}
# tier -> per-seat monthly price in usd minor units; eur and gbp are set as local list prices
TIERS = {"team": {"usd": 900, "eur": 850, "gbp": 750}, "business": {"usd": 1900, "eur": 1800, "gbp": 1500}}
ANNUAL_MONTHS = 10  # annual plans cost ten months
COUPONS = [
    {
        "id": "demo_forever20",
        "name": "Partner 20% forever",
        "percent_off": Decimal(20),
        "duration": "forever",
    },
    {
        "id": "demo_first50",
        "name": "50% off the first invoice",
        "percent_off": Decimal(50),
        "duration": "once",
    },
    {"id": "demo_launch10", "name": "Launch 10% forever", "percent_off": Decimal(10), "duration": "forever"},
]
CARDS = [("visa", "4242"), ("mastercard", "4444"), ("amex", "8431"), ("visa", "1881"), ("mastercard", "5100")]
HISTORY_DAYS = 540  # 18 months


@dataclass
class _Phase:
    start: datetime
    tier: str
    seats: int


def demo_fx_rows(now: datetime) -> list[dict]:
    """Month-end rates for the demo's history and today's rate (`FX`), drifting a little month to month
    (a fixed pattern, not the generator's random stream, so the other demo data stays as it was)."""
    today = now.date()
    rows = []
    for back in range(HISTORY_DAYS // 30 + 4, -1, -1):
        first = add_months(now, -back).date().replace(day=1)
        last = add_months(now, -back + 1).date().replace(day=1) - timedelta(days=1)
        day = min(last, today)
        while day.weekday() >= 5 and day > first:  # ECB rates are published on working days
            day -= timedelta(days=1)
        for position, (currency, rate) in enumerate(FX.items()):
            drift = Decimal(((back * 7 + position * 3) % 9) - 4) / 200  # -2% .. +2%
            value = rate if back == 0 else (rate * (1 + drift)).quantize(Decimal("0.0001"))
            rows.append(
                {
                    "currency": currency,
                    "day": day,
                    "rate": value,
                    "source": "demo",
                    "updated_at": now,
                    "updated_by": "demo",
                }
            )
    if rows[-1]["day"] != today:  # today's rate for the open month and for "now"
        rows += [
            {
                "currency": c,
                "day": today,
                "rate": r,
                "source": "demo",
                "updated_at": now,
                "updated_by": "demo",
            }
            for c, r in FX.items()
        ]
    return rows


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(
        moment.day, [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    )
    return moment.replace(year=year, month=month, day=day)


class _Builder:
    def __init__(self, ctx: DemoContext, apps: list[App]) -> None:
        self.ctx, self.rng, self.now = ctx, ctx.rng, ctx.now
        self.apps = apps
        self.rows: dict[str, list[dict[str, Any]]] = {
            name: []
            for name in (
                "products",
                "prices",
                "customers",
                "subscriptions",
                "items",
                "discounts",
                "changes",
                "invoices",
                "payments",
                "refunds",
                "credit_notes",
            )
        }
        self.prices: dict[tuple[int, str, str, str], dict[str, Any]] = {}
        self._mrr_cache: dict[tuple[str, int, str | None, str], int] = {}
        self.counter = 0

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    # -- catalogue -------------------------------------------------------------------------------

    def catalogue(self) -> None:
        for app in self.apps:
            self.rows["products"].append(
                {
                    "id": app.stripe_product_id,
                    "name": app.name,
                    "active": True,
                    "app_id": app.id,
                    "stripe_metadata": {"app_slug": app.slug},
                    "deleted": False,
                }
            )
            for tier, amounts in TIERS.items():
                for currency, monthly in amounts.items():
                    for interval, amount in (("month", monthly), ("year", monthly * ANNUAL_MONTHS)):
                        price = {
                            "id": f"price_demo_{app.slug}_{tier}_{interval}_{currency}",
                            "product_id": app.stripe_product_id,
                            "nickname": f"{tier.title()} {interval}ly",
                            "currency": currency,
                            "unit_amount": amount,
                            "type": "recurring",
                            "recurring_interval": interval,
                            "recurring_interval_count": 1,
                            "usage_type": "licensed",
                            "billing_scheme": "per_unit",
                            "active": True,
                            "deleted": False,
                        }
                        self.prices[(app.id, tier, interval, currency)] = price
                        self.rows["prices"].append(price)

    def mrr(self, price: dict, seats: int, coupon: dict | None, status: str) -> int:
        key = (price["id"], seats, coupon["id"] if coupon else None, status)
        if key not in self._mrr_cache:
            item = ItemTerms(
                unit_amount=price["unit_amount"], quantity=seats, interval=price["recurring_interval"]
            )
            coupons = (
                [CouponTerms(percent_off=coupon["percent_off"], duration=coupon["duration"])]
                if coupon
                else []
            )
            self._mrr_cache[key] = subscription_mrr(status=status, items=[item], coupons=coupons, at=self.now)
        return self._mrr_cache[key]

    # -- customers and subscriptions ----------------------------------------------------------------

    def customer(self, account: dict, contact: dict | None, currency: str) -> str:
        customer_id = f"cus_demo{account['id']:06d}"
        linked_by_metadata = self.rng.random() < 0.93
        unlinkable = not linked_by_metadata and self.rng.random() < 0.3
        email = (
            f"billing{account['id']}@unknown-payer.example"
            if unlinkable
            else (contact["email"] if contact else None)
        )
        self.rows["customers"].append(
            {
                "id": customer_id,
                "account_id": None if unlinkable else account["id"],
                "email": email,
                "name": account["company_name"],
                "currency": currency,
                "balance": 0,
                "delinquent": False,
                "stripe_metadata": {"zendesk_subdomain": account["zendesk_subdomain"]}
                if linked_by_metadata
                else {},
                "created": account["created_at"],
                "deleted": False,
            }
        )
        return customer_id

    def subscription(
        self, customer_id: str, account_id: int | None, app_id: int, currency: str, started: datetime
    ) -> datetime | None:
        """One subscription's life; returns when it was cancelled (for a possible reactivation)."""
        rng = self.rng
        sub_id = f"sub_demo{self.next_id():07d}"
        interval = "year" if rng.random() < 0.25 else "month"
        coupon = rng.choices([None, *COUPONS], weights=[82, 8, 6, 4])[0]
        trial = rng.random() < 0.35
        paying_from = started + timedelta(days=14) if trial else started
        phases = [
            _Phase(paying_from, rng.choice(("team", "team", "business")), rng.choice((1, 2, 3, 5, 8, 12, 20)))
        ]
        roll = rng.random()
        if roll < 0.15:  # upgrade
            phases.append(
                _Phase(
                    paying_from + timedelta(days=rng.randint(20, 300)),
                    "business",
                    phases[0].seats + rng.choice((1, 2, 5)),
                )
            )
        elif roll < 0.25:  # downgrade
            phases.append(
                _Phase(
                    paying_from + timedelta(days=rng.randint(20, 300)),
                    "team",
                    max(1, phases[0].seats - rng.choice((1, 2))),
                )
            )
        phases = [p for p in phases if p.start <= self.now]
        ended: datetime | None = None
        status = "active"
        if trial and paying_from > self.now:
            status = "trialing"
        elif trial and rng.random() < 0.3:  # trial not converted
            status, ended, phases = "canceled", paying_from, []
        elif rng.random() < 0.22:
            ended = paying_from + timedelta(days=rng.randint(25, 420))
            status = "canceled" if ended <= self.now else "active"
            ended = ended if ended <= self.now else None
        if ended:
            phases = [p for p in phases if p.start < ended]
        if status == "active":
            status = rng.choices(["active", "past_due", "unpaid"], weights=[94, 5, 1])[0]
        last = phases[-1] if phases else _Phase(paying_from, "team", 1)
        price = self.prices[(app_id, last.tier, interval, currency)]
        current_mrr = self.mrr(price, last.seats, coupon, status)
        for phase in phases:
            phase_price = self.prices[(app_id, phase.tier, interval, currency)]
            self._change(
                sub_id,
                account_id,
                customer_id,
                phase.start,
                self.mrr(phase_price, phase.seats, coupon, "active"),
                currency,
                "active",
                phase_price["id"],
            )
        if ended and phases:
            self._change(sub_id, account_id, customer_id, ended, 0, currency, "canceled", price["id"])
        if status == "unpaid":
            self._change(
                sub_id,
                account_id,
                customer_id,
                self.now - timedelta(days=rng.randint(1, 20)),
                0,
                currency,
                "unpaid",
            )
        period_start, period_end = self._period(paying_from, interval, ended)
        self.rows["subscriptions"].append(
            {
                "id": sub_id,
                "customer_id": customer_id,
                "account_id": account_id,
                "app_id": app_id,
                "status": status,
                "currency": currency,
                "collection_method": "charge_automatically",
                "created": started,
                "start_date": started,
                "trial_start": started if trial else None,
                "trial_end": paying_from if trial else None,
                "current_period_start": period_start,
                "current_period_end": period_end,
                "cancel_at_period_end": status == "active" and rng.random() < 0.04,
                "cancel_at": None,
                "canceled_at": ended,
                "ended_at": ended,
                "mrr": current_mrr,
                "stripe_metadata": {},
                "synced_at": self.now,
            }
        )
        self.rows["items"].append(
            {
                "id": f"si_demo{self.counter:07d}",
                "subscription_id": sub_id,
                "price_id": price["id"],
                "quantity": last.seats,
                "current_period_start": period_start,
                "current_period_end": period_end,
            }
        )
        if coupon:
            self.rows["discounts"].append(
                {
                    "id": f"di_demo{self.counter:07d}",
                    "coupon_id": coupon["id"],
                    "customer_id": customer_id,
                    "subscription_id": sub_id,
                    "start": started,
                    "end": None,
                }
            )
        if phases:
            self._invoices(sub_id, customer_id, currency, phases, interval, coupon, ended, status, app_id)
        return ended

    def _period(self, anchor: datetime, interval: str, ended: datetime | None) -> tuple[datetime, datetime]:
        step = 12 if interval == "year" else 1
        start, limit = anchor, ended or self.now
        while add_months(start, step) <= limit:
            start = add_months(start, step)
        return start, add_months(start, step)

    def _change(
        self,
        sub_id: str,
        account_id: int | None,
        customer_id: str,
        day: datetime,
        mrr: int,
        currency: str,
        status: str,
        price_id: str | None = None,
    ) -> None:
        self.rows["changes"].append(
            {
                "subscription_id": sub_id,
                "account_id": account_id,
                "customer_id": customer_id,
                "effective_on": day.date(),
                "mrr": mrr,
                "currency": currency,
                "status": status,
                "price_id": price_id,
            }
        )

    def _invoices(
        self,
        sub_id: str,
        customer_id: str,
        currency: str,
        phases: list[_Phase],
        interval: str,
        coupon: dict | None,
        ended: datetime | None,
        status: str,
        app_id: int,
    ) -> None:
        step = 12 if interval == "year" else 1
        starts, moment, limit = [], phases[0].start, ended or self.now
        while moment < limit:
            starts.append(moment)
            moment = add_months(moment, step)
        for position, period_start in enumerate(starts[-3:]):
            phase = (
                [p for p in phases if p.start <= period_start][-1]
                if phases[0].start <= period_start
                else phases[0]
            )
            unit = self.prices[(app_id, phase.tier, interval, currency)]["unit_amount"]
            subtotal = unit * phase.seats
            first_invoice = period_start == phases[0].start
            percent = (
                coupon["percent_off"] if coupon and (coupon["duration"] == "forever" or first_invoice) else 0
            )
            total = subtotal - int(subtotal * Decimal(percent) / 100)
            is_latest = position == len(starts[-3:]) - 1
            unpaid = is_latest and status in ("past_due", "unpaid")
            self._invoice(
                sub_id,
                customer_id,
                currency,
                period_start,
                add_months(period_start, step),
                subtotal,
                total,
                unpaid,
            )

    def _invoice(
        self,
        sub_id: str,
        customer_id: str,
        currency: str,
        start: datetime,
        end: datetime,
        subtotal: int,
        total: int,
        unpaid: bool,
    ) -> None:
        number = self.next_id()
        invoice_id = f"in_demo{number:07d}"
        paid_at = None if unpaid else min(start + timedelta(minutes=self.rng.randint(5, 600)), self.now)
        self.rows["invoices"].append(
            {
                "id": invoice_id,
                "customer_id": customer_id,
                "subscription_id": sub_id,
                "number": f"DEMO-{number:07d}",
                "status": "open" if unpaid else "paid",
                "currency": currency,
                "subtotal": subtotal,
                "tax": 0,
                "total": total,
                "amount_due": total,
                "amount_paid": 0 if unpaid else total,
                "amount_remaining": total if unpaid else 0,
                "created": start,
                "period_start": start,
                "period_end": end,
                "paid_at": paid_at,
                "hosted_invoice_url": None,
            }
        )
        if unpaid or total == 0:
            return
        brand, last4 = self.rng.choice(CARDS)
        charge_id = f"ch_demo{number:07d}"
        refund = self.rng.random() < 0.01
        refunded_amount = (total if self.rng.random() < 0.5 else total // 2) if refund else 0
        self.rows["payments"].append(
            {
                "id": charge_id,
                "payment_intent_id": f"pi_demo{number:07d}",
                "invoice_id": invoice_id,
                "customer_id": customer_id,
                "amount": total,
                "amount_captured": total,
                "amount_refunded": refunded_amount,
                "currency": currency,
                "status": "succeeded",
                "paid": True,
                "refunded": refunded_amount == total,
                "card_brand": brand,
                "card_last4": last4,
                "created": paid_at,
            }
        )
        refund_id = None
        if refund:
            refund_id = f"re_demo{number:07d}"
            self.rows["refunds"].append(
                {
                    "id": refund_id,
                    "charge_id": charge_id,
                    "payment_intent_id": f"pi_demo{number:07d}",
                    "amount": refunded_amount,
                    "currency": currency,
                    "status": "succeeded",
                    "reason": self.rng.choice(("requested_by_customer", "duplicate")),
                    "created": min(paid_at + timedelta(days=self.rng.randint(1, 20)), self.now),
                    "stripe_metadata": {},
                }
            )
        if refund or self.rng.random() < 0.01:
            amount = refunded_amount or max(total // 4, 1)
            self.rows["credit_notes"].append(
                {
                    "id": f"cn_demo{number:07d}",
                    "invoice_id": invoice_id,
                    "customer_id": customer_id,
                    "number": f"DEMO-{number:07d}-CN-01",
                    "amount": amount,
                    "currency": currency,
                    "status": "issued",
                    "type": "post_payment",
                    "reason": "order_change" if refund_id is None else "product_unsatisfactory",
                    "memo": "Demo credit",
                    "refund_id": refund_id,
                    "created": min(paid_at + timedelta(days=self.rng.randint(1, 25)), self.now),
                }
            )


def generate(ctx: DemoContext) -> None:
    with Session(ctx.engine) as session:
        apps = list(session.exec(select(App).where(col(App.stripe_product_id).is_not(None)).order_by(App.id)))
    builder = _Builder(ctx, apps)
    builder.catalogue()
    accounts = ctx.shared["accounts"]
    primary = {c["account_id"]: c for c in ctx.shared["contacts"] if c["is_primary"]}
    customers: dict[
        int, tuple[str, str, int | None]
    ] = {}  # account id -> customer id, currency, linked account
    made = 0
    while made < ctx.size.subscriptions:
        account = accounts[made % len(accounts)]
        app = apps[(made // len(accounts) + account["id"]) % len(apps)]
        if account["id"] not in customers:
            currency = CURRENCY_BY_COUNTRY.get(account["country"], "usd")
            customer_id = builder.customer(account, primary.get(account["id"]), currency)
            customers[account["id"]] = (customer_id, currency, builder.rows["customers"][-1]["account_id"])
        customer_id, currency, account_id = customers[account["id"]]
        started = max(
            ctx.now - timedelta(days=ctx.rng.randint(0, HISTORY_DAYS), minutes=ctx.rng.randint(0, 1439)),
            account["created_at"],
        )
        ended = builder.subscription(customer_id, account_id, app.id, currency, started)
        made += 1
        if ended and made < ctx.size.subscriptions and ctx.rng.random() < 0.25:
            comeback = ended + timedelta(days=ctx.rng.randint(20, 200))
            if comeback < ctx.now:  # a reactivation: a new subscription for the same customer and app
                builder.subscription(customer_id, account_id, app.id, currency, comeback)
                made += 1
    _insert(ctx, builder)
    ctx.shared["stripe_subscriptions"] = [
        {
            "id": s["id"],
            "account_id": s["account_id"],
            "app_id": s["app_id"],
            "status": s["status"],
            "customer_id": s["customer_id"],
            "seats": next_seats,
        }
        for s, next_seats in zip(
            builder.rows["subscriptions"], (i["quantity"] for i in builder.rows["items"]), strict=True
        )
    ]


def _insert(ctx: DemoContext, builder: _Builder) -> None:
    rows = builder.rows
    ctx.bulk_insert(FxRate, demo_fx_rows(ctx.now))
    ctx.bulk_insert(StripeProduct, rows["products"])
    ctx.bulk_insert(StripePrice, rows["prices"])
    ctx.bulk_insert(
        StripeCoupon,
        [
            {
                **c,
                "amount_off": None,
                "currency": None,
                "duration_in_months": None,
                "valid": True,
                "created": ctx.now - timedelta(days=700),
                "deleted": False,
            }
            for c in COUPONS
        ],
    )
    ctx.bulk_insert(StripeCustomer, [{**r, "synced_at": ctx.now} for r in rows["customers"]])
    ctx.bulk_insert(StripeSubscription, rows["subscriptions"])
    ctx.bulk_insert(StripeSubscriptionItem, rows["items"])
    ctx.bulk_insert(StripeDiscount, rows["discounts"])
    ctx.bulk_insert(MrrChange, rows["changes"])
    ctx.bulk_insert(StripeInvoice, rows["invoices"])
    ctx.bulk_insert(StripePayment, rows["payments"])
    ctx.bulk_insert(StripeRefund, rows["refunds"])
    ctx.bulk_insert(StripeCreditNote, rows["credit_notes"])
