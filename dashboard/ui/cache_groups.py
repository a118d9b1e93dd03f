"""Cached loaders in groups: a write clears exactly the caches of what it changed.

A page loads a domain screen or query function through `loader(screen_function, Group.STRIPE, ttl=300)`,
which runs it in its own store session; `@cached(...)` caches what a page builds from loaded parts (its
figures, say). A Stripe sync or a correction calls `clear_group(Group.STRIPE)`. A loader belongs to every
group whose writes change what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Concatenate, ParamSpec, TypeVar

import streamlit as st
from sqlmodel import Session

from dashboard.ui.store import db_session

P = ParamSpec("P")
R = TypeVar("R")


class Group(StrEnum):
    STRIPE = "stripe"  # Stripe mirror, exchange rates, corrections
    INSTALLATIONS = "installations"  # Zendesk sync, marketplace import
    PRIVACY = "privacy"  # privacy requests


# group -> {(file, module, qualified name): loader}. A page script defines its loaders again on every run;
# keyed by what the function is, the latest definition replaces the earlier one (Streamlit keys the cache
# itself the same way, so any definition clears the one cache).
_LOADERS: dict[Group, dict[tuple[str, str, str], Any]] = {group: {} for group in Group}


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
        where = (function.__code__.co_filename, function.__module__, function.__qualname__)
        for group in groups:
            _LOADERS[group][where] = loader
        return loader

    return wrap


def loader(
    function: Callable[Concatenate[Session, P], R],
    *groups: Group,
    ttl: int,
    show_spinner: bool | str = False,
    resource: bool = False,
    max_entries: int | None = None,
) -> Callable[P, R]:
    """`function(session, ...)` run in its own store session, cached as `cached` caches it."""

    def load(*args: P.args, **kwargs: P.kwargs) -> R:
        with db_session() as session:
            return function(session, *args, **kwargs)

    # Streamlit keys a cache by module and qualified name (the source is this one wrapper's for all).
    load.__module__ = function.__module__
    load.__qualname__ = function.__qualname__
    return cached(*groups, ttl=ttl, show_spinner=show_spinner, resource=resource, max_entries=max_entries)(
        load
    )


def clear_group(group: Group) -> None:
    """Empty every cache in `group` (after a write that changes what they return)."""
    for loader in _LOADERS[group].values():
        loader.clear()
