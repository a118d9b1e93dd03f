"""Cached loaders in groups: a write clears exactly the caches of what it changed.

A page declares its loader with `@cached(Group.STRIPE, ttl=300)` (a loader only opens a session and calls a
domain screen or query function); a Stripe sync or a correction calls `clear_group(Group.STRIPE)`. A loader
belongs to every group whose writes change what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import streamlit as st


class Group(StrEnum):
    STRIPE = "stripe"  # Stripe mirror, exchange rates, corrections
    INSTALLATIONS = "installations"  # Zendesk sync, marketplace import
    PRIVACY = "privacy"  # privacy requests


# group -> {(file, qualified name): loader}. A page script defines its loaders again on every run; keyed
# by where the function is written, the latest definition replaces the earlier one (Streamlit keys the
# cache itself the same way, so any definition clears the one cache).
_LOADERS: dict[Group, dict[tuple[str, str], Any]] = {group: {} for group in Group}


def cached(
    *groups: Group,
    ttl: int,
    show_spinner: bool | str = False,
    resource: bool = False,
    max_entries: int | None = None,
) -> Callable[[Callable[..., Any]], Any]:
    """st.cache_data (or, with `resource`, st.cache_resource: shared read-only, never pickled) that
    `clear_group` empties for each of `groups`."""

    def wrap(function: Callable[..., Any]) -> Any:
        cache = st.cache_resource if resource else st.cache_data
        loader = cache(ttl=ttl, show_spinner=show_spinner, max_entries=max_entries)(function)
        where = (function.__code__.co_filename, function.__qualname__)
        for group in groups:
            _LOADERS[group][where] = loader
        return loader

    return wrap


def clear_group(group: Group) -> None:
    """Empty every cache in `group` (after a write that changes what they return)."""
    for loader in _LOADERS[group].values():
        loader.clear()
