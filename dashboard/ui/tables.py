"""Tables and their CSV downloads: `show_table` draws any screen's rows with its `Columns` spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.core.csv_export import frame_to_csv
from dashboard.core.money import exponent, symbol
from dashboard.presentation import text
from dashboard.presentation.columns import Column, Columns, Kind, csv_frame, display_text
from dashboard.presentation.text import MISSING, money
from dashboard.ui.timezones import viewer_timezone


def csv_download(
    frame: pd.DataFrame | Callable[[], pd.DataFrame], *, file_name: str, key: str, label: str = "Download CSV"
) -> None:
    """A CSV download button. Pass a function to build the frame only when the button is clicked
    (it then runs outside the script run: it must not touch `st.session_state`)."""
    data = (lambda: frame_to_csv(frame())) if callable(frame) else frame_to_csv(frame)
    st.download_button(
        label,
        data=data,
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def _money_format(currency: str) -> str:
    digits = exponent(currency)
    number = f"%,.{digits}f" if digits else "%,d"
    sign = symbol(currency)
    return f"{sign}{number}" if sign else f"{number} {currency.upper()}"


_AS_TEXT = {
    Kind.MONEY: lambda v, column, zone: money(int(v), column.currency),
    Kind.COUNT: lambda v, column, zone: text.count(v),
    Kind.NUMBER: lambda v, column, zone: text.ratio(v),
    Kind.PERCENT: lambda v, column, zone: text.percent(v),
    Kind.DATE: lambda v, column, zone: text.day(v),
    Kind.DATETIME: lambda v, column, zone: text.moment(pd.Timestamp(v).to_pydatetime(), zone),
}


def _with_gaps_as_text(values: pd.Series, column: Column, zone: str) -> tuple[pd.Series, Any]:
    """A typed column with missing cells, as text: Streamlit would write "None" in the gaps."""
    formatted = _AS_TEXT[column.kind]
    shown = values.map(lambda v: MISSING if v is None or pd.isna(v) else formatted(v, column, zone))
    return shown, st.column_config.TextColumn(label=column.label, help=column.help)


def _needs_text(values: pd.Series, kind: Kind) -> bool:
    """Gaps must read "—", and Streamlit's number format would write a negative amount "$-73.44"
    where the console writes "-$73.44": such columns are drawn as text."""
    if values.isna().any():
        return True
    return kind is Kind.MONEY and bool(pd.to_numeric(values, errors="coerce").lt(0).any())


def _display_column(frame: pd.DataFrame, name: str, column: Column, zone: str) -> tuple[pd.Series, Any]:
    """The column's shown values and its Streamlit column config."""
    values = frame[name]
    kind = column.kind
    common = {"label": column.label, "help": column.help}
    if kind in _AS_TEXT and (kind is not Kind.MONEY or column.currency) and _needs_text(values, kind):
        return _with_gaps_as_text(values, column, zone)
    if kind is Kind.MONEY and column.currency:
        digits = exponent(column.currency)
        shown = values.map(lambda v: None if pd.isna(v) else int(v) / 10**digits)  # display only
        return shown, st.column_config.NumberColumn(format=_money_format(column.currency), **common)
    if kind is Kind.MONEY:
        currencies = frame[column.currency_column] if column.currency_column else [None] * len(frame)
        shown = [money(None if pd.isna(v) else int(v), c) for v, c in zip(values, currencies, strict=True)]
        return pd.Series(shown, index=frame.index), st.column_config.TextColumn(**common)
    if kind is Kind.COUNT:
        return values, st.column_config.NumberColumn(format="%,d", **common)
    if kind is Kind.NUMBER:
        return values, st.column_config.NumberColumn(format="%,.2f", **common)
    if kind is Kind.PERCENT:
        return values.map(lambda v: None if pd.isna(v) else float(v) * 100), st.column_config.NumberColumn(
            format="%.1f%%", **common
        )
    if kind is Kind.DATE:
        return values, st.column_config.DateColumn(format="YYYY-MM-DD", **common)
    if kind is Kind.DATETIME:
        shown = pd.to_datetime(values, utc=True).dt.tz_convert(zone)
        return shown, st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", **common)
    if kind is Kind.LINK:  # no address: an empty cell (Streamlit would write "None"; "—" would be a link)
        shown = values.map(lambda v: "" if v is None or pd.isna(v) else v)
        return shown, st.column_config.LinkColumn(display_text=column.link_text, **common)
    if kind is Kind.BOOL:
        return values, st.column_config.CheckboxColumn(**common)
    return values.map(lambda v: display_text(v, column)), st.column_config.TextColumn(**common)


def table_frame(frame: pd.DataFrame, columns: Columns) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frame as shown (only the spec's columns, in its order) and its column configs."""
    zone = viewer_timezone()
    shown = pd.DataFrame(index=frame.index)
    config: dict[str, Any] = {}
    for name, column in columns.items():
        if name in frame:
            shown[name], config[name] = _display_column(frame, name, column, zone)
    return shown, config


def show_table(
    frame: pd.DataFrame,
    columns: Columns,
    *,
    key: str,
    file_name: str | None = None,
    empty: str = "Nothing to show.",
    **dataframe_options: Any,
) -> Any:
    """Draw `frame` with human labels and column types, and a CSV download of the same rows (unless
    `file_name` is None). Returns what `st.dataframe` returns (the selection, with `on_select`)."""
    if frame.empty:
        st.caption(empty)
        return None
    shown, config = table_frame(frame, columns)
    event = st.dataframe(shown, column_config=config, hide_index=True, key=key, **dataframe_options)
    if file_name:
        # Built when clicked: written out on every run, the CSVs were a tenth of the Usage page's run.
        csv_download(lambda: csv_frame(frame, columns), file_name=file_name, key=f"{key}_csv")
    return event
