"""Exchange rates to the reporting currency (the admin-editable `fx_rates` table)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, select

from dashboard import audit
from dashboard.errors import ValidationError
from dashboard.identity import Actor
from dashboard.money import convert
from dashboard.settings import get_settings
from models import FxRate
from models.types import utcnow


class MissingFxRate(LookupError):
    def __init__(self, currency: str) -> None:
        self.message = (
            f"No exchange rate for {currency.upper()} to {reporting_currency().upper()}; "
            "an admin can add it on the Sync and settings page."
        )
        super().__init__(self.message)


def reporting_currency() -> str:
    return get_settings().reporting_currency.lower()


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


def fx_rates(session: Session) -> Rates:
    rows = session.exec(select(FxRate.currency, FxRate.rate)).all()
    return Rates(reporting_currency(), {currency.lower(): Decimal(rate) for currency, rate in rows})


def to_reporting(amount_minor: int, currency: str, rates: Rates) -> int:
    """Like `Rates.to_reporting`, but a missing rate is an error: revenue totals must not skip money."""
    value = rates.to_reporting(amount_minor, currency)
    if value is None:
        raise MissingFxRate(currency)
    return value


def list_fx_rates(session: Session) -> list[FxRate]:
    return list(session.exec(select(FxRate).order_by(FxRate.currency)))


def set_fx_rate(session: Session, actor: Actor, *, currency: str, rate: str | Decimal) -> FxRate:
    """Add or change one rate; validated before anything is written, audited with the change."""
    code = (currency or "").strip().lower()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError("Currency must be a three-letter ISO code such as EUR.", field="currency")
    if code == reporting_currency():
        raise ValidationError("The reporting currency always has rate 1.", field="currency")
    try:
        value = Decimal(str(rate).strip())
    except InvalidOperation:
        raise ValidationError("Rate must be a number such as 1.08.", field="rate") from None
    if not value.is_finite() or value <= 0 or value >= Decimal(10) ** 10:
        raise ValidationError("Rate must be a positive number.", field="rate")
    value = value.quantize(Decimal("0.00000001"))
    row = session.get(FxRate, code)
    before = str(row.rate) if row else None
    if row is None:
        row = FxRate(currency=code, rate=value)
    row.rate, row.updated_at, row.updated_by = value, utcnow(), actor.email
    session.add(row)
    audit.record(
        session,
        actor,
        "fx_rate.set",
        target_type="fx_rate",
        target_id=code,
        details={"before": before, "after": str(value)},
    )
    return row
