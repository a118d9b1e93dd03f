"""Installations: filters kept in the URL, counts by state, weekly installs/uninstalls, the full table."""

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard.installations import STATES, InstallationFilters
from dashboard.ui.access import require_page
from dashboard.ui.installations_data import filter_options, installation_frame, state_counts, weekly_frame
from dashboard.ui.tables import csv_download
from dashboard.ui.timezones import frame_to_viewer

TABLE_ROWS = 5_000
PAID_CHOICES = {"any": None, "paid": True, "unpaid": False}

actor = require_page("installations")
st.title("Installations")
options = filter_options()

with st.container(border=True):
    row1 = st.columns([2, 2, 2, 1])
    apps = row1[0].multiselect(
        "App", list(options.apps), format_func=options.apps.get, key="app", bind="query-params"
    )
    states = row1[1].multiselect("State", STATES, key="state", bind="query-params")
    plans = row1[2].multiselect("Plan", options.plans, key="plan", bind="query-params")
    paid = row1[3].selectbox("Paid", list(PAID_CHOICES), key="paid", bind="query-params")
    row2 = st.columns([2, 1, 1])
    account = row2[0].text_input(
        "Account", key="account", placeholder="Company name or subdomain", max_chars=100, bind="query-params"
    )
    since = row2[1].date_input("Installed or uninstalled from", key="since", value=None, bind="query-params")
    until = row2[2].date_input("to", key="until", value=None, bind="query-params")

if since and until and since > until:
    st.error("The start date is after the end date.")
    st.stop()
filters = InstallationFilters(
    app_ids=tuple(apps),
    states=tuple(states),
    plans=tuple(plans),
    paid=PAID_CHOICES[paid],
    account=account.strip(),
    since=since,
    until=until,
)

counts = state_counts(filters)
for column, name in zip(st.columns(len(counts) + 1), [*counts, "total"], strict=True):
    column.metric(name.title(), f"{counts.get(name, sum(counts.values())):,}")

st.subheader("Installs and uninstalls per week")
weekly = weekly_frame(filters)
if weekly.empty:
    st.info("No installs or uninstalls for these filters.")
else:
    bars = pd.concat(
        [
            weekly.assign(change="installs", count=weekly["installs"]),
            weekly.assign(change="uninstalls", count=-weekly["uninstalls"]),
        ]
    )
    figure = px.bar(
        bars,
        x="week",
        y="count",
        color="app",
        pattern_shape="change",
        barmode="relative",
        labels={"week": "Week (Monday)", "count": "Installs (+) / uninstalls (−)", "app": "App"},
        hover_data={"change": True},
    )
    net = weekly.assign(week=pd.to_datetime(weekly["week"])).groupby("week")["net"].sum()
    net = net.reindex(pd.date_range(net.index.min(), net.index.max(), freq="W-MON"), fill_value=0)
    net = net.rename_axis("week").reset_index()  # quiet weeks count as 0, so the line does not skip them
    figure.add_scatter(
        x=net["week"],
        y=net["net"],
        mode="lines+markers",
        name="Net (all apps)",
        line={"color": "black"},
        hovertemplate="Week %{x}<br>Net %{y}<extra></extra>",
    )
    figure.update_layout(legend_title_text="", hovermode="x unified", height=380)
    st.plotly_chart(figure, width="stretch")

st.subheader("Installations")
frame = frame_to_viewer(installation_frame(filters), "installed_at", "uninstalled_at")
shown = frame.head(TABLE_ROWS)
if len(frame) > TABLE_ROWS:
    st.caption(f"Showing the newest {TABLE_ROWS:,} of {len(frame):,} installations; the CSV has them all.")
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_order=[
        "company_name",
        "account_link",
        "app",
        "state",
        "plan",
        "paid",
        "seats",
        "stripe_subscription_id",
        "installed_at",
        "uninstalled_at",
        "source",
    ],
    column_config={
        "company_name": st.column_config.TextColumn("Company"),
        "account_link": st.column_config.LinkColumn(
            "Account", display_text=":material/open_in_new:", help="Open the account page"
        ),
        "app": st.column_config.TextColumn("App"),
        "state": st.column_config.TextColumn("State"),
        "plan": st.column_config.TextColumn("Plan"),
        "paid": st.column_config.CheckboxColumn("Paid"),
        "seats": st.column_config.NumberColumn("Seats", format="%d"),
        "stripe_subscription_id": st.column_config.TextColumn("Stripe subscription"),
        "installed_at": st.column_config.DatetimeColumn("Installed", format="YYYY-MM-DD HH:mm"),
        "uninstalled_at": st.column_config.DatetimeColumn("Uninstalled", format="YYYY-MM-DD HH:mm"),
        "source": st.column_config.TextColumn("Source"),
    },
)
csv_download(
    lambda: frame.drop(columns=["account_link"]), file_name="installations.csv", key="installations_csv"
)
