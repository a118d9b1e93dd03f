"""Users and roles (admin): who may use the console and in which role; add, change role, deactivate."""

import pandas as pd
import streamlit as st

from dashboard.access import users
from dashboard.access.identity import role_label
from dashboard.ui.access import require_page
from dashboard.ui.forms import FieldErrors
from dashboard.ui.store import db_session
from dashboard.ui.tables import show_table
from models.system import ROLES

actor = require_page("users")
st.title("Users and roles")
table_area = st.container()  # drawn last, so it already shows what the forms below changed

with db_session() as session:
    emails = {row["id"]: row["email"] for row in users.user_rows(session)}

add_col, role_col, active_col = st.columns(3, border=True)

with add_col:
    st.subheader("Add a user")
    add_errors = FieldErrors()
    with st.form("add_user", clear_on_submit=False, border=False):
        email = st.text_input("Email", placeholder="name@company.com")
        add_errors.slot("email")
        name = st.text_input("Name")
        role = st.selectbox("Role", ROLES, format_func=role_label)
        add_errors.slot("role")
        password = st.text_input(
            "Password (optional)", type="password", help="Empty for SSO-only users. At least 12 characters."
        )
        add_errors.slot("password")
        add_errors.slot()
        if st.form_submit_button("Add user", type="primary"):
            with add_errors.reported():
                with db_session() as session:
                    added = users.add_user(
                        session, actor, email=email, role=role, name=name, password=password or None
                    )
                st.toast(f"Added {added.email} as {role_label(added.role)}.", icon=":material/person_add:")

with role_col:
    st.subheader("Change a role")
    role_errors = FieldErrors()
    with st.form("change_role", border=False):
        user_id = st.selectbox("User", list(emails), format_func=emails.get, key="role_user")
        role_errors.slot("user")
        new_role = st.selectbox("New role", ROLES, format_func=role_label)
        role_errors.slot("role")
        role_errors.slot()
        if st.form_submit_button("Change role"):
            with role_errors.reported():
                with db_session() as session:
                    changed = users.set_role(session, actor, user_id=user_id, role=new_role)
                st.toast(f"{changed.email} is now {role_label(changed.role)}.", icon=":material/badge:")

with active_col:
    st.subheader("Deactivate or reactivate")
    active_errors = FieldErrors()
    with st.form("set_active", border=False):
        target_id = st.selectbox("User", list(emails), format_func=emails.get, key="active_user")
        active_errors.slot("user")
        active_errors.slot("active")
        deactivate = st.form_submit_button("Deactivate")
        reactivate = st.form_submit_button("Reactivate")
        if deactivate or reactivate:
            with active_errors.reported():
                with db_session() as session:
                    toggled = users.set_active(session, actor, user_id=target_id, active=reactivate)
                state = "active" if toggled.active else "deactivated"
                st.toast(f"{toggled.email} is {state}.", icon=":material/check:")

with table_area, db_session() as session:
    show_table(
        pd.DataFrame(users.user_rows(session)), users.USER_COLUMNS, key="users", file_name="console-users.csv"
    )
