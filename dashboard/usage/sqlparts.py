"""SQL expressions that differ between SQLite and PostgreSQL, and UTC times as the store keeps them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

EPOCH = date(1970, 1, 1)


def utc_text(value: datetime) -> str:
    """An aware time as naive UTC text in the exact form SQLAlchemy stores on SQLite."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def time_param(dialect: str, value: datetime) -> str | datetime:
    """A bound value comparable with a stored UTC datetime column."""
    return utc_text(value) if dialect == "sqlite" else value.astimezone(UTC)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def utc_day(dialect: str, column: str) -> str:
    """The UTC calendar day of a stored datetime column."""
    return f"date({column})" if dialect == "sqlite" else f"(({column}) AT TIME ZONE 'UTC')::date"


def month_of(dialect: str, column: str) -> str:
    """The first day of the month of a date column."""
    if dialect == "sqlite":
        return f"strftime('%Y-%m-01', {column})"
    return f"date_trunc('month', {column})::date"


def day_number(dialect: str, column: str) -> str:
    """A date column as whole days since 1970-01-01."""
    if dialect == "sqlite":
        return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"
    return f"({column} - DATE '1970-01-01')"


def as_date(value: date | str) -> date:
    """SQLite hands computed dates back as text."""
    return value if isinstance(value, date) else date.fromisoformat(value)
