"""CSV files that are safe to open in a spreadsheet: text that would run as a formula is defused."""

from __future__ import annotations

import pandas as pd

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> object:
    """Text starting like a formula gets a leading apostrophe; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, for Excel) of `frame`, index dropped; numbers stay numbers, risky text escaped."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(escape_cell)
    return safe.to_csv(index=False).encode("utf-8-sig")
