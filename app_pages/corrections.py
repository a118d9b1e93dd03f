"""Billing corrections: refund, credit note, discount, quantity or price change, void — checked, then sent."""

import streamlit as st

from dashboard.ui.access import require_page
from dashboard.ui.corrections import correction_form

actor = require_page("corrections")
st.title("Billing corrections")
st.caption(
    "Pick the account, then what to correct. Figures come fresh from Stripe; corrections above the "
    "approval threshold wait for a second person. Every step is in the audit log."
)
correction_form(actor)
