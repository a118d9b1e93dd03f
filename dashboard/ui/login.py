"""The sign-in screen: a local email/password form, or `st.login` (OIDC) when `[auth]` is configured."""

from __future__ import annotations

import time

import streamlit as st

from dashboard.access import auth, sessions, users
from dashboard.access.identity import Actor
from dashboard.core.settings import get_settings
from dashboard.ui import session_cookie
from dashboard.ui.access import current_actor, set_actor, set_verified_actor
from dashboard.ui.store import db_session
from dashboard.ui.timezones import VIEWER_TZ_KEY

NO_ACCESS_KEY = "no_access_message"
NO_ACCESS_EMAIL_KEY = "no_access_email"
PROFILE_ZONE_READ_KEY = "profile_timezone_read"  # the profile's zone is read once per tab, not per rerun


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def signed_in_actor() -> Actor | None:
    """The actor for this run, re-read from the users table; None means show the sign-in screen."""
    actor = _oidc_actor() if oidc_configured() else _local_actor()
    if actor is not None and not st.session_state.get(PROFILE_ZONE_READ_KEY):
        st.session_state[PROFILE_ZONE_READ_KEY] = True
        with db_session() as session:
            chosen = users.get_profile(session, actor).timezone
        if chosen != "UTC" and VIEWER_TZ_KEY not in st.session_state:
            # UTC is the default: then the browser's zone is the better guess
            st.session_state[VIEWER_TZ_KEY] = chosen
    return actor


def _local_actor() -> Actor | None:
    """From this tab's session token (or the browser's cookie after a reload), checked on every run."""
    token = session_cookie.session_token()
    actor = current_actor()
    if token is None and actor is None:
        return None
    with db_session() as session:
        # Without a token the actor was put in session_state directly (AppTest's page runs).
        fresh = sessions.resolve(session, token) if token else auth.refresh_actor(session, actor)
    if token and fresh is None:
        session_cookie.forget()
    set_verified_actor(fresh)
    return fresh


def _oidc_actor() -> Actor | None:
    if not st.user.is_logged_in:
        return None
    email = str(st.user.get("email") or "")
    if st.session_state.get(NO_ACCESS_EMAIL_KEY) == email:
        return None  # already refused and audited once; the no-access screen stays
    actor = current_actor()
    with db_session() as session:
        if actor is not None and actor.email.lower() == email.lower():
            fresh = auth.refresh_actor(session, actor)
        else:
            result = auth.login_with_oidc_email(session, email)
            fresh = result.actor
            if fresh is None:
                st.session_state[NO_ACCESS_KEY] = result.message
                st.session_state[NO_ACCESS_EMAIL_KEY] = email
    set_verified_actor(fresh)
    return fresh


def show_sign_in() -> None:
    st.title("Apps Console")
    if oidc_configured():
        _show_oidc_sign_in()
    else:
        _show_password_form()


def _show_oidc_sign_in() -> None:
    message = st.session_state.get(NO_ACCESS_KEY)
    if st.user.is_logged_in and message:
        st.error(message)
        st.caption(f"Signed in at your identity provider as {st.user.get('email') or 'an unknown user'}.")
        if st.button("Sign out", type="primary"):
            st.session_state.pop(NO_ACCESS_KEY, None)
            st.session_state.pop(NO_ACCESS_EMAIL_KEY, None)
            st.logout()
        return
    st.write("Sign in with your company account.")
    if st.button("Sign in with SSO", type="primary"):
        st.login()


def _show_password_form() -> None:
    if get_settings().is_demo_store:
        st.info("Demo store — logins in the README.", icon=":material/info:")
    with st.form("sign_in", border=True):
        email = st.text_input("Email", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        with db_session() as session:
            result = auth.login_with_password(session, email, password)
            if result.ok:
                token = sessions.create_session(session, result.actor, user_agent=session_cookie.user_agent())
        time.sleep(result.delay_seconds)
        if result.ok:
            set_actor(result.actor)
            session_cookie.remember(token)
            st.rerun()
        st.error(result.message)


def sign_out(actor: Actor) -> None:
    token = session_cookie.session_token()
    with db_session() as session:
        auth.record_logout(session, actor)
        if token:
            sessions.revoke(session, token)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if oidc_configured():
        st.logout()
    else:
        session_cookie.forget()
        st.rerun()
