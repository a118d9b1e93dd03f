"""Filters kept in the address with machine values (`?status=past_due`) while the widget shows words.

Streamlit's `bind="query-params"` puts the *shown* text into the URL: a bound multiselect's serializer
returns `format_func(value)` (`MultiSelectSerde.serialize`, streamlit/elements/widgets/multiselect.py)
and the browser writes the options it displays (`proto.options` are the formatted options). So a
`format_func` on a bound widget turns `?status=past_due` into `?status=Past+due`. These widgets are not
bound: they start from the URL, show `labels[value]` and write the values back.

`url_values`/`url_value` read a filter before its widget is drawn (a screen that also returns the
widget's choices is computed first).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

T = TypeVar("T")


def _written(key: str) -> str:
    return f"_url_filter:{key}"


def _chosen(key: str) -> list[Any]:
    """The filter's values: the widget's while the URL still says what the widget last wrote, else the
    URL's (a link opened in this session); back on the page with no parameter, the last choice (as a
    bound widget keeps its value across pages)."""
    address = st.query_params.get_all(key)
    written = st.session_state.get(_written(key))
    if key in st.session_state and written == address:
        value = st.session_state[key]
        return list(value) if isinstance(value, list) else [value]
    return address or written or []


def url_values(key: str, parse: Callable[[Any], T] = str) -> list[T]:
    """The values of a multi-choice filter; `parse` turns the URL's text into a value (and keeps a value
    as it is, as `int` and `str` do). Text it refuses (a hand-edited address) is left out."""
    values = []
    for value in _chosen(key):
        try:
            values.append(parse(value))
        except ValueError:
            continue
    return values


def url_value(key: str, default: str | None) -> str | None:
    """The value of a single-choice filter (`default` when there is none)."""
    chosen = _chosen(key)
    return chosen[0] if chosen else default


def _write(key: str, values: list[str]) -> None:
    if st.query_params.get_all(key) != values:
        if values:
            st.query_params[key] = values
        else:
            del st.query_params[key]
    st.session_state[_written(key)] = values


def url_multiselect(
    where: DeltaGenerator,
    label: str,
    labels: Mapping[T, str],
    *,
    key: str,
    parse: Callable[[Any], T] = str,
    **widget: Any,
) -> list[T]:
    """A multiselect of `labels`' keys showing its values; the URL keeps the keys (none: no parameter)."""
    st.session_state[key] = [value for value in url_values(key, parse) if value in labels]
    chosen = where.multiselect(label, list(labels), format_func=labels.__getitem__, key=key, **widget)
    _write(key, [str(value) for value in chosen])
    return chosen


def url_selectbox(
    where: DeltaGenerator,
    label: str,
    labels: Mapping[str, str],
    *,
    key: str,
    default: str | None,
    **widget: Any,
) -> str | None:
    """A selectbox of `labels`' keys showing its values; the URL keeps the key (`default`: no parameter;
    None: nothing chosen, the widget's placeholder shows)."""
    value = url_value(key, default)
    st.session_state[key] = value if value in labels else default
    if default is None:
        widget["index"] = None
    chosen = where.selectbox(label, list(labels), format_func=labels.__getitem__, key=key, **widget)
    _write(key, [] if chosen == default else [chosen])
    return chosen
