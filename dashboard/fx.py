"""Amounts in the reporting currency, with the stored exchange rates (FxRate)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from dashboard.money import convert
from dashboard.settings import get_settings
from models import FxRate


@dataclass(frozen=True)
class Rates:
    """How many units of `reporting` one unit of each currency is worth."""

    reporting: str
    per_currency: dict[str, Decimal]

    def to_reporting(self, amount_minor: int, currency: str) -> int | None:
        """`amount_minor` of `currency` in minor units of the reporting currency; None without a rate."""
        currency = currency.lower()
        if currency == self.reporting:
            return amount_minor
        rate = self.per_currency.get(currency)
        return None if rate is None else convert(amount_minor, currency, rate, self.reporting)


def load_rates(session: Session) -> Rates:
    reporting = get_settings().reporting_currency.lower()
    rows = session.exec(select(FxRate.currency, FxRate.rate)).all()
    return Rates(reporting, {currency.lower(): Decimal(rate) for currency, rate in rows})
