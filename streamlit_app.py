"""Entry point: configuration, sign-in, navigation built from the user's role, then the chosen page."""

import streamlit as st

from dashboard.access.identity import role_label
from dashboard.access.navigation import PAGES, can_open, landing_page, sections_for
from dashboard.core import clock
from dashboard.ui.access import refusal_page
from dashboard.ui.addresses import show_address_notice, unknown_address_pages
from dashboard.ui.demo_systems import use_demo_systems
from dashboard.ui.login import show_sign_in, sign_out, signed_in_actor
from dashboard.ui.page_data import warm_start
from dashboard.ui.session_cookie import cookie_written, write_pending_cookie
from dashboard.ui.store import get_engine

st.set_page_config(page_title="Apps Console", page_icon=":material/dashboard:", layout="wide")
get_engine()  # a non-demo store without its keys stops here with the reason (dashboard/core/keys.py)
warm_start(clock.today())  # once per process: the heaviest pages' first visits load in the background
use_demo_systems()  # the demo store's simulated Stripe and Zendesk, and the banner saying so

actor = signed_in_actor()
write_pending_cookie()  # keeps local sign-in across reloads and shared links (dashboard/access/sessions.py)
if actor is None:
    # Every page's address shows the sign-in form, so a shared link (filters included) opens after sign-in.
    home = st.Page(show_sign_in, title="Sign in", url_path="sign-in", default=True)
    sign_in_pages = [home] + [st.Page(show_sign_in, title=spec.title, url_path=spec.key) for spec in PAGES]
    # Any other address lands on the sign-in form without its parameters (dashboard/ui/addresses.py).
    sign_in_pages += unknown_address_pages(
        known=[p.url_path for p in sign_in_pages], reserved=["sign-in"], home=home
    )
    show_address_notice()
    st.navigation(sign_in_pages, position="hidden").run()
    cookie_written()
    st.stop()

navigation = {
    section: [st.Page(spec.file, title=spec.title, icon=spec.icon, url_path=spec.key) for spec in specs]
    for section, specs in sections_for(actor.role).items()
}
# Streamlit serves its default page only at "/", and "/<its key>" would be "Page not found". So "/" gets a
# hidden stand-in that opens the landing page at its own address (below): a link to it (filters
# included) opens for every role, and the sidebar marks the landing page, not the hidden stand-in.
# Registered last, so st.switch_page by file path finds the visible page.
landing = landing_page(actor.role)
home = st.Page(
    landing.file, title=landing.title, icon=landing.icon, url_path="home", default=True, visibility="hidden"
)
navigation[landing.section].append(home)
# A page the role may not open answers at its address with the refusal (hidden, so not in the sidebar),
# instead of Streamlit's "Page not found" running the landing page with the address's parameters.
navigation[landing.section] += [
    st.Page(refusal_page(actor, spec), title=spec.title, url_path=spec.key, visibility="hidden")
    for spec in PAGES
    if not can_open(actor.role, spec.key)
]
# Any other address lands on the home page without its parameters (dashboard/ui/addresses.py).
navigation[landing.section] += unknown_address_pages(
    known=[p.url_path for pages in navigation.values() for p in pages], reserved=["home"], home=home
)
current = st.navigation(navigation, expanded=True)
if current is home:
    st.switch_page(landing.file, query_params={key: st.query_params.get_all(key) for key in st.query_params})
# After the switch: the notice of an unknown address shows on the landing page, and "Signed in as" only
# once the landing page runs (a click on a sidebar link while "/" switches would be overridden).
show_address_notice()
with st.sidebar:
    st.caption(f"Signed in as **{actor.name or actor.email}** · {role_label(actor.role)}")
    if st.button("Sign out", icon=":material/logout:", use_container_width=True):
        sign_out(actor)
current.run()
cookie_written()
