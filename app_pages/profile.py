"""My profile: who I am, my time zone, my password."""

from zoneinfo import available_timezones

import streamlit as st

from dashboard.access import users
from dashboard.core.errors import ValidationError
from dashboard.ui.access import require_page
from dashboard.ui.session_cookie import session_token
from dashboard.ui.store import db_session
from dashboard.ui.timezones import VIEWER_TZ_KEY, viewer_timezone

actor = require_page("profile")
st.title("My profile")

with db_session() as session:
    me = users.get_profile(session, actor)
st.session_state.setdefault(VIEWER_TZ_KEY, me.timezone if me.timezone != "UTC" else viewer_timezone())

left, right = st.columns(2)
left.metric("Role", actor.role.replace("_", " ").title())
right.metric("Email", me.email)

st.subheader("Time zone")
zones = sorted(available_timezones() | {"UTC"})
with st.form("timezone"):
    tz_name = st.selectbox("Show times in", zones, index=zones.index(st.session_state[VIEWER_TZ_KEY]))
    if st.form_submit_button("Save time zone"):
        with db_session() as session:
            users.set_timezone(session, actor, tz_name=tz_name)
        st.session_state[VIEWER_TZ_KEY] = tz_name
        st.toast(f"Times now shown in {tz_name}.", icon=":material/schedule:")

if me.password_hash is not None:
    st.subheader("Change password")
    with st.form("password", clear_on_submit=True):
        current = st.text_input("Current password", type="password")
        new = st.text_input("New password", type="password", help="At least 12 characters.")
        repeat = st.text_input("Repeat new password", type="password")
        if st.form_submit_button("Change password"):
            try:
                with db_session() as session:
                    users.change_password(
                        session,
                        actor,
                        current=current,
                        new=new,
                        repeat=repeat,
                        keep_session_token=session_token(),
                    )
                st.toast("Password changed.", icon=":material/check:")
            except ValidationError as error:
                st.error(error.message)
