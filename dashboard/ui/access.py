"""Who is signed in, and the per-page role check every page starts with."""

from __future__ import annotations

import streamlit as st

from dashboard.identity import Actor, role_label
from dashboard.navigation import can_open, page

ACTOR_KEY = "actor"


def current_actor() -> Actor | None:
    actor = st.session_state.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else None


def set_actor(actor: Actor | None) -> None:
    if actor is None:
        st.session_state.pop(ACTOR_KEY, None)
    else:
        st.session_state[ACTOR_KEY] = actor


def require_page(key: str) -> Actor:
    """Stop the script unless the signed-in user's role may open page `key`."""
    actor = current_actor()
    if actor is None:
        st.warning("Please sign in.")
        st.stop()
    if not can_open(actor.role, key):
        st.error(f"Your role ({role_label(actor.role)}) cannot open “{page(key).title}”.")
        st.stop()
    return actor
