"""Log a new privacy request: who, what, under which law, received when. Deadlines are computed.

A link may fill the form in (?account=&email=&kind=, dashboard/privacy/intake_link.py): Account 360 links
here for a contact, and account managers, who may log a request they heard of, see only this form.
"""

import streamlit as st

from dashboard.access.navigation import can_open
from dashboard.core.errors import ValidationError
from dashboard.privacy import requests
from dashboard.privacy.deadlines import JURISDICTION_LABELS
from dashboard.privacy.intake import log_request
from dashboard.privacy.intake_link import IntakePrefill, intake_prefill, link_parameters
from dashboard.privacy.labels import jurisdiction_label, type_label
from dashboard.privacy.requests import CHANNELS, SUBJECT_KINDS, TYPE_LABELS, client_account_choices
from dashboard.ui.access import require_page
from dashboard.ui.cache_groups import Group, clear_group, loader
from dashboard.ui.forms import FieldErrors
from dashboard.ui.store import db_session
from dashboard.ui.timezones import viewer_today

# Client accounts as {id: "Company (subdomain)"} for the picker.
client_accounts = loader(client_account_choices, Group.STRIPE, Group.INSTALLATIONS, ttl=300)


actor = require_page("privacy_intake")
st.title("Log a privacy request")

TEXT_KEYS = (
    "intake_name",
    "intake_email",
    "intake_notes",
    "intake_country",
    "intake_region",
    "intake_jurisdiction_reason",
)
if st.session_state.pop("intake_reset", False):  # after a logged request: an empty form, set before drawing
    for key in TEXT_KEYS:
        st.session_state[key] = ""
    st.session_state["intake_account"] = None

LINK_KEY = "intake_link"  # the link last filled in: a rerun keeps what was typed over it
# Account managers may log a request but not see the queue: nothing here tells them of other requests.
SEES_QUEUE = can_open(actor.role, "privacy")


def fill_from(prefill: IntakePrefill) -> None:
    """A new link is a new subject: its fields replace the form's (the type only when it names one)."""
    st.session_state["intake_email"] = prefill.email
    st.session_state["intake_name"] = prefill.name
    st.session_state["intake_account"] = prefill.account_id
    if prefill.type:
        st.session_state["intake_type"] = prefill.type


link = link_parameters(st.query_params)
if link:
    with db_session() as session:
        prefill = intake_prefill(session, link)
    if st.session_state.get(LINK_KEY) != link:
        st.session_state[LINK_KEY] = link
        fill_from(prefill)
    for message in prefill.ignored:
        st.warning(message, icon=":material/link_off:")

logged = st.session_state.pop("intake_logged", None)
if logged:
    st.success(f"Request #{logged.id} logged. Due {logged.due_on:%d %b %Y}.", icon=":material/check:")
    st.text(f"Subject: {logged.subject_name}")
    st.info(logged.jurisdiction_note, icon=":material/gavel:")
    for duplicate in logged.duplicate_ids:
        st.warning(
            f"Likely duplicate of open request #{duplicate}: same type, same email.",
            icon=":material/content_copy:",
        )
    st.session_state["intake_last_id"] = logged.id

last_id = st.session_state.get("intake_last_id")
if last_id and SEES_QUEUE and st.button(f"Open request #{last_id}", icon=":material/open_in_new:"):
    st.switch_page("app_pages/privacy_requests.py", query_params={"id": str(last_id)})

SUGGESTED = ""
SUGGESTED_LABEL = "Suggested (from what the store knows about the subject)"
accounts = client_accounts()
errors = FieldErrors()
with st.form("intake"):
    kind_type = st.selectbox("Request type", list(TYPE_LABELS), format_func=type_label, key="intake_type")
    errors.slot("type")
    name = st.text_input("Subject's name", key="intake_name")
    errors.slot("subject_name")
    email = st.text_input("Subject's email", key="intake_email")
    errors.slot("subject_email")
    subject_kind = st.radio(
        "Who is the subject?", list(SUBJECT_KINDS), format_func=SUBJECT_KINDS.get, key="intake_kind"
    )
    errors.slot("subject_kind")
    account_id = st.selectbox(
        "Client account (for an end user in a client's Zendesk)",
        list(accounts),
        index=None,
        format_func=accounts.get,
        placeholder="Type to search clients",
        key="intake_account",
    )
    errors.slot("account_id")
    country = st.text_input(
        "Subject's country (ISO code, e.g. DE, US, TR)", max_chars=2, key="intake_country"
    )
    errors.slot("subject_country")
    region = st.text_input(
        "Subject's US state or Canadian province (code, e.g. CO, QC)", max_chars=3, key="intake_region"
    )
    errors.slot("subject_region")
    jurisdiction = st.selectbox(
        "Jurisdiction",
        [SUGGESTED, *JURISDICTION_LABELS],
        format_func=lambda key: SUGGESTED_LABEL if key == SUGGESTED else jurisdiction_label(key),
        key="intake_jurisdiction",
        help="Suggested from the subject's state or country, else their company's or the client's country.",
    )
    errors.slot("jurisdiction")
    jurisdiction_reason = st.text_input(
        "Reason, if you choose another jurisdiction than the suggested one", key="intake_jurisdiction_reason"
    )
    errors.slot("jurisdiction_reason")
    received_on = st.date_input("Date received", value=viewer_today(), key="intake_received")
    errors.slot("received_on")
    channel = st.selectbox(
        "Channel", CHANNELS, format_func=lambda c: c.replace("_", " ").capitalize(), key="intake_channel"
    )
    errors.slot("channel")
    notes = st.text_area("Notes", help=f"Up to {requests.MAX_NOTES:,} characters.", key="intake_notes")
    errors.slot("notes")
    submitted = st.form_submit_button("Log request", type="primary")

if submitted:
    try:
        with db_session() as session:
            logged = log_request(
                session,
                actor,
                today=viewer_today(),
                sees_queue=SEES_QUEUE,
                type=kind_type,
                subject_name=name,
                subject_email=email,
                subject_kind=subject_kind,
                account_id=account_id,
                jurisdiction=jurisdiction or None,
                subject_country=country,
                subject_region=region,
                jurisdiction_reason=jurisdiction_reason,
                received_on=received_on,
                channel=channel,
                notes=notes,
            )
    except ValidationError as error:
        errors.show(error)
    else:
        clear_group(Group.PRIVACY)
        st.session_state["intake_logged"] = logged
        st.session_state["intake_reset"] = True
        st.session_state.pop(LINK_KEY, None)
        st.query_params.clear()  # the next request starts from an empty form, not from the link
        st.toast(f"Request #{logged.id} logged.", icon=":material/check:")
        st.rerun()
