"""MRR history from the change log: each account's MRR (reporting currency) at any day.

An account is the console account a subscription's customer is linked to, or the Stripe customer
itself while unlinked, so unlinked revenue is still counted.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from dashboard.revenue.fx import fx_rates, to_reporting
from models import MrrChange


@dataclass
class MrrHistory:
    """Per subscription: change days (sorted) and MRR from that day, already in the reporting currency."""

    days: dict[str, list[date]] = field(default_factory=dict)
    values: dict[str, list[int]] = field(default_factory=dict)
    account_of: dict[str, str] = field(default_factory=dict)
    # account_mrr_on per day, so monthly revenue and cohorts on one history sum each month end once
    _snapshots: dict[date, dict[str, int]] = field(default_factory=dict, init=False, repr=False)

    def subscription_mrr_on(self, subscription_id: str, day: date) -> int:
        position = bisect_right(self.days[subscription_id], day)
        return self.values[subscription_id][position - 1] if position else 0

    def account_mrr_on(self, day: date) -> dict[str, int]:
        """MRR per account at the end of `day` (accounts with 0 included when they ever had a change).

        Callers must not change the returned dict: it is kept for the next call with the same day.
        """
        if day not in self._snapshots:
            totals: dict[str, int] = defaultdict(int)
            for sub_id, account in self.account_of.items():
                totals[account] += self.subscription_mrr_on(sub_id, day)
            self._snapshots[day] = dict(totals)
        return self._snapshots[day]

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


def account_key(account_id: int | None, customer_id: str) -> str:
    return f"account:{account_id}" if account_id is not None else f"customer:{customer_id}"


def load_history(session: Session) -> MrrHistory:
    rates = fx_rates(session)
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
        value = to_reporting(mrr, currency, rates)
        if days and days[-1] == day:  # several changes on one day: the last one holds
            values[-1] = value
        else:
            days.append(day)
            values.append(value)
        history.account_of[sub_id] = account_key(account_id, customer_id)
    return history
