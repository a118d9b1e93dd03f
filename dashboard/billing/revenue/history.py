"""MRR history from the change log: each account's MRR at any day, converted with a chosen set of rates.

An account is the console account a subscription's customer is linked to, or the Stripe customer
itself while unlinked, so unlinked revenue is still counted. Values are kept in each subscription's own
currency; callers convert a day's values with the rates of the month being reported
(`dashboard.billing.revenue.fx.RateBook.for_month`), so a closed month never moves when today's rate does.

The log is held as NumPy arrays (one entry per change: subscription, day, the change in MRR), so a
day's MRR per subscription is one masked sum, and a segment (`MrrHistory.subset`) is one boolean index.
Each subscription is still converted on its own and rounded once, then summed per account.

Segments (`dashboard.billing.revenue.segments`) are attributes of a subscription (app, plan, interval,
currency) or of its account (country, owner).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlmodel import Session, select

from dashboard.billing.revenue.fx import Rates, to_reporting
from models import MrrChange

NEVER = np.iinfo(np.int64).max  # first paying day of an account that never paid


@dataclass
class MrrHistory:
    """The change log by subscription (`subscriptions`, with their account and currency) and by change
    (`change_sub` the subscription's position, `change_day` as a date ordinal, `change_delta` the MRR
    change in minor units of its currency; a subscription's MRR on a day is the sum of its changes so far)."""

    subscriptions: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    sub_account: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sub_currency: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    change_sub: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    change_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    change_delta: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    change_value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # MRR from that day
    prices: list[str | None] = field(default_factory=list)
    change_price: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # position in `prices`
    _levels: dict[date, np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _converted: dict[tuple[date, int], np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _rates_keep: list = field(default_factory=list, init=False, repr=False)

    def native_on(self, day: date) -> np.ndarray:
        """Each subscription's MRR at the end of `day`, in minor units of its own currency."""
        if day not in self._levels:
            upto = self.change_day <= day.toordinal()
            sums = np.bincount(
                self.change_sub[upto], weights=self.change_delta[upto], minlength=len(self.subscriptions)
            )
            self._levels[day] = np.rint(sums).astype(np.int64)  # whole minor units, exact below 2**53
        return self._levels[day]

    def currencies_on(self, day: date) -> set[str]:
        """Currencies with MRR above zero at the end of `day`."""
        return {self.currencies[c] for c in np.unique(self.sub_currency[self.native_on(day) > 0])}

    def account_mrr_on(self, day: date, rates: Rates) -> np.ndarray:
        """MRR per account (indexed like `accounts`) at the end of `day` in the reporting currency,
        each subscription converted on its own with `rates`.

        Raises MissingFxRate when a currency with MRR above zero has no rate in `rates`.
        Callers must not change the returned array: it is kept for the next call with the same day/rates.
        """
        key = (day, id(rates))
        if key not in self._converted:
            self._rates_keep.append(rates)  # the id stays unique while the rates object is alive
            native = self.native_on(day)
            converted = native.copy()
            foreign = (native != 0) & (self.sub_currency != self._code(rates.reporting))
            pairs, where = np.unique(
                np.stack([self.sub_currency[foreign], native[foreign]]), axis=1, return_inverse=True
            )
            amounts = np.array(
                [to_reporting(int(v), self.currencies[c], rates) for c, v in pairs.T], dtype=np.int64
            )
            converted[foreign] = amounts[where.reshape(-1)] if len(amounts) else 0
            self._converted[key] = np.bincount(
                self.sub_account, weights=converted, minlength=len(self.accounts)
            ).astype(np.int64)
        return self._converted[key]

    def paying_on(self, day: date) -> np.ndarray:
        """Per account: whether any of its subscriptions has MRR above zero at the end of `day`."""
        paying = np.zeros(len(self.accounts), dtype=bool)
        paying[self.sub_account[self.native_on(day) > 0]] = True
        return paying

    def first_paying_day(self) -> np.ndarray:
        """Per account: the ordinal of the first day it had MRR above zero (`NEVER` if it never did)."""
        first = np.full(len(self.accounts), NEVER, dtype=np.int64)
        paying = self.change_value > 0
        np.minimum.at(first, self.sub_account[self.change_sub[paying]], self.change_day[paying])
        return first

    def _code(self, currency: str) -> int:
        return self.currencies.index(currency) if currency in self.currencies else -1

    def subset(self, subscription_ids: set[str] | list[str]) -> MrrHistory:
        """The history of some subscriptions only (same subscription, account and currency positions)."""
        index = {s: i for i, s in enumerate(self.subscriptions)}
        keep = np.zeros(len(self.subscriptions), dtype=bool)
        keep[[index[s] for s in subscription_ids if s in index]] = True
        changes = keep[self.change_sub]
        return MrrHistory(
            subscriptions=self.subscriptions,
            accounts=self.accounts,
            currencies=self.currencies,
            sub_account=self.sub_account,
            sub_currency=self.sub_currency,
            change_sub=self.change_sub[changes],
            change_day=self.change_day[changes],
            change_delta=self.change_delta[changes],
            change_value=self.change_value[changes],
            prices=self.prices,
            change_price=self.change_price[changes],
        )

    def during(self, changes: np.ndarray) -> MrrHistory:
        """The MRR of the changes marked in `changes` (a boolean per change) only: a subscription counts
        from a marked change until its next unmarked one, as if it were at 0 in between (revenue of a
        plan while the subscription was on that plan)."""
        values = np.where(changes, self.change_value, 0)
        return MrrHistory(
            subscriptions=self.subscriptions,
            accounts=self.accounts,
            currencies=self.currencies,
            sub_account=self.sub_account,
            sub_currency=self.sub_currency,
            change_sub=self.change_sub,
            change_day=self.change_day,
            change_delta=_deltas(self.change_sub, values),
            change_value=values,
            prices=self.prices,
            change_price=self.change_price,
        )

    def subscription_ids(self) -> list[str]:
        """The subscriptions with at least one change in this history."""
        return [self.subscriptions[i] for i in np.unique(self.change_sub)]


def account_key(account_id: int | None, customer_id: str) -> str:
    return f"account:{account_id}" if account_id is not None else f"customer:{customer_id}"


def load_history(session: Session) -> MrrHistory:
    rows = session.exec(
        select(
            MrrChange.subscription_id,
            MrrChange.account_id,
            MrrChange.customer_id,
            MrrChange.effective_on,
            MrrChange.mrr,
            MrrChange.currency,
            MrrChange.price_id,
        ).order_by(MrrChange.subscription_id, MrrChange.effective_on, MrrChange.id)
    ).all()
    history = MrrHistory()
    positions: dict[str, int] = {}
    account_positions: dict[str, int] = {}
    currency_positions: dict[str, int] = {}
    sub_account: list[int] = []
    sub_currency: list[int] = []
    change_sub: list[int] = []
    change_day: list[int] = []
    change_value: list[int] = []
    price_positions: dict[str | None, int] = {}
    change_price: list[int] = []
    for sub_id, account_id, customer_id, day, mrr, currency, price_id in rows:
        position = positions.get(sub_id)
        if position is None:
            position = positions[sub_id] = len(history.subscriptions)
            history.subscriptions.append(sub_id)
            sub_account.append(0)
            sub_currency.append(0)
        # the last row's account and currency hold, as a subscription's latest link does
        key = account_key(account_id, customer_id)
        sub_account[position] = account_positions.setdefault(key, len(account_positions))
        code = currency.lower()
        sub_currency[position] = currency_positions.setdefault(code, len(currency_positions))
        ordinal = day.toordinal()
        price = price_positions.setdefault(price_id, len(price_positions))
        if change_sub and change_sub[-1] == position and change_day[-1] == ordinal:
            change_value[-1] = mrr  # several changes on one day: the last one holds
            change_price[-1] = price
        else:
            change_sub.append(position)
            change_day.append(ordinal)
            change_value.append(mrr)
            change_price.append(price)
    history.accounts = list(account_positions)
    history.currencies = list(currency_positions)
    history.sub_account = np.array(sub_account, dtype=np.int64)
    history.sub_currency = np.array(sub_currency, dtype=np.int64)
    history.change_sub = np.array(change_sub, dtype=np.int64)
    history.change_day = np.array(change_day, dtype=np.int64)
    values = np.array(change_value, dtype=np.int64)
    history.change_delta = _deltas(history.change_sub, values)
    history.change_value = values
    history.prices = list(price_positions)
    history.change_price = np.array(change_price, dtype=np.int64)
    return history


def _deltas(change_sub: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each change's MRR minus the subscription's MRR before it (changes sorted by subscription, day)."""
    if not len(values):
        return values.copy()
    previous = np.r_[0, values[:-1]]
    first_of_sub = np.r_[True, change_sub[1:] != change_sub[:-1]]
    return values - np.where(first_of_sub, 0, previous)
