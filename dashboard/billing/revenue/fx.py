"""Exchange rates to the reporting currency, by day (the admin-editable `fx_rates` table).

Convention (docs/revenue-metrics.md): a closed month uses its **month-end rate**, the last rate dated
inside that month (ECB publishes on working days, so a month ending on a Sunday uses Friday's). The
open month and "now" use the latest rate on or before today. A closed month with no rate dated inside
it has no rate: its figures are not shown, they are never guessed from another month.
"""

from __future__ import annotations

import csv
import io
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, col, select

from dashboard.access.identity import Actor
from dashboard.core import audit
from dashboard.core.errors import ValidationError
from dashboard.core.money import convert
from dashboard.core.settings import get_settings
from models import FxRate
from models.types import utcnow

RATE_PLACES = Decimal("0.00000001")
MAX_IMPORT_ROWS = 200_000


class MissingFxRate(LookupError):
    def __init__(self, currency: str, month: date | None = None) -> None:
        self.currency = currency.lower()
        self.month = month
        when = f" for {month:%B %Y}" if month else ""
        self.message = (
            f"No exchange rate for {currency.upper()} to {reporting_currency().upper()}{when}; "
            "an admin can add or import it on the Sync and settings page."
        )
        super().__init__(self.message)


def reporting_currency() -> str:
    return get_settings().reporting_currency.lower()


@dataclass(frozen=True)
class Rates:
    """How many units of `reporting` one unit of each currency is worth (one set: a day or a month)."""

    reporting: str
    per_currency: dict[str, Decimal]
    month: date | None = None  # the month these rates are for, when they are a month's
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def to_reporting(self, amount_minor: int, currency: str) -> int | None:
        """`amount_minor` of `currency` in minor units of the reporting currency; None without a rate."""
        currency = currency.lower()
        if currency == self.reporting or amount_minor == 0:
            return amount_minor
        key = (amount_minor, currency)
        if key not in self._cache:
            rate = self.per_currency.get(currency)
            self._cache[key] = None if rate is None else convert(amount_minor, currency, rate, self.reporting)
        return self._cache[key]


@dataclass(frozen=True)
class RateBook:
    """Every stored rate, per currency sorted by day; answers "the rate for this month / day"."""

    reporting: str
    days: dict[str, list[date]]
    rates: dict[str, list[Decimal]]

    def on(self, day: date) -> Rates:
        """The latest rate on or before `day` for each currency."""
        found = {}
        for currency, days in self.days.items():
            position = bisect_right(days, day)
            if position:
                found[currency] = self.rates[currency][position - 1]
        return Rates(self.reporting, found)

    def for_month(self, month: date, *, today: date) -> Rates:
        """Month-end rates for a closed month; the latest rate on or before today for the open one."""
        first = month.replace(day=1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if last >= today:
            return Rates(self.reporting, self.on(today).per_currency, month=first)
        found = {}
        for currency, days in self.days.items():
            position = bisect_right(days, last)
            if position and days[position - 1] >= first:
                found[currency] = self.rates[currency][position - 1]
        return Rates(self.reporting, found, month=first)


def rate_book(session: Session) -> RateBook:
    days: dict[str, list[date]] = {}
    rates: dict[str, list[Decimal]] = {}
    query = select(FxRate.currency, FxRate.day, FxRate.rate).order_by(FxRate.currency, FxRate.day)
    rows = session.exec(query)
    for currency, day, rate in rows:
        days.setdefault(currency.lower(), []).append(day)
        rates.setdefault(currency.lower(), []).append(Decimal(rate))
    return RateBook(reporting_currency(), days, rates)


def fx_rates(session: Session, *, on: date | None = None) -> Rates:
    """The rates in force on `on` (default today): the latest rate on or before it per currency."""
    return rate_book(session).on(on or utcnow().date())


def to_reporting(amount_minor: int, currency: str, rates: Rates) -> int:
    """Like `Rates.to_reporting`, but a missing rate is an error: revenue totals must not skip money."""
    value = rates.to_reporting(amount_minor, currency)
    if value is None:
        raise MissingFxRate(currency, rates.month)
    return value


def list_fx_rates(session: Session, *, limit: int = 500) -> list[FxRate]:
    """The newest rates first."""
    query = select(FxRate).order_by(col(FxRate.day).desc(), FxRate.currency).limit(limit)
    return list(session.exec(query))


def _currency(code: str | None, *, field_name: str = "currency") -> str:
    value = (code or "").strip().lower()
    if len(value) != 3 or not value.isalpha():
        raise ValidationError("Currency must be a three-letter ISO code such as EUR.", field=field_name)
    return value


def _rate(text: str | Decimal, *, field_name: str = "rate") -> Decimal:
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValidationError("Rate must be a number such as 1.08.", field=field_name) from None
    if not value.is_finite() or value <= 0 or value >= Decimal(10) ** 10:
        raise ValidationError("Rate must be a positive number.", field=field_name)
    return value.quantize(RATE_PLACES)


def _upsert(session: Session, actor: Actor, code: str, day: date, value: Decimal, source: str) -> str | None:
    row = session.get(FxRate, (code, day))
    before = str(row.rate) if row else None
    if row is None:
        row = FxRate(currency=code, day=day, rate=value)
    row.rate, row.source, row.updated_at, row.updated_by = value, source, utcnow(), actor.email
    session.add(row)
    return before


def set_fx_rate(
    session: Session,
    actor: Actor,
    *,
    currency: str,
    rate: str | Decimal,
    day: date | None = None,
    today: date | None = None,
) -> FxRate:
    """Add or change one day's rate (today's without `day`); validated first, audited with the change."""
    code = _currency(currency)
    if code == reporting_currency():
        raise ValidationError("The reporting currency always has rate 1.", field="currency")
    value = _rate(rate)
    today = today or utcnow().date()
    day = day or today
    if day > today:
        raise ValidationError("A rate cannot be dated in the future.", field="day")
    before = _upsert(session, actor, code, day, value, "manual")
    audit.record(
        session,
        actor,
        "fx_rate.set",
        target_type="fx_rate",
        target_id=f"{code}:{day.isoformat()}",
        details={"before": before, "after": str(value), "day": day.isoformat()},
    )
    return session.get(FxRate, (code, day))


@dataclass(frozen=True)
class FxImport:
    rows: int  # (currency, day) rates written
    days: int
    currencies: list[str]
    first_day: date | None
    last_day: date | None
    skipped: int  # "N/A" cells and currencies not convertible to the reporting currency


def _parse_day(text: str, line: int) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"Line {line}: '{text}' is not a date (YYYY-MM-DD).", field="file") from None


def parse_rates_csv(text: str, *, reporting: str) -> tuple[dict[tuple[str, date], Decimal], int]:
    """Rates from a CSV, as {(currency, day): units of `reporting` per unit}. Two layouts:

    - the ECB reference-rate file (`eurofxref-hist.csv`): `Date,USD,JPY,GBP,...`, one row per day,
      each cell the units of that currency per 1 EUR ("N/A" where none). Cross rates to the reporting
      currency are derived: rate(C) = cell(reporting) / cell(C); EUR itself is cell(reporting).
    - a plain file: `date,currency,rate`, rate = units of the reporting currency per unit.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValidationError("The file is empty.", field="file") from None
    while header and header[-1] == "":  # the ECB file ends each line with a comma
        header.pop()
    names = [h.lower() for h in header]
    found: dict[tuple[str, date], Decimal] = {}
    skipped = 0
    if names[:3] == ["date", "currency", "rate"]:
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < 3:
                raise ValidationError(f"Line {line}: expected date, currency, rate.", field="file")
            code = _currency(row[1], field_name="file")
            if code == reporting:
                skipped += 1
                continue
            try:
                found[(code, _parse_day(row[0], line))] = _rate(row[2], field_name="file")
            except ValidationError as error:
                raise ValidationError(f"Line {line}: {error.message}", field="file") from None
            if len(found) > MAX_IMPORT_ROWS:
                raise ValidationError(f"More than {MAX_IMPORT_ROWS:,} rates in one file.", field="file")
        return found, skipped
    if not names or names[0] != "date" or len(names) < 2:
        raise ValidationError(
            "Expected the ECB layout (Date,USD,JPY,...) or date,currency,rate as the first line.",
            field="file",
        )
    currencies = [_currency(n, field_name="file") for n in names[1:]]
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        day = _parse_day(row[0], line)
        per_eur: dict[str, Decimal] = {"eur": Decimal(1)}
        for code, cell in zip(currencies, row[1:], strict=False):
            cell = cell.strip()
            if not cell or cell.upper() == "N/A":
                continue
            try:
                per_eur[code] = _rate(cell, field_name="file")
            except ValidationError as error:
                raise ValidationError(f"Line {line}, {code.upper()}: {error.message}", field="file") from None
        base = per_eur.get(reporting)
        for code, value in per_eur.items():
            if code == reporting:
                continue
            if base is None:
                skipped += 1
                continue
            found[(code, day)] = (base / value).quantize(RATE_PLACES)
        if len(found) > MAX_IMPORT_ROWS:
            raise ValidationError(f"More than {MAX_IMPORT_ROWS:,} rates in one file.", field="file")
    return found, skipped


def import_fx_csv(
    session: Session, actor: Actor, *, text: str, today: date, currencies: set[str] | None = None
) -> FxImport:
    """Import rates from a CSV (see `parse_rates_csv`): the whole file is checked before anything is
    written; existing (currency, day) rates are replaced; one audit row for the import.

    `currencies`: keep only these (e.g. the currencies subscriptions are billed in); None keeps all.
    """
    reporting = reporting_currency()
    found, skipped = parse_rates_csv(text, reporting=reporting)
    if any(day > today for _, day in found):
        raise ValidationError("The file has rates dated in the future.", field="file")
    if currencies is not None:
        kept = {key: value for key, value in found.items() if key[0] in currencies}
        skipped += len(found) - len(kept)
        found = kept
    if not found:
        raise ValidationError("No usable rates in the file.", field="file")
    existing = {
        (c, d): row
        for row in session.exec(select(FxRate).where(col(FxRate.currency).in_({c for c, _ in found})))
        for c, d in [(row.currency, row.day)]
    }
    now = utcnow()
    for (code, day), value in found.items():
        row = existing.get((code, day)) or FxRate(currency=code, day=day, rate=value)
        row.rate, row.source, row.updated_at, row.updated_by = value, "csv", now, actor.email
        session.add(row)
    days = sorted({day for _, day in found})
    result = FxImport(
        rows=len(found),
        days=len(days),
        currencies=sorted({code for code, _ in found}),
        first_day=days[0],
        last_day=days[-1],
        skipped=skipped,
    )
    audit.record(
        session,
        actor,
        "fx_rate.import",
        target_type="fx_rate",
        target_id=f"{result.first_day}..{result.last_day}",
        details={"rows": result.rows, "currencies": result.currencies, "skipped": skipped},
    )
    return result


def month_rates_status(session: Session, *, months: list[date], currencies: set[str], today: date) -> dict:
    """For the settings page: per month, the currencies without a rate."""
    book = rate_book(session)
    missing = {}
    for month in months:
        rates = book.for_month(month, today=today)
        gaps = sorted(c for c in currencies if c != book.reporting and c not in rates.per_currency)
        if gaps:
            missing[month] = gaps
    return missing
