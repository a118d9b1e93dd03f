"""Account 360: one customer account across Stripe, Zendesk, usage, privacy and the audit log.

Opened as ?id=<account id> (from My accounts or any table); the picker keeps the choice in the URL.
"""

import streamlit as st

from dashboard.accounts.actions import ActionTarget, CorrectionLink
from dashboard.accounts.screen import AccountInputs, Table, account_screen
from dashboard.privacy.intake_link import intake_link
from dashboard.ui.access import require_page
from dashboard.ui.store import db_session
from dashboard.ui.tables import show_table
from dashboard.ui.timezones import viewer_timezone, viewer_today

actor = require_page("account")
raw_id = st.query_params.get("id", "")
search = st.session_state.get("account_search", "")
with db_session() as session:
    screen = account_screen(
        session,
        AccountInputs(raw_id=raw_id, search=search, user_id=actor.user_id),
        today=viewer_today(),
        role=actor.role,
    )


def open_chosen() -> None:
    chosen = st.session_state.get("account_pick")
    if chosen is not None:
        st.query_params["id"] = str(chosen)


def picker() -> None:
    left, right = st.columns([1, 2])
    left.text_input("Find an account", placeholder="Company, subdomain or id", key="account_search")
    names = {c.id: f"{c.company_name} ({c.zendesk_subdomain}) · #{c.id}" for c in screen.choices}
    chosen_id = screen.chosen.id if screen.chosen else None
    right.selectbox(
        "Account",
        list(names),
        index=list(names).index(chosen_id) if chosen_id in names else None,
        format_func=names.get,
        placeholder="Choose an account" if names else "No account matches",
        key="account_pick",
        on_change=open_chosen,
    )


def go_correct(link: CorrectionLink) -> None:
    # The corrections page reads the account, the kind and the object from its URL.
    st.switch_page("app_pages/corrections.py", query_params=link.query_params())


def go_privacy(email: str) -> None:
    # The intake reads the account and the email from its URL and finds the contact's name itself.
    st.switch_page("app_pages/privacy_intake.py", query_params=intake_link(screen.chosen.id, email))


def action_buttons(target: ActionTarget, on_click, key: str) -> None:
    for column, action in zip(st.columns(len(target.actions)), target.actions, strict=True):
        clicked = column.button(
            action.label, key=f"{key}_{action.key}", disabled=not action.enabled, width="stretch"
        )
        if action.reason:
            column.caption(action.reason)
        if clicked:
            on_click(action.key)


def tables(items: list[Table], prefix: str) -> None:
    for table in items:
        st.subheader(table.title)
        show_table(
            table.rows,
            table.columns,
            key=f"{prefix}_{table.title}",
            file_name=f"account-{screen.chosen.id}-{table.title.lower().replace(' ', '-')}.csv",
            empty=table.empty,
        )


st.title(screen.title)
if screen.chosen is None:
    if screen.problem:
        st.error(screen.problem)
    picker()
    st.stop()

st.caption(screen.caption)
with st.expander("Open another account"):
    picker()
for row in (screen.figures[:3], screen.figures[3:]):
    for column, figure in zip(st.columns(3), row, strict=True):
        column.metric(figure.label, figure.value, help=figure.help or None, border=True)

actions = st.columns([1, 1, 2])
correct = actions[0].button(
    "Correct billing",
    icon=":material/currency_exchange:",
    disabled=bool(screen.correction_refusal),
    type="primary",
)
if screen.correction_refusal:
    actions[0].caption(screen.correction_refusal)
if correct:
    go_correct(CorrectionLink(screen.chosen.id))
with actions[1]:
    if not screen.stripe_links:
        st.button("Open in Stripe", icon=":material/open_in_new:", disabled=True)
        st.caption("No Stripe customer is linked to this account.")
    for link in screen.stripe_links:
        st.link_button("Open in Stripe", link.url, icon=":material/open_in_new:")
        st.caption(f"Customer {link.customer_id}, in Stripe's dashboard")

timeline_tab, *other_tabs = st.tabs(["Timeline", *screen.tabs])
with timeline_tab:
    st.caption(f"Everything that happened to the account, newest first (times in {viewer_timezone()}).")
    show_table(
        screen.timeline.rows,
        screen.timeline.columns,
        key="timeline",
        file_name=f"account-{screen.chosen.id}-timeline.csv",
        empty="Nothing has happened to this account yet.",
    )
for tab, (name, items) in zip(other_tabs, screen.tabs.items(), strict=True):
    with tab:
        if name == "Billing":
            st.subheader("Correct a payment, invoice or subscription")
            targets = {t.id: t for t in screen.correction_targets}
            picked = st.selectbox(
                "What to correct",
                list(targets),
                index=None,
                format_func=lambda t, shown=targets: shown[t].label,
                placeholder="Choose what to correct" if targets else "Nothing to correct",
                key="account_correct_target",
            )
            if picked is not None:
                action_buttons(
                    targets[picked],
                    lambda kind, t=picked: go_correct(CorrectionLink(screen.chosen.id, kind, t)),
                    "correct",
                )
        if name == "Contacts" and screen.contact_targets:
            contacts = {t.id: t for t in screen.contact_targets}
            picked = st.selectbox(
                "Contact",
                list(contacts),
                index=None,
                format_func=lambda c, shown=contacts: shown[c].label,
                placeholder="Choose a contact to log a privacy request for",
                key="account_contact",
            )
            if picked is not None:
                row = screen.tabs["Contacts"][0].rows.set_index("id").loc[int(picked)]
                action_buttons(
                    contacts[picked],
                    lambda _key, r=row: go_privacy(r["email"]),
                    "privacy",
                )
        tables(items, name)
