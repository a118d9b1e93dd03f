"""Addresses that are no page land on the home page, with their parameters dropped and a short notice.

Streamlit answers an unknown address (`/nonsense?id=36`) with its "Page not found … Running the app's main
page" and runs the main page with the address's query parameters, so a mistyped or stale link could open
the main page filtered by someone else's parameters. Instead the navigation gets, for the one unknown name
the browser asked for, a hidden page at that name which drops the parameters and switches to the home page.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

NOTICE_KEY = "address_notice"


def requested_page_name() -> str:
    """The page name the browser's address asks for ("" at the root, or when a click chose the page).

    Streamlit keeps it in the script run's page intent (the frontend sends the decoded path); a page chosen
    by a click or `st.switch_page` comes as a page hash instead, and is always a registered page.
    """
    ctx = get_script_run_ctx()
    if ctx is None or ctx.pages_manager.intended_page_script_hash:
        return ""
    return ctx.pages_manager.intended_page_name or ""


def unknown_address_notice(name: str) -> str:
    return f"No page at /{name}"


def is_unknown_address(name: str, known: Iterable[str]) -> bool:
    return bool(name) and name not in set(known)


def _leave_unknown_address(name: str, home: st.Page) -> None:
    st.session_state[NOTICE_KEY] = unknown_address_notice(name)
    st.switch_page(home)  # also drops the address's query parameters


def unknown_address_pages(*, known: Iterable[str], reserved: Iterable[str], home: st.Page) -> list[st.Page]:
    """The hidden page to register for this run's address when it names no page (else none).

    `known`: every url path the navigation registers. `reserved`: names Streamlit resolves to no page but
    that cannot be registered (the default page's own url path, which Streamlit serves only at "/"); a
    name with "/" (an encoded slash) cannot be a page's path either. For those the parameters are dropped
    here and Streamlit's own notice runs the home page.
    """
    name = requested_page_name()
    reserved = set(reserved)
    if not is_unknown_address(name, set(known) - reserved):
        return []
    if name in reserved or "/" in name:
        st.query_params.clear()
        st.session_state[NOTICE_KEY] = unknown_address_notice(name)
        return []
    return [
        st.Page(
            partial(_leave_unknown_address, name, home),
            title="No such page",
            url_path=name,
            visibility="hidden",
        )
    ]


def show_address_notice() -> None:
    """Once, on the page the unknown address landed on."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice, icon=":material/link_off:")
