"""The browser half of local sessions: the `console_session` cookie that holds only a random token.

Python cannot set a cookie in Streamlit, so a one-line script does it (`st.html` is not iframed, so
`document.cookie` is the app's own origin). Streamlit reads cookies once, when the tab connects: a
cookie set now is seen by the next tab or reload, and this tab keeps its token in session_state.
"""

from __future__ import annotations

import json

import streamlit as st

from dashboard.access.sessions import COOKIE_NAME, lifetime_seconds

TOKEN_KEY = "session_token"
COOKIE_READ_KEY = "session_cookie_read"
PENDING_KEY = "session_cookie_pending"  # the cookie value to write on this run; "" expires it


def session_token() -> str | None:
    """This tab's session token: from session_state, else (once per tab) from the browser's cookie."""
    if TOKEN_KEY not in st.session_state and not st.session_state.get(COOKIE_READ_KEY):
        st.session_state[COOKIE_READ_KEY] = True
        cookie = st.context.cookies.get(COOKIE_NAME)
        if isinstance(cookie, str) and cookie:  # AppTest's stand-in client has no real cookies
            st.session_state[TOKEN_KEY] = cookie
    return st.session_state.get(TOKEN_KEY)


def remember(token: str) -> None:
    st.session_state[TOKEN_KEY] = token
    st.session_state[PENDING_KEY] = token


def forget() -> None:
    st.session_state.pop(TOKEN_KEY, None)
    st.session_state[COOKIE_READ_KEY] = True
    st.session_state[PENDING_KEY] = ""


def write_pending_cookie() -> None:
    """Set or expire the cookie in the browser if sign-in or sign-out asked for it.

    The request stays pending until `cookie_written()` at the end of a complete run: a run cut short
    (a page switch or rerun) discards its elements, script included, so the next run writes it again.
    """
    value = st.session_state.get(PENDING_KEY)
    if value is None:
        return
    max_age = lifetime_seconds() if value else 0
    secure = "; Secure" if str(st.context.url or "").startswith("https:") else ""
    cookie = f"{COOKIE_NAME}={value}; Path=/; SameSite=Strict; Max-Age={max_age}{secure}"
    st.html(f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True)


def cookie_written() -> None:
    st.session_state.pop(PENDING_KEY, None)


def user_agent() -> str:
    agent = st.context.headers.get("User-Agent")
    return agent if isinstance(agent, str) else ""
