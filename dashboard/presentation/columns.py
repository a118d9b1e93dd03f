"""What a table's columns are, so every table is drawn and exported the same way.

A screen returns rows (a DataFrame with machine names and machine values: money in integer minor
units) plus a `Columns` spec; `dashboard.ui.tables.show_table` draws it with human labels and proper
column types, and `csv_frame` gives the CSV (machine-friendly values, money in major units with the
currency in the header or in a currency column).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import pandas as pd

from dashboard.core.money import exponent, to_major
from dashboard.presentation.text import MISSING, duration, words


class Kind(StrEnum):
    TEXT = "text"
    ENUM = "enum"  # machine words shown as words: "past_due" → "Past due"
    MONEY = "money"  # integer minor units
    COUNT = "count"
    NUMBER = "number"
    PERCENT = "percent"  # a ratio: 0.25 is 25%
    DATE = "date"
    DATETIME = "datetime"  # aware UTC, shown in the viewer's zone
    DURATION = "duration"  # a timedelta, shown as "3 d 4 h"; whole seconds in the CSV
    LINK = "link"
    BOOL = "bool"


@dataclass(frozen=True)
class Column:
    label: str
    kind: Kind = Kind.TEXT
    currency: str | None = None  # MONEY: one currency for the whole column
    currency_column: str | None = None  # MONEY: or the row's currency in this column
    help: str | None = None
    link_text: str | None = None  # LINK: regex or fixed text Streamlit shows instead of the URL
    labels: Mapping[str, str] | None = (
        None  # ENUM: the domain's own names ("eu_gdpr" → "EU GDPR"), else words
    )


Columns = Mapping[str, Column]


def money_label(column: Column) -> str:
    return f"{column.label} ({column.currency.upper()})" if column.currency else column.label


def _major(amount: object, currency: str | None) -> object:
    if amount is None or pd.isna(amount) or not currency:
        return None
    return to_major(int(amount), currency)


def _money_major(frame: pd.DataFrame, name: str, column: Column) -> pd.Series:
    if column.currency:
        return frame[name].map(lambda amount: _major(amount, column.currency))
    currencies = frame[column.currency_column] if column.currency_column else pd.Series([None] * len(frame))
    return pd.Series(
        [_major(amount, currency) for amount, currency in zip(frame[name], currencies, strict=True)],
        index=frame.index,
    )


def csv_frame(frame: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """The table as a CSV wants it: human headers, exact decimals for money (currency in the header or
    its own column), ISO dates and UTC times, enum values as they are stored."""
    out = pd.DataFrame(index=frame.index)
    for name, column in columns.items():
        if name not in frame:
            continue
        values = frame[name]
        if column.kind is Kind.MONEY:
            major = _money_major(frame, name, column)
            out[money_label(column)] = major.map(lambda v: format(v, "f") if isinstance(v, Decimal) else "")
        elif column.kind is Kind.DURATION:
            out[f"{column.label} (seconds)"] = values.map(
                lambda v: None if v is None or pd.isna(v) else int(pd.Timedelta(v).total_seconds())
            )
        elif column.kind is Kind.DATETIME:
            out[f"{column.label} (UTC)"] = pd.to_datetime(values, utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            out[column.label] = values
    return out.reset_index(drop=True)


def single_currency_digits(column: Column) -> int | None:
    return exponent(column.currency) if column.currency else None


def display_text(value: object, column: Column) -> object:
    """Text and enum cells as shown: words for enums, "—" for missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    if column.kind is Kind.ENUM:
        return (column.labels or {}).get(value) or words(value)
    if column.kind is Kind.DURATION:
        return duration(pd.Timedelta(value).to_pytimedelta())
    return value
