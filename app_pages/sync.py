"""Sync and settings (admin): one tab per area; each tab's body lives in dashboard/ui/."""

import streamlit as st

from dashboard.ui.access import require_page
from dashboard.ui.stripe_admin import show_stripe_settings
from dashboard.ui.sync_runs import show_jobs, show_runs
from dashboard.ui.zendesk_admin import show_zendesk

actor = require_page("sync")
st.title("Sync and settings")

# (tab label, body). Add a tab with one line: ("Stripe", show_stripe_settings).
TABS = [
    ("Jobs", show_jobs),
    ("Runs", show_runs),
    ("Stripe", show_stripe_settings),
    ("Zendesk", show_zendesk),
]

for tab, (_, body) in zip(st.tabs([label for label, _ in TABS]), TABS, strict=True):
    with tab:
        body(actor)
