"""Exports and deletions for one privacy request (?request=<id>): build, list, download and retry
exports; plan, confirm and run deletions step by step. Figures and rules: dashboard.privacy.exports_screen."""

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.access.identity import Actor
from dashboard.billing.stripe_gateway import StripeGatewayError
from dashboard.core.errors import ValidationError
from dashboard.presentation.text import words
from dashboard.privacy.deletions import plan as planning
from dashboard.privacy.deletions import steps as deletion
from dashboard.privacy.exports import service
from dashboard.privacy.exports.parts import Progress
from dashboard.privacy.exports.systems import SYSTEM_LABELS, Systems, systems_from_settings
from dashboard.privacy.exports_screen import (
    EXPORT_COLUMNS,
    PLAN_COLUMNS,
    STEP_COLUMNS,
    DownloadableExport,
    ExportsScreen,
    confirm_blocked,
    exports_screen,
    plan_rows,
    systems_searched,
)
from dashboard.ui.access import require_page
from dashboard.ui.forms import action_button
from dashboard.ui.store import db_session
from dashboard.ui.tables import show_table
from dashboard.zendesk.gateway import ZendeskAccountError
from models import PrivacyRequest

OUTSIDE_ERRORS = (StripeGatewayError, ZendeskAccountError)


def _systems(request: PrivacyRequest) -> Systems:
    with db_session() as session:
        return systems_from_settings(session, request)


def show_configuration(systems: Systems, screen: ExportsScreen) -> None:
    st.caption(systems_searched(systems, screen.zendesk_reach))
    for system, reason in systems.unavailable.items():
        st.warning(f"{SYSTEM_LABELS[system]} is not configured here. {reason}", icon=":material/cloud_off:")


def _progress_bars() -> Callable[[str], Progress]:
    bars = {s: st.progress(0.0, text=f"{SYSTEM_LABELS[s]}: waiting") for s in service.SOURCE_ORDER}

    def progress_for(source: str) -> Progress:
        return lambda fraction, text: bars[source].progress(
            min(max(fraction, 0.0), 1.0), text=f"{SYSTEM_LABELS[source]}: {text}"
        )

    return progress_for


# --- exports ---------------------------------------------------------------------------------------------


def show_exports(actor: Actor, screen: ExportsScreen, systems: Systems) -> ExportsScreen:
    """Draws the exports; returns the screen as it is after a build (else as it was)."""
    request = screen.request
    st.subheader("Export (access and portability)")
    build = action_button(
        "Build export", blocked=screen.build_blocked, icon=":material/folder_zip:", type="primary"
    )
    outcome = st.container()  # on every run, so what follows keeps its place when the build's report is gone
    if build:
        with outcome:
            _build(actor, request, systems)
        with db_session() as session:  # the list as it is after the build
            screen = exports_screen(session, actor, str(request.id))
    if screen.exports.empty:
        st.info("No export yet for this request.")
        return screen
    show_table(
        screen.exports,
        EXPORT_COLUMNS,
        key="exports",
        file_name=f"exports-request-{request.id}.csv",
        width="stretch",
    )
    for export in screen.downloadable:
        _export_actions(actor, request, export, systems)
    return screen


def _build(actor: Actor, request: PrivacyRequest, systems: Systems) -> None:
    try:
        with db_session() as session:
            export_id = service.start_export(session, actor, request_id=request.id).id
    except ValidationError as error:
        st.error(error.message)
        return
    _collect(actor, export_id, systems, retry=False)


def _collect(actor: Actor, export_id: int, systems: Systems, *, retry: bool) -> None:
    with st.status(
        "Retrying the failed sources…" if retry else "Collecting the subject's data…", expanded=True
    ) as status:
        progress_for = _progress_bars()
        try:
            with db_session() as session:
                run = service.retry_failed if retry else service.collect
                export = run(session, actor, export_id=export_id, systems=systems, progress_for=progress_for)
                state, reason = export.status, export.incomplete_reason
        except ValidationError as error:
            status.update(label=error.message, state="error")
            return
        status.update(
            label=f"Export #{export_id}: {state}",
            state="complete" if state == "complete" else "error",
            expanded=False,
        )
    if reason:
        st.warning(f"Export #{export_id} is incomplete: {reason}")
    st.toast(f"Export #{export_id} built ({state}).", icon=":material/folder_zip:")


def _export_actions(
    actor: Actor, request: PrivacyRequest, export: DownloadableExport, systems: Systems
) -> None:
    columns = st.columns([2, 2, 3])
    columns[0].download_button(
        f"Download export #{export.id}",
        data=_deferred_download(actor, export.id),
        file_name=f"privacy-request-{request.id}-export-{export.id}.zip",
        mime="application/zip",
        icon=":material/download:",
        key=f"download_{export.id}",
        on_click="ignore",
    )
    if export.retryable and columns[1].button(
        "Retry failed sources", key=f"retry_{export.id}", icon=":material/refresh:"
    ):
        _collect(actor, export.id, systems, retry=True)
    if export.near_matches:
        with columns[2].expander(f"{len(export.near_matches)} near match(es) excluded: review"):
            st.caption(
                "Records whose email is close to, but not exactly, the verified email. They are not "
                "in the export; if one really is the subject's, verify it before sending anything."
            )
            st.dataframe(pd.DataFrame(export.near_matches), hide_index=True)


def _deferred_download(actor: Actor, export_id: int) -> Callable[[], bytes]:
    """Read (and audit) the file only when the officer actually clicks Download."""

    def read() -> bytes:
        with db_session() as session:
            return service.download(session, actor, export_id=export_id)[1]

    return read


# --- deletions -------------------------------------------------------------------------------------------


def _plan_key(request_id: int) -> str:
    return f"deletion_plan_{request_id}"


def show_deletion(actor: Actor, screen: ExportsScreen, systems: Systems) -> None:
    st.subheader("Deletion")
    if screen.steps.empty:
        _plan_and_confirm(actor, screen, systems)
    else:
        _show_steps(actor, screen, systems)


def _plan_and_confirm(actor: Actor, screen: ExportsScreen, systems: Systems) -> None:
    request = screen.request
    prepare = action_button(
        "Prepare the deletion plan", blocked=screen.plan_blocked, icon=":material/checklist:", type="primary"
    )
    # Drawn on every run: when the next run has no status to show, what follows keeps its place, and the
    # browser never shows the old "Confirm the plan" beside the new one while that run draws.
    outcome = st.container()
    if prepare:
        with outcome, st.status("Looking the subject up in every system…") as status:
            try:
                with db_session() as session:
                    st.session_state[_plan_key(request.id)] = planning.build_plan(session, request, systems)
                status.update(label="Plan ready", state="complete")
            except OUTSIDE_ERRORS as error:
                status.update(label=f"Could not prepare the plan: {error.message}", state="error")
    plan: planning.DeletionPlan | None = st.session_state.get(_plan_key(request.id))
    if plan is None:
        st.caption(
            "The plan lists per system what will be deleted or anonymised, and what is kept and why. "
            "Nothing is deleted before you confirm it."
        )
        return
    show_table(
        plan_rows(plan),
        PLAN_COLUMNS,
        key="deletion_plan",
        file_name=f"deletion-plan-{request.id}.csv",
        width="stretch",
    )
    if plan.near_matches:
        st.caption("Near matches (not exactly the verified email) are left alone:")
        st.dataframe(pd.DataFrame(plan.near_matches), hide_index=True)
    confirmed = True
    if plan.open_subscriptions:
        st.warning(
            f"{len(plan.open_subscriptions)} subscription(s) are still open: "
            + ", ".join(f"{s['id']} ({words(s['status'])})" for s in plan.open_subscriptions)
        )
        confirmed = st.checkbox(
            "I confirm that deleting the Stripe customer cancels these subscriptions",
            key=f"confirm_cancellation_{request.id}",
        )
    blocked = confirm_blocked(plan, cancellation_confirmed=confirmed)
    if action_button("Confirm the plan", blocked=blocked, icon=":material/task_alt:"):
        try:
            with db_session() as session:
                deletion.confirm_plan(
                    session,
                    actor,
                    request_id=request.id,
                    plan=plan,
                    cancellation_confirmed=confirmed,
                    systems_unavailable=systems.unavailable,
                )
        except ValidationError as error:
            st.error(error.message)
            return
        st.session_state.pop(_plan_key(request.id), None)
        st.toast("Deletion plan confirmed.", icon=":material/task_alt:")
        st.rerun()


def _show_steps(actor: Actor, screen: ExportsScreen, systems: Systems) -> None:
    request = screen.request
    show_table(screen.steps, STEP_COLUMNS, key="deletion_steps", width="stretch")
    if screen.waiting_step_ids and st.button(
        "Run the remaining steps", icon=":material/play_arrow:", type="primary"
    ):
        _run(actor, screen.waiting_step_ids, systems)
    for step_id, system in screen.failed_steps.items():
        if st.button(f"Retry {system}", key=f"retry_step_{step_id}", icon=":material/refresh:"):
            _run(actor, [step_id], systems)
    with db_session() as session:
        record = deletion.deletion_record(session, request.id)
    st.download_button(
        "Download the deletion record (JSON)",
        json.dumps(record, indent=2),
        f"deletion-record-request-{request.id}.json",
        mime="application/json",
        icon=":material/download:",
    )


def _run(actor: Actor, step_ids: list[int], systems: Systems) -> None:
    with st.status("Running the deletion steps…", expanded=True) as status:
        bar = st.progress(0.0)
        outcome = []
        for number, step_id in enumerate(step_ids, start=1):
            try:
                with db_session() as session:  # one transaction per step: a crash loses one step at most
                    step = deletion.run_step(session, actor, step_id=step_id, systems=systems)
                    outcome.append((step.system, step.status, step.last_error))
            except ValidationError as error:
                status.update(label=error.message, state="error")
                return
            bar.progress(number / len(step_ids), text=f"{SYSTEM_LABELS[outcome[-1][0]]}: {outcome[-1][1]}")
        failed = [f"{SYSTEM_LABELS[s]}: {e}" for s, state, e in outcome if state == "failed"]
        status.update(
            label="Steps failed: " + "; ".join(failed) if failed else "All steps done and verified",
            state="error" if failed else "complete",
        )
    st.toast("Deletion steps run.", icon=":material/delete_forever:")
    st.rerun()


actor = require_page("privacy-exports")
st.title("Exports and deletions")
with db_session() as session:
    screen = exports_screen(session, actor, st.query_params.get("request"))
if screen.problem:
    st.error(screen.problem)
    st.stop()
if screen.request is None:
    st.info("There is no open access, portability or deletion request.")
    st.stop()
options = (
    list(screen.choices) if screen.request.id in screen.choices else [screen.request.id, *screen.choices]
)
picked = st.selectbox(
    "Request",
    options,
    index=options.index(screen.request.id),
    format_func=lambda i: screen.choices.get(i, f"#{i}"),
)
if picked != screen.request.id:
    st.query_params["request"] = str(picked)
    st.rerun()
st.query_params["request"] = str(picked)
if st.button(f"Open request #{picked}", icon=":material/arrow_back:", type="tertiary"):
    st.switch_page("app_pages/privacy_requests.py", query_params={"id": str(picked)})
systems = _systems(screen.request)
configuration = st.container()  # drawn last: a build this run says where it found the subject
if screen.wants_export:
    screen = show_exports(actor, screen, systems)
elif screen.wants_deletion:
    show_deletion(actor, screen, systems)
else:
    st.info("This request type needs no export or deletion.")
with configuration:
    show_configuration(systems, screen)
