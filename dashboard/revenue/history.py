"""MRR history from the change log: each account's MRR at any day, converted with a chosen set of rates.

An account is the console account a subscription's customer is linked to, or the Stripe customer
itself while unlinked, so unlinked revenue is still counted. Values are kept in each subscription's own
currency; callers convert a day's values with the rates of the month being reported
(`dashboard.revenue.fx.RateBook.for_month`), so a closed month never moves when today's rate does.

Segments (`dashboard.revenue.segments`) are attributes of a subscription (app, plan, interval,
currency) or of its account (country, owner); `MrrHistory.subset` keeps the subscriptions of one
segment, sharing the loaded lists.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from dashboard.revenue.fx import Rates, to_reporting
from models import MrrChange


@dataclass
class MrrHistory:
    """Per subscription: change days (sorted) and MRR from that day in minor units of its currency."""

    days: dict[str, list[date]] = field(default_factory=dict)
    values: dict[str, list[int]] = field(default_factory=dict)
    currency_of: dict[str, str] = field(default_factory=dict)
    account_of: dict[str, str] = field(default_factory=dict)
    # per day: Counter of (account, currency, native MRR) -> subscriptions, shared by every rate set
    _native: dict[date, Counter] = field(default_factory=dict, init=False, repr=False)
    _converted: dict[tuple[date, int], dict[str, int]] = field(default_factory=dict, init=False, repr=False)
    _rates_keep: list = field(default_factory=list, init=False, repr=False)

    def subscription_mrr_on(self, subscription_id: str, day: date) -> int:
        """Native MRR (the subscription's currency) at the end of `day`."""
        position = bisect_right(self.days[subscription_id], day)
        return self.values[subscription_id][position - 1] if position else 0

    def native_on(self, day: date) -> Counter:
        if day not in self._native:
            counts: Counter = Counter()
            for sub_id, account in self.account_of.items():
                counts[(account, self.currency_of[sub_id], self.subscription_mrr_on(sub_id, day))] += 1
            self._native[day] = counts
        return self._native[day]

    def currencies_on(self, day: date) -> set[str]:
        """Currencies with MRR above zero at the end of `day`."""
        return {currency for (_, currency, value) in self.native_on(day) if value}

    def account_mrr_on(self, day: date, rates: Rates) -> dict[str, int]:
        """MRR per account at the end of `day` in the reporting currency, each subscription converted
        on its own with `rates` (accounts with 0 included when they ever had a change).

        Raises MissingFxRate when a currency with MRR above zero has no rate in `rates`.
        Callers must not change the returned dict: it is kept for the next call with the same day/rates.
        """
        key = (day, id(rates))
        if key not in self._converted:
            self._rates_keep.append(rates)  # the id stays unique while the rates object is alive
            totals: dict[str, int] = {}
            converted: dict[tuple[int, str], int] = {}  # one conversion per distinct amount
            reporting = rates.reporting
            for (account, currency, value), count in self.native_on(day).items():
                if value and currency != reporting:
                    pair = (value, currency)
                    amount = converted.get(pair)
                    if amount is None:
                        amount = converted[pair] = to_reporting(value, currency, rates)
                else:
                    amount = value
                totals[account] = totals.get(account, 0) + amount * count
            self._converted[key] = totals
        return self._converted[key]

    def first_paying_day(self) -> dict[str, date]:
        """The first day each account had MRR above zero."""
        first: dict[str, date] = {}
        for sub_id, account in self.account_of.items():
            for day, value in zip(self.days[sub_id], self.values[sub_id], strict=True):
                if value > 0:
                    if account not in first or day < first[account]:
                        first[account] = day
                    break
        return first

    def subset(self, subscription_ids: set[str] | list[str]) -> MrrHistory:
        """The history of some subscriptions only (lists shared, caches fresh)."""
        keep = [s for s in subscription_ids if s in self.account_of]
        return MrrHistory(
            days={s: self.days[s] for s in keep},
            values={s: self.values[s] for s in keep},
            currency_of={s: self.currency_of[s] for s in keep},
            account_of={s: self.account_of[s] for s in keep},
        )


def account_key(account_id: int | None, customer_id: str) -> str:
    return f"account:{account_id}" if account_id is not None else f"customer:{customer_id}"


def load_history(session: Session) -> MrrHistory:
    history = MrrHistory()
    rows = session.exec(
        select(
            MrrChange.subscription_id,
            MrrChange.account_id,
            MrrChange.customer_id,
            MrrChange.effective_on,
            MrrChange.mrr,
            MrrChange.currency,
        ).order_by(MrrChange.subscription_id, MrrChange.effective_on, MrrChange.id)
    )
    for sub_id, account_id, customer_id, day, mrr, currency in rows:
        days = history.days.setdefault(sub_id, [])
        values = history.values.setdefault(sub_id, [])
        if days and days[-1] == day:  # several changes on one day: the last one holds
            values[-1] = mrr
        else:
            days.append(day)
            values.append(mrr)
        history.currency_of[sub_id] = currency.lower()
        history.account_of[sub_id] = account_key(account_id, customer_id)
    return history
