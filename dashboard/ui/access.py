"""Who is signed in, and the per-page role check every page starts with."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from dashboard.access import auth
from dashboard.access.identity import Actor, role_label
from dashboard.access.navigation import PageSpec, can_open, page
from dashboard.ui.store import db_session

ACTOR_KEY = "actor"
# The actor the shell (streamlit_app.py) re-read from the store at the start of this run; the page's
# require_page takes it instead of reading the users table a second time. Every full run passes the
# shell first, which sets or clears it; a page run alone (AppTest) never finds it and reads the store.
VERIFIED_KEY = "actor_verified_this_run"


def current_actor() -> Actor | None:
    actor = st.session_state.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else None


def set_actor(actor: Actor | None) -> None:
    if actor is None:
        st.session_state.pop(ACTOR_KEY, None)
    else:
        st.session_state[ACTOR_KEY] = actor


def set_verified_actor(actor: Actor | None) -> None:
    """The shell's answer for this run, read from the store just now (None: nobody is signed in)."""
    set_actor(actor)
    if actor is None:
        st.session_state.pop(VERIFIED_KEY, None)
    else:
        st.session_state[VERIFIED_KEY] = actor


def _stored_actor() -> Actor | None:
    """The session's actor as the users table has them now (None once deactivated or removed)."""
    cached = current_actor()
    if cached is None:
        return None
    if st.session_state.pop(VERIFIED_KEY, None) is cached:
        return cached
    with db_session() as session:
        fresh = auth.refresh_actor(session, cached)
    set_actor(fresh)
    return fresh


def show_refusal(actor: Actor, spec: PageSpec) -> None:
    """The refusal, and nothing else: the address's parameters are dropped so no other page reads them."""
    st.query_params.clear()
    st.error(f"Your role ({role_label(actor.role)}) cannot open “{spec.title}”.")


def refusal_page(actor: Actor, spec: PageSpec) -> Callable[[], None]:
    """What the navigation registers at a page's address for a role that may not open it."""
    return partial(show_refusal, actor, spec)


def require_page(key: str) -> Actor:
    """Stop the script unless the signed-in user, re-read from the store, may open page `key`."""
    actor = _stored_actor()
    if actor is None:
        st.warning("Please sign in.")
        st.stop()
    if not can_open(actor.role, key):
        show_refusal(actor, page(key))
        st.stop()
    return actor
