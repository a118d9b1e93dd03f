"""The demo's simulated Stripe and Zendesk: started once per console process, announced on every page."""

from __future__ import annotations

import atexit

import streamlit as st

from dashboard.core.settings import get_settings
from dashboard.simulators.demo import DemoSystems, point_at, start_demo_systems
from dashboard.ui.store import get_engine


@st.cache_resource(show_spinner="Starting the demo's Stripe and Zendesk…")
def _demo_systems() -> DemoSystems:
    """Process-wide (Streamlit reruns the script per session and per click): the simulators start once
    and stop when the server process exits."""
    systems = start_demo_systems(get_engine(), get_settings())
    atexit.register(systems.stop)
    return systems


def use_demo_systems() -> None:
    """On the demo store, point the gateways at the simulators and say so at the top of the page."""
    systems = _demo_systems()
    point_at(get_settings(), systems)
    notes = {
        "Stripe": "Demo Stripe — simulated, no real money",
        "Zendesk": "Demo Zendesk — simulated, no real tickets",
    }
    if systems.names:
        st.info(
            " · ".join(f"**{notes[name]}**" for name in systems.names)
            + ". Local simulators hold the demo's data, so every action can be tried; the README says how "
            "to connect real ones.",
            icon=":material/science:",
        )
