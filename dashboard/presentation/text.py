"""Every value as the console writes it: money, percentages, counts, durations, dates, times, words.

Missing values are "—" everywhere. Money goes through `dashboard.core.money.format_money` (the currency's
own symbol and minor digits, thousands separators, a leading minus, never truncated).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

from dashboard.core.money import format_money

MISSING = "—"

# Words that are written in capitals (or a fixed form) when a machine name becomes a label.
_FIXED_WORDS = {
    "id": "ID",
    "ids": "IDs",
    "gdpr": "GDPR",
    "uk": "UK",
    "ccpa": "CCPA",
    "cpra": "CPRA",
    "lgpd": "LGPD",
    "pipeda": "PIPEDA",
    "mrr": "MRR",
    "arr": "ARR",
    "nrr": "NRR",
    "grr": "GRR",
    "arpa": "ARPA",
    "ltv": "LTV",
    "dau": "DAU",
    "wau": "WAU",
    "mau": "MAU",
    "fx": "FX",
    "csv": "CSV",
    "zip": "ZIP",
    "url": "URL",
    "ip": "IP",
    "api": "API",
    "utc": "UTC",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "last4": "last 4",
    "oidc": "OIDC",
    "sso": "SSO",
}


def words(value: object) -> str:
    """A machine name as words: "past_due" → "Past due", "uk_gdpr" → "UK GDPR", "card_last4" →
    "Card last 4", "customer_churn_rate" → "Customer churn rate". Enums use their value."""
    if value is None:
        return MISSING
    raw = value.value if isinstance(value, Enum) else value
    parts = [part for part in str(raw).replace("-", "_").split("_") if part]
    if not parts:
        return MISSING
    shown = [_FIXED_WORDS.get(part.lower(), part.lower()) for part in parts]
    first = shown[0]
    shown[0] = first if first != first.lower() else first[:1].upper() + first[1:]
    return " ".join(shown)


def money(amount_minor: int | None, currency: str | None) -> str:
    if amount_minor is None or not currency:
        return MISSING
    return format_money(int(amount_minor), currency)


def signed_money(amount_minor: int | None, currency: str | None) -> str:
    """Money with an explicit sign, for changes: "+$50.00", "-$12.00", "$0.00"."""
    if amount_minor is None or not currency:
        return MISSING
    text = format_money(int(amount_minor), currency)
    return f"+{text}" if amount_minor > 0 else text


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def percent(ratio: float | Decimal | None, *, digits: int = 1) -> str:
    """A ratio as a percentage: 0.1234 → "12.3%"."""
    if _is_missing(ratio):
        return MISSING
    return f"{float(ratio) * 100:,.{digits}f}%"


def signed_percent(ratio: float | Decimal | None, *, digits: int = 1) -> str:
    if _is_missing(ratio):
        return MISSING
    text = percent(ratio, digits=digits)
    return f"+{text}" if float(ratio) > 0 else text


def count(value: int | float | None) -> str:
    """A whole count with thousands separators: 12345 → "12,345"."""
    if _is_missing(value):
        return MISSING
    return f"{round(value):,}"


def ratio(value: float | Decimal | None, *, digits: int = 2) -> str:
    """A plain ratio such as a quick ratio: 2.5 → "2.50"."""
    if _is_missing(value):
        return MISSING
    return f"{float(value):,.{digits}f}"


def duration(value: timedelta | float | None) -> str:
    """A duration in its two largest units: "3 d 4 h", "2 h 5 min", "4 min 10 s", "45 s"."""
    if _is_missing(value):
        return MISSING
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    units = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    first = next((i for i, (amount, _) in enumerate(units) if amount), len(units) - 1)
    shown = [f"{amount} {unit}" for amount, unit in units[first : first + 2] if amount]
    return sign + " ".join(shown or ["0 s"])


def day(value: date | datetime | None) -> str:
    """A calendar date, ISO style: "2026-12-01"."""
    if value is None:
        return MISSING
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def moment(value: datetime | None, zone: str) -> str:
    """A stored (UTC) instant in the viewer's zone: "2026-12-01 18:30 (Europe/Berlin)" style without
    the zone name, which the page states once: "2026-12-01 18:30"."""
    if value is None:
        return MISSING
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def month(value: date | None) -> str:
    """A month as "Nov 2026"."""
    if value is None:
        return MISSING
    return value.strftime("%b %Y")


def text(value: object) -> str:
    """Any free text, with missing shown as "—"."""
    if _is_missing(value) or value == "":
        return MISSING
    return str(value)
