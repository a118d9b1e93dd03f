"""Reconciliation of Zendesk installations with Stripe subscriptions: what no single screen shows.

Categories (each row carries the monthly revenue at stake, in the reporting currency):
- `leakage`: an enabled installation with no live subscription (nobody is billed for it). At stake:
  the MRR of its last known subscription, else the median MRR of the app's billing subscriptions.
- `unpaid`: an installation Zendesk flags with an unpaid or incomplete subscription, or whose
  subscription is past_due/unpaid/incomplete. At stake: that subscription's MRR.
- `paying_for_nothing`: a billing subscription whose installation is disabled or uninstalled.
  Disabling an app does not cancel its subscription (only uninstalling does): churn risk, refund
  candidate. At stake: the subscription's MRR.
- `no_installation`: a billing subscription with no installation of its app in its account at all.
- `seat_mismatch`: installation seats differ from the subscription quantity. At stake: MRR scaled by
  the seat difference (positive: seats used but not billed).

An installation is tied to a subscription by its `stripe_subscription_id`; without one, by the same
account and app.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from statistics import median

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, select

from dashboard.accounts.links import account_link
from dashboard.billing.revenue.fx import fx_rates
from dashboard.billing.revenue.statuses import is_paying
from dashboard.presentation.columns import Column, Columns, Kind
from models import Account, App, Installation, StripePrice, StripeSubscription, StripeSubscriptionItem

LIVE_STATUSES = frozenset({"active", "past_due", "trialing", "unpaid", "incomplete"})
UNPAID_STATUSES = frozenset({"past_due", "unpaid", "incomplete"})
# Short labels (they also appear in shared links) and what each category means.
CATEGORIES = {
    "leakage": "Revenue leakage",
    "unpaid": "Unpaid or incomplete",
    "paying_for_nothing": "Paying for nothing",
    "no_installation": "No installation",
    "seat_mismatch": "Seat mismatch",
}
DESCRIPTIONS = {
    "leakage": "Enabled in Zendesk, nobody billed",
    "unpaid": "Zendesk or Stripe says the subscription is unpaid or incomplete",
    "paying_for_nothing": "Billed for an app that is disabled or uninstalled (churn risk, refund candidate)",
    "no_installation": "Billed, but the app is not installed in that account",
    "seat_mismatch": "Seats in Zendesk differ from the billed quantity",
}


@dataclass(frozen=True)
class ReconciliationRow:
    category: str
    account_id: int | None
    company_name: str
    app_name: str
    installation_id: int | None
    installation_state: str
    seats: int | None
    subscription_id: str | None
    subscription_status: str
    quantity: int | None
    mrr_minor: int | None
    currency: str
    at_stake_minor: int | None  # reporting currency; None when no rate or nothing to estimate from
    detail: str

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]


@dataclass(frozen=True)
class _Inst:
    id: int
    account_id: int
    app_id: int
    state: str
    seats: int | None
    sub_id: str | None
    flagged_unpaid: bool


@dataclass(frozen=True)
class _Sub:
    id: str
    account_id: int | None
    app_id: int | None
    status: str
    currency: str
    mrr: int
    quantity: int | None


class _Context:
    def __init__(self, session: Session) -> None:
        self.rates = fx_rates(session)
        self.accounts = dict(session.exec(select(Account.id, Account.company_name)).all())
        self.apps = dict(session.exec(select(App.id, App.name)).all())
        self.installations = [
            _Inst(*row[:6], flagged_unpaid=bool(row[6] or row[7]))
            for row in session.exec(
                select(
                    Installation.id,
                    Installation.account_id,
                    Installation.app_id,
                    Installation.state,
                    Installation.seats,
                    Installation.stripe_subscription_id,
                    Installation.has_unpaid_subscription,
                    Installation.has_incomplete_subscription,
                )
            ).all()
        ]
        quantities = _licensed_quantities(session)
        self.subs = {
            row[0]: _Sub(*row, quantities.get(row[0]))
            for row in session.exec(
                select(
                    StripeSubscription.id,
                    StripeSubscription.account_id,
                    StripeSubscription.app_id,
                    StripeSubscription.status,
                    StripeSubscription.currency,
                    StripeSubscription.mrr,
                )
            ).all()
        }
        self.subs_by_account_app: dict[tuple[int | None, int | None], list[_Sub]] = defaultdict(list)
        for sub in self.subs.values():
            self.subs_by_account_app[(sub.account_id, sub.app_id)].append(sub)
        self.installed_pairs = {(i.account_id, i.app_id) for i in self.installations}
        self.linked_sub_ids = {i.sub_id for i in self.installations if i.sub_id}
        self.app_median = self._app_medians()

    def _app_medians(self) -> dict[int | None, int]:
        per_app: dict[int | None, list[int]] = defaultdict(list)
        for sub in self.subs.values():
            converted = self.in_reporting(sub.mrr, sub.currency)
            if is_paying(sub.status) and converted:
                per_app[sub.app_id].append(converted)
        return {app_id: int(median(values)) for app_id, values in per_app.items()}

    def in_reporting(self, amount_minor: int, currency: str) -> int | None:
        """The amount in reporting-currency minor units; None when no exchange rate is set."""
        return self.rates.to_reporting(amount_minor, currency)

    def subscription_of(self, inst: _Inst) -> _Sub | None:
        if inst.sub_id:
            return self.subs.get(inst.sub_id)
        candidates = self.subs_by_account_app.get((inst.account_id, inst.app_id), [])
        live = [sub for sub in candidates if sub.status in LIVE_STATUSES]
        return live[0] if live else None

    def last_known(self, inst: _Inst) -> _Sub | None:
        if inst.sub_id and inst.sub_id in self.subs:
            return self.subs[inst.sub_id]
        candidates = self.subs_by_account_app.get((inst.account_id, inst.app_id), [])
        return candidates[0] if candidates else None

    def row(
        self, category: str, inst: _Inst | None, sub: _Sub | None, *, at_stake: int | None, detail: str
    ) -> ReconciliationRow:
        account_id = inst.account_id if inst else (sub.account_id if sub else None)
        app_id = inst.app_id if inst else (sub.app_id if sub else None)
        return ReconciliationRow(
            category=category,
            account_id=account_id,
            company_name=self.accounts.get(account_id, ""),
            app_name=self.apps.get(app_id, ""),
            installation_id=inst.id if inst else None,
            installation_state=inst.state if inst else "",
            seats=inst.seats if inst else None,
            subscription_id=sub.id if sub else None,
            subscription_status=sub.status if sub else "",
            quantity=sub.quantity if sub else None,
            mrr_minor=sub.mrr if sub else None,
            currency=sub.currency if sub else "",
            at_stake_minor=at_stake,
            detail=detail,
        )


def _licensed_quantities(session: Session) -> dict[str, int]:
    """Billed seats per subscription: the sum of its licensed (not metered) items' quantities."""
    rows = session.exec(
        select(StripeSubscriptionItem.subscription_id, func.sum(StripeSubscriptionItem.quantity))
        .join(StripePrice, StripePrice.id == StripeSubscriptionItem.price_id, isouter=True)
        .where((StripePrice.usage_type == "licensed") | StripePrice.id.is_(None))
        .group_by(StripeSubscriptionItem.subscription_id)
    ).all()
    return {sub_id: int(total) for sub_id, total in rows}


def _installation_rows(ctx: _Context, inst: _Inst) -> list[ReconciliationRow]:
    sub = ctx.subscription_of(inst)
    rows: list[ReconciliationRow] = []
    mrr = ctx.in_reporting(sub.mrr, sub.currency) if sub else None
    billing = sub is not None and is_paying(sub.status)
    if inst.state == "enabled" and (sub is None or sub.status not in LIVE_STATUSES):
        last = ctx.last_known(inst)
        if last is not None and last.mrr:
            estimate, basis = ctx.in_reporting(last.mrr, last.currency), f"last subscription {last.id}"
        else:
            estimate, basis = ctx.app_median.get(inst.app_id), "median of the app's subscriptions"
        rows.append(ctx.row("leakage", inst, sub, at_stake=estimate, detail=f"Estimate: {basis}"))
    if inst.state != "uninstalled" and (inst.flagged_unpaid or (sub and sub.status in UNPAID_STATUSES)):
        why = (
            f"subscription is {sub.status}"
            if sub and sub.status in UNPAID_STATUSES
            else "Zendesk flags an unpaid or incomplete subscription"
        )
        rows.append(ctx.row("unpaid", inst, sub, at_stake=mrr, detail=why.capitalize()))
    if billing and inst.state in ("disabled", "uninstalled"):
        action = "cancel or refund" if inst.state == "uninstalled" else "disabling does not cancel billing"
        rows.append(
            ctx.row("paying_for_nothing", inst, sub, at_stake=mrr, detail=f"App {inst.state}; {action}")
        )
    if (
        billing
        and inst.state == "enabled"
        and inst.seats is not None
        and sub.quantity
        and inst.seats != sub.quantity
    ):
        difference = inst.seats - sub.quantity
        at_stake = None if mrr is None else round(mrr * difference / sub.quantity)
        rows.append(
            ctx.row(
                "seat_mismatch",
                inst,
                sub,
                at_stake=at_stake,
                detail=f"{inst.seats} seats installed, {sub.quantity} billed",
            )
        )
    return rows


def reconcile(session: Session) -> list[ReconciliationRow]:
    """Every discrepancy, largest revenue at stake first."""
    ctx = _Context(session)
    rows = [row for inst in ctx.installations for row in _installation_rows(ctx, inst)]
    for sub in ctx.subs.values():
        if (
            is_paying(sub.status)
            and sub.id not in ctx.linked_sub_ids
            and (sub.account_id, sub.app_id) not in ctx.installed_pairs
        ):
            rows.append(
                ctx.row(
                    "no_installation",
                    None,
                    sub,
                    at_stake=ctx.in_reporting(sub.mrr, sub.currency),
                    detail="Billed, but the app is not installed in this account",
                )
            )
    rows.sort(key=lambda r: (-(r.at_stake_minor or 0), r.category, r.company_name))
    return rows


def category_totals(rows: list[ReconciliationRow]) -> dict[str, tuple[int, int]]:
    """Per category: (rows, revenue at stake in reporting minor units)."""
    totals = {key: (0, 0) for key in CATEGORIES}
    for row in rows:
        count, amount = totals[row.category]
        totals[row.category] = (count + 1, amount + (row.at_stake_minor or 0))
    return totals


def reconciliation_columns(reporting: str) -> Columns:
    return {
        "category_label": Column("Category"),
        "company_name": Column("Company"),
        "account_link": Column("Account 360", Kind.LINK, link_text="Open"),
        "app_name": Column("App"),
        "installation_state": Column("Installation", Kind.ENUM),
        "seats": Column("Seats", Kind.COUNT),
        "subscription_id": Column("Subscription"),
        "subscription_status": Column("Status", Kind.ENUM),
        "quantity": Column("Billed seats", Kind.COUNT),
        "at_stake_minor": Column(
            "At stake / month",
            Kind.MONEY,
            currency=reporting,
            help="Blank: no exchange rate, or nothing to estimate",
        ),
        "detail": Column("Why"),
    }


@dataclass(frozen=True)
class ReconciliationScreen:
    totals: dict[str, tuple[int, int]]  # every category: (rows, at stake), whatever is shown
    rows: pd.DataFrame  # the chosen categories' rows, largest at stake first (`columns`)
    columns: Columns
    reporting: str  # the currency amounts at stake are in


def reconciliation_screen(
    rows: list[ReconciliationRow], *, reporting: str, categories: tuple[str, ...] = ()
) -> ReconciliationScreen:
    """The Reconciliation page from `reconcile`'s rows (the page caches them), showing `categories`
    (all when empty), amounts in `reporting`."""
    shown = [r for r in rows if not categories or r.category in categories]
    frame = pd.DataFrame(
        [{**asdict(r), "category_label": r.category_label} for r in shown],
        columns=[*ReconciliationRow.__dataclass_fields__, "category_label"],
    )
    frame["account_link"] = frame["account_id"].map(account_link)
    return ReconciliationScreen(
        totals=category_totals(rows),
        rows=frame,
        columns=reconciliation_columns(reporting),
        reporting=reporting,
    )
